#!/usr/bin/env bash
# Print the Debian mirror this machine's apt already uses (never a hard-coded host).
# HAPAIR_DEBIAN_MIRROR, when set, is printed as it is instead: for a machine whose apt has no
# Debian source, such as an Ubuntu CI runner (docs/testing-in-ci.md), where the caller names one.
#   HAPAIR_DEBIAN_MIRROR=http://deb.debian.org/debian scripts/debian-mirror.sh
set -euo pipefail
if [[ -n ${HAPAIR_DEBIAN_MIRROR:-} ]]; then
  echo "$HAPAIR_DEBIAN_MIRROR"
  exit 0
fi
shopt -s nullglob
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  # deb822 stanzas: pick the URIs of the stanza whose Suites hold plain "bookworm" or "trixie".
  mirror=$(awk 'BEGIN{RS=""} /Suites:[^\n]*(bookworm|trixie)([ \n]|$)/ && !/security/ {
                 if (match($0, /URIs: *[^ \n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/URIs: */, "", s); print s; exit } }' "$f")
  [[ -n "$mirror" ]] && break
done
if [[ -z "$mirror" ]]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    mirror=$(awk '$1=="deb" && ($3=="bookworm" || $3=="trixie") && $2 ~ /debian/ {print $2; exit}' "$f")
    [[ -n "$mirror" ]] && break
  done
fi
if [[ -z "$mirror" ]]; then
  echo "debian-mirror.sh: no 'bookworm' or 'trixie' apt source found under /etc/apt; add one (e.g. deb.debian.org), or name a mirror in HAPAIR_DEBIAN_MIRROR, and retry" >&2
  exit 1
fi
echo "$mirror"
