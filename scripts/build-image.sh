#!/usr/bin/env bash
# Build the Debian 12 node image used by the lab and the molecule scenarios.
# No registry is reachable, so the image comes from debootstrap and `podman import`.
# The tag carries a hash of this script: a changed recipe builds a new image, an
# unchanged one is reused (about 45 s saved per run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${HAPAIR_IMAGE_NAME:-localhost/hapair-node}
tag="bookworm-$(sha256sum "$0" | cut -c1-10)"
image="$name:$tag"

if [[ "${1:-}" == "--print" ]]; then echo "$image"; exit 0; fi

if podman image exists "$image"; then
  echo "node image $image already present"
  exit 0
fi

mirror=$("$here/debian-mirror.sh")
rootfs=$(mktemp -d /var/tmp/hapair-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "building $image from $mirror (about a minute)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,procps \
  bookworm "$rootfs" "$mirror" > "$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
# The apt lists are left empty on purpose: roles refresh the cache the way they must on a real host.
tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/sbin/init"]' - "$image" > /dev/null
# Older tags of the same image are stale recipes.
podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$name:" | grep -vx "$image" | xargs -r podman rmi -f > /dev/null || true
echo "built $image"
