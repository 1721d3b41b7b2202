#!/usr/bin/env bash
# Build the node image used by the lab and the molecule scenarios, for Debian 12 (bookworm) or
# Debian 13 (trixie): HAPAIR_DEBIAN=12|13, 13 by default.
# No registry is reachable, so the image comes from debootstrap and `podman import`.
# The tag carries the release and a hash of this script: a changed recipe builds a new image, an
# unchanged one is reused (about 45 s saved per run).
#   scripts/build-image.sh            build the image unless it is there
#   scripts/build-image.sh --print    only print its name
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${HAPAIR_IMAGE_NAME:-localhost/hapair-node}
case ${HAPAIR_DEBIAN:-13} in
  12) suite=bookworm ;;
  13) suite=trixie ;;
  *) echo "build-image.sh: HAPAIR_DEBIAN='${HAPAIR_DEBIAN}' is no release this project tests: 12 (bookworm) or 13 (trixie)" >&2; exit 2 ;;
esac
tag="$suite-$(sha256sum "$0" | cut -c1-10)"
image="$name:$tag"

if [[ "${1:-}" == "--print" ]]; then echo "$image"; exit 0; fi

if podman image exists "$image"; then
  echo "node image $image already present"
  exit 0
fi

# The mirror this machine's apt uses; it serves every release, only the suite differs.
mirror=$("$here/debian-mirror.sh")
rootfs=$(mktemp -d /var/tmp/hapair-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "building $image from $mirror (about a minute)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,procps \
  "$suite" "$rootfs" "$mirror" > "$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
# The apt lists are left empty on purpose: roles refresh the cache the way they must on a real host.
tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/sbin/init"]' - "$image" > /dev/null
# Older tags of the same release are stale recipes.
podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$name:$suite-" | grep -vx "$image" | xargs -r podman rmi -f > /dev/null || true
echo "built $image"
