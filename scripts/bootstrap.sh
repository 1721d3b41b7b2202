#!/usr/bin/env bash
# Install everything the lab and the tests need on a fresh Debian 12 machine, as root:
# Debian packages, a pinned Python virtual environment and the node image. Safe to re-run:
# every step is skipped when its result is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${HAPAIR_VENV:-$root/.venv}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/tests/podman/containers.conf}

say() { printf '==> %s\n' "$*"; }

[[ $(id -u) -eq 0 ]] || { echo "bootstrap.sh: run as root (podman networks and iptables need it)" >&2; exit 1; }

# podman/runc/debootstrap for the containers; keepalived/haproxy so the unit tests can run the
# daemons' own config checkers; iptables for the host side of the container network.
# debian-archive-keyring: debootstrap checks Debian's Release signatures with it (its Debian
# suite scripts name that file); always there on Debian, missing on an Ubuntu CI runner, where
# debootstrap would otherwise go on without checking them.
packages=(podman runc debootstrap debian-archive-keyring containernetworking-plugins iptables keepalived haproxy python3-venv make curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # keepalived and haproxy are installed for their checkers only: keep their services from
  # starting on this machine while the packages install (policy-rc.d 101 = "do not start").
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 0755 "$policy"; own_policy=true
  fi
  trap '[[ $own_policy == true ]] && rm -f "$policy"' EXIT
  apt-get install -y -qq "${missing[@]}" > /dev/null
  [[ $own_policy == true ]] && rm -f "$policy"
  trap - EXIT
fi

req_hash=$(sha256sum "$root/requirements-dev.txt" | cut -c1-16)
if [[ ! -x $venv/bin/python || "$(cat "$venv/.requirements" 2>/dev/null)" != "$req_hash" ]]; then
  say "creating the Python environment in $venv"
  python3 -m venv "$venv"
  log=$(mktemp)
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/requirements-dev.txt" > "$log" 2>&1 \
    || { tail -n 40 "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
  echo "$req_hash" > "$venv/.requirements"
fi

# The test harness shared by the molecule verifiers and make bench, from this checkout.
harness=$("$venv/bin/python" -c 'import hapair_harness; print(hapair_harness.__file__)' 2> /dev/null || true)
if [[ $harness != "$root/tests/harness/"* ]]; then
  say "installing the test harness (tests/harness) into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$root/tests/harness" > /dev/null
fi

say "node image: $("$root/scripts/build-image.sh" --print)"
"$root/scripts/build-image.sh"
