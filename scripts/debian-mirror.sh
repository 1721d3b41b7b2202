#!/usr/bin/env bash
# Print the Debian mirror this machine's apt already uses (never a hard-coded host).
set -euo pipefail
shopt -s nullglob
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  # deb822 stanzas: pick the URIs of the stanza whose Suites hold plain "bookworm".
  mirror=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && !/security/ {
                 if (match($0, /URIs: *[^ \n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/URIs: */, "", s); print s; exit } }' "$f")
  [[ -n "$mirror" ]] && break
done
if [[ -z "$mirror" ]]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    mirror=$(awk '$1=="deb" && $3=="bookworm" && $2 ~ /debian/ {print $2; exit}' "$f")
    [[ -n "$mirror" ]] && break
  done
fi
if [[ -z "$mirror" ]]; then
  echo "debian-mirror.sh: no 'bookworm' apt source found under /etc/apt; add one (e.g. deb.debian.org) and retry" >&2
  exit 1
fi
echo "$mirror"
