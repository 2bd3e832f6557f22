#!/usr/bin/env bash
# Soak: N consecutive short runs (`crossnet run --quick`) on a virtual lab. Per run it prints the
# exit status, what was left on the hosts (containers, networks, volumes, services labelled
# crossnet.run, and whether a swarm is still active: must be 0 / inactive), the run's peak RSS and
# peak open file descriptors (sampled every 200 ms), and the lab daemons' open descriptors (dockerd
# and sshd on every host) — these must stay flat from run to run.
#
#   bash bench/soak.sh [N] [LAB_DIR]     N defaults to 20; LAB_DIR to a fresh 3-host lab on
#                                        $CROSSNET_SOAK_SUBNET (default 198.18.190.0/24), taken down after
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
lab=${2:-}
crossnet=$PWD/.build/debug/crossnet
[ -x "$crossnet" ] || { export PATH="$PATH:/opt/swift/usr/bin"; swift build >/dev/null; }
if [ -z "$lab" ]; then
  lab=$(mktemp -d /tmp/crossnet-soak.XXXXXX)
  chmod 700 "$lab"
  trap '"$crossnet" lab down --dir "$lab" >/dev/null 2>&1 || true; rm -rf "$lab"' EXIT
  "$crossnet" lab up --dir "$lab" --hosts 3 --subnet "${CROSSNET_SOAK_SUBNET:-198.18.190.0/24}" >/dev/null
fi
inventory=$lab/inventory.yaml
reports=$(mktemp -d /tmp/crossnet-soak-reports.XXXXXX)
hosts=$(python3 -c "import json;print(' '.join(h['name'] for h in json.load(open('$lab/state.json'))['hosts']))")

leftovers() {  # labelled resources and active swarms across the lab's hosts
  local total=0
  for h in $hosts; do
    n=$("$crossnet" lab exec --dir "$lab" "$h" -- sh -c '
      c=$(docker ps -aq --filter label=crossnet.run | wc -l)
      n=$(docker network ls -q --filter label=crossnet.run | wc -l)
      v=$(docker volume ls -q --filter label=crossnet.run | wc -l)
      s=0; [ "$(docker info --format "{{.Swarm.LocalNodeState}}")" = inactive ] || s=1
      echo $((c + n + v + s))')
    total=$((total + n))
  done
  echo "$total"
}

daemon_fds() {  # open descriptors of every lab sshd (listener) and dockerd
  python3 - "$lab" <<'PY'
import json, os, sys
state = json.load(open(sys.argv[1] + "/state.json"))
total = 0
for host in state["hosts"]:
    for key in ("sshdPid", "dockerdPid"):
        pid = host.get(key)
        if pid:
            try: total += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError: pass
print(total)
PY
}

printf "%-4s %-5s %-9s %-12s %-12s %-14s %s\n" run exit leftovers "peak RSS" "peak fds" "daemon fds" seconds
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  "$crossnet" run --quick --inventory "$inventory" --reports "$reports" >/dev/null 2>&1 &
  pid=$!
  peak_rss=0; peak_fds=0
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [ "${rss:-0}" -gt "$peak_rss" ] && peak_rss=$rss
    [ "$fds" -gt "$peak_fds" ] && peak_fds=$fds
    sleep 0.2
  done
  set +e; wait "$pid"; status=$?; set -e
  printf "%-4s %-5s %-9s %-12s %-12s %-14s %s\n" "$i" "$status" "$(leftovers)" "$((peak_rss / 1024)) MiB" "$peak_fds" "$(daemon_fds)" "$(( $(date +%s) - start ))"
done
rm -rf "$reports"
