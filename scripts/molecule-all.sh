#!/usr/bin/env bash
# Every molecule scenario, `molecule test -s NAME` each, HAPAIR_MOLECULE_JOBS of them side by side
# (default 2). Each scenario has its own containers, network and ephemeral directory, and most of
# a scenario's time is waiting (apt, VRRP timers, systemd), so two run in the time of about one.
# The longest start first, so the short ones fill in behind them. A scenario's whole output is
# printed when it ends, in one piece; the run fails if any scenario failed, after all have run.
# NAME@13 runs a scenario on Debian 13 nodes (NAME@12 on Debian 12); a plain NAME runs on the
# release HAPAIR_DEBIAN names (`make DEBIAN=`; 13, Debian's stable release, by default). The two runs of one
# scenario share its container names, network and ephemeral directory: never side by side (a lock).
#   scripts/molecule-all.sh                  every scenario, and ON_BOTH on the other release
#   scripts/molecule-all.sh fast notify@13   only these
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${HAPAIR_MOLECULE_JOBS:-2}
logs=$root/.cache/molecule-logs
rm -rf "$logs" && mkdir -p "$logs"

# Longest first (in CI: default about 14 min, three_nodes 13, fast 11, roles 7, nopreempt 6, ipv6 6,
# tls 5, active_active 4, notify 2), so that the two queues end together. Each scenario's log has the time
# of every line and pytest's slowest tests: that is where to look when CI grows. Three side by side
# on two cores starve the probes (requests time out under load): two it is.
# The scenarios that also run on the other Debian release (HAPAIR_ON_BOTH, names apart by spaces):
# what depends on the nodes' packages (keepalived, HAProxy, iptables, Python) is proven on each.
# CI runs default, fast and ipv6 there.
read -r -a on_both <<< "${HAPAIR_ON_BOTH-default fast ipv6}"
# The release of a plain NAME, and the other one.
base=${HAPAIR_DEBIAN:-13}
other=$(( base == 13 ? 12 : 13 ))
# A scenario's release: NAME@N's N, else the base. build-image.sh names each release's image.
release() { if [[ $1 == *@* ]]; then echo "${1#*@}"; else echo "$base"; fi; }
# A twin (NAME@other) comes at least one scenario after its own, so that its lock does not hold a
# queue idle while the other queue still runs the scenario (the time of each includes any wait).
first=(default three_nodes fast roles "default@$other" nopreempt "fast@$other" ipv6 tls "ipv6@$other")
if (( $# )); then
  scenarios=("$@")
else
  mapfile -t all < <(for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done)
  (( ${#on_both[@]} )) && all+=("${on_both[@]/%/@$other}")
  scenarios=()
  for s in "${first[@]}"; do [[ " ${all[*]} " == *" $s "* ]] && scenarios+=("$s"); done
  for s in "${all[@]}"; do [[ " ${first[*]} " == *" $s "* ]] || scenarios+=("$s"); done
fi
for s in "${scenarios[@]}"; do
  [[ -f molecule/${s%@*}/molecule.yml ]] || { echo "molecule-all: no scenario ${s%@*}" >&2; exit 2; }
  [[ $s != *@* || ${s#*@} == 12 || ${s#*@} == 13 ]] || { echo "molecule-all: $s: Debian 12 or 13" >&2; exit 2; }
done
# Each release's node image, built once here if missing (about a minute).
for d in $(for s in "${scenarios[@]}"; do release "$s"; done | sort -u); do
  HAPAIR_DEBIAN=$d scripts/build-image.sh
done

# one runs in xargs' bash -c (after export -f), which the checker cannot follow: it would take the
# body for dead code. The single quotes hand the words to that bash unexpanded, on purpose.
# shellcheck disable=SC2317,SC2016
one() {
  local s=$1 start=$SECONDS rc=0 image
  image=$(HAPAIR_DEBIAN=$(release "$s") scripts/build-image.sh --print)
  # Each line stamped with the time it was written, to see where a scenario's time goes.
  # The second release's run leaves out the tests marked one_release (controller-side checks).
  HAPAIR_SECOND_RELEASE=$([[ $(release "$s") != "$base" ]] && echo 1 || echo 0) \
    HAPAIR_NODE_IMAGE=$image flock "$logs/${s%@*}.lock" molecule test -s "${s%@*}" 2>&1 \
    | while IFS= read -r line; do printf '%(%T)T %s\n' -1 "$line"; done > "$logs/$s.log"
  rc=${PIPESTATUS[0]}
  echo "$s $rc $((SECONDS - start))" >> "$logs/results"
  # One scenario's output at a time.
  flock "$logs/results" bash -c 'printf "\n==> scenario %s: %s in %s s\n" "$1" "$([[ $2 == 0 ]] && echo passed || echo FAILED)" "$3"; cat "$4"' \
    _ "$s" "$rc" "$((SECONDS - start))" "$logs/$s.log"
}
export -f one release
export logs base

# On an interrupt, stop every scenario and remove what they started.
# Run by the trap, which shellcheck does not follow either.
# shellcheck disable=SC2317
cleanup() {
  trap - INT TERM
  kill -TERM -- "-$runner" 2> /dev/null || true
  wait "$runner" 2> /dev/null || true
  for s in "${scenarios[@]}"; do molecule destroy -s "${s%@*}" > /dev/null 2>&1 || true; done
  exit 130
}
trap cleanup INT TERM

echo "==> molecule: ${#scenarios[@]} scenarios, $jobs at a time: ${scenarios[*]}"
start=$SECONDS
# In a process group of its own, so that an interrupt stops every scenario's processes.
# The single quotes hand "$1" to xargs' bash unexpanded, on purpose.
# shellcheck disable=SC2016
printf '%s\n' "${scenarios[@]}" | setsid xargs -P "$jobs" -I{} bash -c 'one "$1"' _ {} &
runner=$!
wait "$runner" || true

echo
echo "==> molecule: $(wc -l < "$logs/results") scenarios in $((SECONDS - start)) s"
failed=()
while read -r s rc took; do
  printf '    %-14s %-7s %5s s\n' "$s" "$([[ $rc == 0 ]] && echo passed || echo FAILED)" "$took"
  [[ $rc == 0 ]] || failed+=("$s")
done < "$logs/results"
# Why each failed scenario failed, last, where a truncated CI log still shows it: the failed
# molecule action, pytest's one-line summary of each failed test and its assertion lines.
for s in "${failed[@]}"; do
  printf '\n==> why %s failed (whole log above, and in %s)\n' "$s" "$logs/$s.log"
  cut -c10- "$logs/$s.log" | grep -E '^(FAILED|ERROR) |^E  |CRITICAL|fatal: |Executed: Failed' | cut -c1-400 | tail -n 40 \
    || tail -n 40 "$logs/$s.log"
done
[[ $(wc -l < "$logs/results") == "${#scenarios[@]}" ]] || failed+=(missing)
exit $(( ${#failed[@]} > 0 ))
