#!/usr/bin/env bash
# The lab: a real keepalived + HAProxy pair and two backends in local podman containers.
#   scripts/lab.sh up      create (or reuse) the containers, deploy with site.yml, show the VIP
#   scripts/lab.sh containers   only create (or reuse) the containers and start the backends
#   scripts/lab.sh show    show who holds the VIP and send a few requests through it
#   scripts/lab.sh down    remove the containers and the network
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/tests/podman/containers.conf}
export ANSIBLE_CONFIG=$root/ansible.cfg
venv=${HAPAIR_VENV:-$root/.venv}
net_name=hapair-lab
net=192.168.213
vip=$net.100
declare -A addr=([lab-lb1]=$net.11 [lab-lb2]=$net.12 [lab-web1]=$net.21 [lab-web2]=$net.22)

say() { printf '==> %s\n' "$*"; }

down() {
  for c in "${!addr[@]}"; do podman rm -f -t 0 "$c" > /dev/null 2>&1 || true; done
  podman network rm -f "$net_name" > /dev/null 2>&1 || true
}

containers() {
  local image
  image=$("$root/scripts/build-image.sh" --print)
  podman image exists "$image" || { echo "lab.sh: node image $image missing: run scripts/bootstrap.sh" >&2; exit 1; }
  podman network exists "$net_name" || podman network create --subnet "$net.0/24" "$net_name" > /dev/null
  for c in lab-lb1 lab-lb2 lab-web1 lab-web2; do
    # A running container is reused if it runs this image (HAPAIR_DEBIAN picks the release).
    if [[ "$(podman inspect -f '{{.State.Running}} {{.ImageName}}' "$c" 2>/dev/null)" != "true $image" ]]; then
      podman rm -f -t 0 "$c" > /dev/null 2>&1 || true
      say "starting container $c (${addr[$c]}, $image)"
      podman run -d --name "$c" --hostname "$c" --network "$net_name" --ip "${addr[$c]}" \
        --privileged --systemd always --label hapair=lab "$image" /sbin/init > /dev/null
    fi
  done
  # systemd needs a moment before units can be started.
  for c in lab-lb1 lab-lb2 lab-web1 lab-web2; do
    for _ in $(seq 1 50); do
      state=$(podman exec "$c" systemctl is-system-running 2>/dev/null || true)
      [[ $state == running || $state == degraded ]] && break
      sleep 0.2
    done
  done
  say "starting the backend web servers"
  "$venv/bin/ansible-playbook" -i "$root/lab/hosts.yml" "$root/molecule/shared/backends.yml" > /dev/null
}

up() {
  containers
  say "deploying the pair: ansible-playbook -i lab/hosts.yml playbooks/site.yml"
  local start=$SECONDS
  "$venv/bin/ansible-playbook" -i "$root/lab/hosts.yml" "$root/playbooks/site.yml"
  say "site.yml took $((SECONDS - start)) s"
  show
}

show() {
  say "who holds the VIP $vip"
  for c in lab-lb1 lab-lb2; do
    if podman exec "$c" ip -o addr show | grep -qw "$vip"; then
      echo "    $c (${addr[$c]}) holds $vip"
    else
      echo "    $c (${addr[$c]}) is standing by"
    fi
  done
  say "six requests through the VIP: curl http://$vip/"
  for i in 1 2 3 4 5 6; do
    printf '    %s\n' "$(curl -s --max-time 2 "http://$vip/" || echo "request $i failed")"
  done
  cat <<MSG
==> the lab is up
    VIP        http://$vip/   (from this machine: curl http://$vip/)
    nodes      lab-lb1 ${addr[lab-lb1]}   lab-lb2 ${addr[lab-lb2]}
    backends   lab-web1 ${addr[lab-web1]}:8080   lab-web2 ${addr[lab-web2]}:8080
    a shell    podman exec -it lab-lb1 bash      (CONTAINERS_CONF=$CONTAINERS_CONF)
    fail over  podman exec lab-lb1 systemctl stop keepalived
    tear down  make demo-down
MSG
}

case "${1:-}" in
  up) up ;;
  containers) containers ;;
  show) show ;;
  down) down; say "lab removed" ;;
  *) echo "usage: $0 up|containers|show|down" >&2; exit 2 ;;
esac
