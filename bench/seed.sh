#!/usr/bin/env bash
# `crossnet run --quick` against a bash walk-through of the same seven drivers on the same lab, as a
# careful bash user would write it: one multiplexed ssh master per host (ControlMaster/ControlPersist,
# the inventory's identity, known_hosts, port and user), the docker CLI on the hosts, hosts worked
# on in parallel (`&`/`wait`), drivers one after another, every check's exit status tested.
#
# Usage: bench/seed.sh [LAB_DIR]
#   LAB_DIR given: use the lab (or hosts) of LAB_DIR/inventory.yaml as they are.
#   none given:    bring up a 3-host virtual lab in a temporary folder on $CROSSNET_BENCH_SUBNET
#                  (default 198.18.180.0/24) and take it down at the end, whatever happens.
# Env: CROSSNET (default .build/debug/crossnet), CROSSNET_BENCH_SUBNET.
# Prints both wall times, the ratio `crossnet run --quick` ÷ bash, and SSH logins per host of each
# approach (counted from LAB_DIR/<host>/sshd.log when the lab is a virtual one).
# Exit 0 when both pass; 1 when a walk-through check or the crossnet run fails (loudly).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CROSSNET=${CROSSNET:-$ROOT/.build/debug/crossnet}
SUBNET=${CROSSNET_BENCH_SUBNET:-198.18.180.0/24}
WORK=$(mktemp -d /tmp/crossnet-seed.XXXXXX)
LAB=${1:-}
OWN_LAB=0
MASTERS=0
SWARM_MADE=0
WALK_STARTED=0
KEEP_WORK=0

die() { echo "seed.sh: $*" >&2; exit 1; }
[ -x "$CROSSNET" ] || die "no crossnet binary at $CROSSNET (swift build first, or set CROSSNET)"

# ------------------------------------------------------------------ lab
if [ -z "$LAB" ]; then
  LAB=$WORK/lab
  OWN_LAB=1
  echo "== lab up: 3 hosts on $SUBNET in $LAB"
  "$CROSSNET" lab up --dir "$LAB" --hosts 3 --subnet "$SUBNET" >"$WORK/lab-up.log" 2>&1 ||
    { cat "$WORK/lab-up.log" >&2; die "lab up failed"; }
fi
LAB=$(cd "$LAB" && pwd)
INV=$LAB/inventory.yaml
[ -f "$INV" ] || die "no inventory at $INV"

# Hosts and network settings from the inventory: bash arrays, one element per host.
eval "$(python3 - "$INV" <<'PY'
import os, shlex, sys, yaml
path = sys.argv[1]; base = os.path.dirname(os.path.abspath(path))
inv = yaml.safe_load(open(path)); d = inv.get("defaults") or {}
q = shlex.quote
def rel(p): p = os.path.expanduser(p); return p if os.path.isabs(p) else os.path.join(base, p)
names, addrs, ifaces, targets = [], [], [], []
for i, h in enumerate(inv["hosts"]):
    g = lambda k, dflt=None: h.get(k, d.get(k, dflt))
    opts = []
    if "ssh_alias" in h:
        target = h["ssh_alias"]; addr = h.get("address", target)
    else:
        target, addr = h["address"], h["address"]
        opts += ["-p", str(g("port", 22)), "-l", str(g("user", "root"))]
        ids = g("identity") or []
        for k in ([ids] if isinstance(ids, str) else ids): opts += ["-i", rel(k), "-o", "IdentitiesOnly=yes"]
        if g("known_hosts"): opts += ["-o", "UserKnownHostsFile=" + rel(g("known_hosts"))]
    names.append(h["name"]); addrs.append(addr); ifaces.append(g("interface", "eth0"))
    print(f"SSHOPT_{i}=(" + " ".join(q(o) for o in opts) + ")")
    targets.append(target)
print("TARGETS=(" + " ".join(q(t) for t in targets) + ")")
print("NAMES=(" + " ".join(q(n) for n in names) + ")")
print("ADDRS=(" + " ".join(q(a) for a in addrs) + ")")
print("IFACES=(" + " ".join(q(a) for a in ifaces) + ")")
net = inv.get("network") or {}
mv = net.get("macvlan") or {}; ov = net.get("overlay") or {}
print("MV_SUBNET=" + q(mv.get("subnet", "")), "MV_GW=" + q(mv.get("gateway", "")))
print("MV_RANGES=(" + " ".join(q((mv.get("ranges") or {}).get(n, "")) for n in names) + ")")
print("OV_SUBNET=" + q(ov.get("subnet", "")), "OV_POOL=" + q(ov.get("swarm_address_pool", "")))
PY
)"
N=${#NAMES[@]}
[ "$N" -ge 2 ] || die "the walk-through needs at least 2 hosts ($N in $INV)"
[ -n "$MV_SUBNET" ] || die "$INV has no network.macvlan: the walk-through covers all seven drivers"

logins() {  # "h1=N h2=N …": 'Accepted publickey' lines in each virtual lab host's sshd.log
  local out="" n
  for n in "${NAMES[@]}"; do
    if [ -r "$LAB/$n/sshd.log" ]; then out+="$n=$(grep -c 'Accepted publickey' "$LAB/$n/sshd.log" || true) "
    else out+="$n=? "; fi
  done
  echo "${out% }"
}
login_diff() {  # login_diff BEFORE AFTER → "h1 +1, h2 +1, …"
  local -a b=($1) a=($2); local out="" i
  for i in "${!a[@]}"; do
    local x=${b[$i]#*=} y=${a[$i]#*=}
    if [ "$x" = "?" ] || [ "$y" = "?" ]; then out+="${NAMES[$i]} n/a, "; else out+="${NAMES[$i]} $((y - x)), "; fi
  done
  echo "${out%, }"
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# ------------------------------------------------------------------ ssh, the careful way
CM=(-o ControlMaster=auto -o "ControlPath=$WORK/cm-%C" -o ControlPersist=120
    -o BatchMode=yes -o StrictHostKeyChecking=yes -o LogLevel=ERROR -o ConnectTimeout=10)
sshi() {  # sshi I [ssh options…] [-- remote script]: ssh to host I with its inventory settings
  local -n o=SSHOPT_$1; local t=${TARGETS[$1]} a=(); shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  ssh "${CM[@]}" "${a[@]}" "${o[@]}" "$t" "$@"
}
on() { sshi "$1" -- "$2"; }   # on I 'remote script' — through host I's master
start_masters() {  # one master per host, all at once
  local i pids=()
  for i in "${!NAMES[@]}"; do sshi "$i" -o ControlMaster=yes -f -N & pids+=($!); done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || die "ssh to ${NAMES[$i]} failed"; done
  MASTERS=1
}
stop_masters() {
  local i
  for i in "${!NAMES[@]}"; do sshi "$i" -O exit 2>/dev/null || true; done
}

# Remote helpers, sent ahead of every script: a check prints `ok` or `FAIL` with what it saw, and a
# FAIL stops the host's script (set -e), which fails the ssh, which fails the step.
PRELUDE='set -e
expect_ok() { local d=$1 out; shift
  if out=$("$@" 2>&1); then echo "  ok  $H: $d"; else echo "FAIL  $H: $d: exit $?: $out"; return 1; fi; }
expect_no() { local d=$1 pat=$2 out rc=0; shift 2; out=$("$@" 2>&1) || rc=$?
  if [ $rc = 0 ]; then echo "FAIL  $H: $d: it got through: $out"; return 1; fi
  if printf "exit %s: %s" $rc "$out" | grep -Eqi "$pat"; then echo "  ok  $H: $d (exit $rc: $(printf "%s\n" "$out" | grep -Ei "$pat" | head -1))"
  else echo "FAIL  $H: $d: failed, but not for the expected reason ($pat): exit $rc: $out"; return 1; fi; }'
# par FN [ARGS]: FN I ARGS for every host at once; fails when any host's run fails.
par() {
  local fn=$1 i rc=0 pids=(); shift
  for i in "${!NAMES[@]}"; do "$fn" "$i" "$@" & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  return $rc
}
run() { on "$1" "$PRELUDE
H=${NAMES[$1]}
$2"; }                                 # run I 'script': the script on host I, with the helpers
next() { echo $((($1 + 1) % N)); }     # the host each host checks: a ring over all hosts

L="--label crossnet.bench=seed"
SLEEP="sleep infinity"

# ------------------------------------------------------------------ the seven drivers
bridge_up() { run "$1" "
docker run -d $L --name seed-br-a $IMG $SLEEP >/dev/null
docker run -d $L --name seed-br-b $IMG $SLEEP >/dev/null
ip=\$(docker inspect -f '{{.NetworkSettings.IPAddress}}' seed-br-b)
expect_ok \"bridge: a reaches b by IP (\$ip)\" docker exec seed-br-a ping -c1 -W1 \$ip
expect_no 'bridge: a cannot ping b by name' 'bad address|exit (124|143)' docker exec seed-br-a timeout 2 ping -c1 -W1 seed-br-b
docker rm -f seed-br-a seed-br-b >/dev/null"; }

user_bridge_up() { run "$1" "
docker network create $L seed-ub >/dev/null
docker run -d $L --name seed-ub-a --network seed-ub $IMG $SLEEP >/dev/null
docker run -d $L --name seed-ub-b --network seed-ub $IMG $SLEEP >/dev/null
expect_ok 'user-bridge: a reaches b by name' docker exec seed-ub-a ping -c1 -W1 seed-ub-b
docker rm -f seed-ub-a seed-ub-b >/dev/null
docker network rm seed-ub >/dev/null"; }

compose_up() {  # the Compose model (no compose plugin on the hosts): project seed, services web and client
  local c="--label com.docker.compose.project=seed"
  run "$1" "
docker network create $L $c --label com.docker.compose.network=default seed_default >/dev/null
docker run -d $L $c --label com.docker.compose.service=web --name seed-web-1 --network seed_default --network-alias web $IMG $SLEEP >/dev/null
docker run -d $L $c --label com.docker.compose.service=client --name seed-client-1 --network seed_default --network-alias client $IMG $SLEEP >/dev/null
expect_ok 'compose: client reaches web by service name on seed_default' docker exec seed-client-1 ping -c1 -W1 web
docker rm -f seed-web-1 seed-client-1 >/dev/null
docker network rm seed_default >/dev/null"; }

host_up() {  # busybox wget is no use here (the static build segfaults): nc speaks the HTTP
  run "$1" "
docker run -d $L --name seed-host --network host $IMG sh -c 'echo ${NAMES[$1]} >/tmp/index.html; exec httpd -f -p 47080 -h /tmp' >/dev/null"; }
host_check() { local j; j=$(next "$1"); run "$1" "
expect_ok 'host: the server on ${NAMES[$j]} answers at ${ADDRS[$j]}:47080' docker exec seed-host sh -c \\
  'for t in 1 2 3 4 5 6 7 8 9 10; do printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | nc -w 2 ${ADDRS[$j]} 47080 | grep -qx ${NAMES[$j]} && exit 0; sleep 0.2; done; exit 1'"; }
host_down() { run "$1" "docker rm -f seed-host >/dev/null"; }

none_up() { local j; j=$(next "$1"); run "$1" "
docker run -d $L --name seed-none --network none $IMG $SLEEP >/dev/null
expect_ok 'none: loopback answers' docker exec seed-none ping -c1 -W1 127.0.0.1
expect_no 'none: does not reach its own host ${ADDRS[$1]}' 'unreachable' docker exec seed-none timeout 2 ping -c1 -W1 ${ADDRS[$1]}
expect_no 'none: does not reach ${NAMES[$j]} (${ADDRS[$j]})' 'unreachable' docker exec seed-none timeout 2 ping -c1 -W1 ${ADDRS[$j]}
docker rm -f seed-none >/dev/null"; }

macvlan_up() { run "$1" "
docker network create $L -d macvlan --subnet $MV_SUBNET --gateway $MV_GW --ip-range ${MV_RANGES[$1]} -o parent=${IFACES[$1]} seed-mvl >/dev/null
docker run -d $L --name seed-mvl --network seed-mvl $IMG $SLEEP >/dev/null
docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' seed-mvl" >"$WORK/mvl-ip.$1"; }
macvlan_check() { local j ip; j=$(next "$1"); ip=$(cat "$WORK/mvl-ip.$j"); run "$1" "
expect_ok 'macvlan: reaches the container on ${NAMES[$j]} ($ip)' docker exec seed-mvl ping -c1 -W1 $ip
expect_ok 'macvlan: reaches ${NAMES[$j]} at ${ADDRS[$j]}' docker exec seed-mvl ping -c1 -W1 ${ADDRS[$j]}"; }
macvlan_down() { run "$1" "docker rm -f seed-mvl >/dev/null; docker network rm seed-mvl >/dev/null"; }

swarm_join() { [ "$1" = 0 ] || run "$1" "docker swarm join --token $TOKEN ${ADDRS[0]}:2377 >/dev/null"; }
overlay_check() { [ "$1" = 0 ] || run "$1" "
docker run -d $L --name seed-ovl --network seed-ovl $IMG $SLEEP >/dev/null
expect_ok 'overlay: a container on ${NAMES[$1]} reaches web by service name' docker exec seed-ovl ping -c1 -W2 web"; }
overlay_rm() { [ "$1" = 0 ] || run "$1" "docker rm -f seed-ovl >/dev/null"; }
swarm_leave() { [ "$1" = 0 ] || run "$1" "docker swarm leave --force >/dev/null"; }
settled() { run "$1" "  # swarm removes task containers after the fact: cleanup ends when they are gone
for t in \$(seq 150); do [ -z \"\$(docker ps -aq --filter label=crossnet.bench=seed)\" ] && exit 0; sleep 0.2; done
echo 'FAIL  ${NAMES[$1]}: overlay: containers left 30 s after swarm leave:'; docker ps -a --filter label=crossnet.bench=seed; exit 1"; }
mark() { printf '      %-34s %6.2f s\n' "$1" "$(secs "$OV_T" "$(now)")"; }
overlay() {
  local pool="" sub=""
  [ -n "$OV_POOL" ] && pool="--default-addr-pool $OV_POOL --default-addr-pool-mask-length 24"
  [ -n "$OV_SUBNET" ] && sub="--subnet $OV_SUBNET"
  # Runs under `step … || die`, where set -e does not apply: every step is chained.
  OV_T=$(now)
  TOKEN=$(run 0 "docker swarm init --advertise-addr ${ADDRS[0]} $pool >/dev/null
docker swarm join-token -q worker") || return 1
  SWARM_MADE=1
  par swarm_join || return 1
  mark "swarm init + join"
  run 0 "docker network create $L -d overlay --attachable $sub seed-ovl >/dev/null
docker service create -d -q --no-resolve-image --init --name web --mode global --endpoint-mode dnsrr --network seed-ovl \\
  $L --container-label crossnet.bench=seed $IMG $SLEEP >/dev/null
for t in \$(seq 300); do [ \"\$(docker service ls --filter name=web --format '{{.Replicas}}')\" = $N/$N ] && exit 0; sleep 0.2; done
echo 'FAIL  ${NAMES[0]}: overlay: service web not running on every host after 60 s'; docker service ps web; exit 1" || return 1
  mark "network + service web running"
  par overlay_check || return 1
  mark "checks"
  par overlay_rm || return 1
  run 0 "docker service rm web >/dev/null
for t in \$(seq 100); do docker network rm seed-ovl >/dev/null 2>&1 && exit 0; sleep 0.2; done
echo 'FAIL  ${NAMES[0]}: overlay: seed-ovl still in use 20 s after the service went'; exit 1" || return 1
  par swarm_leave || return 1
  run 0 "docker swarm leave --force >/dev/null" || return 1
  SWARM_MADE=0
  mark "service, network, swarm removed"
  par settled || return 1
  mark "task containers gone"
}

# ------------------------------------------------------------------ cleanup, whatever happened
cleanup_hosts() {
  local i
  for i in "${!NAMES[@]}"; do (
    on "$i" "docker ps -aq --filter label=crossnet.bench=seed | xargs -r docker rm -f
[ $SWARM_MADE = 0 ] || docker swarm leave --force
docker network ls -q --filter label=crossnet.bench=seed | xargs -r docker network rm" >/dev/null 2>&1 || true
  ) & done
  wait
}
finish() {
  local rc=$?
  set +e
  if [ "$WALK_STARTED" = 1 ] && [ "$MASTERS" = 1 ] && [ $rc != 0 ]; then cleanup_hosts; fi
  [ "$MASTERS" = 1 ] && stop_masters
  if [ "$OWN_LAB" = 1 ]; then "$CROSSNET" lab down --dir "$LAB" >"$WORK/lab-down.log" 2>&1 ||
    { echo "seed.sh: lab down failed, see $WORK/lab-down.log" >&2; KEEP_WORK=1; }; fi
  if [ $rc != 0 ] || [ "$KEEP_WORK" = 1 ]; then echo "seed.sh: logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ 1: crossnet run --quick
echo "== crossnet run --quick on $N hosts ($INV)"
B0=$(logins)
T0=$(now)
QUICK_RC=0
"$CROSSNET" run --quick --inventory "$INV" --reports "$WORK/reports" >"$WORK/quick.log" 2>&1 || QUICK_RC=$?
T1=$(now)
B1=$(logins)
QUICK=$(secs "$T0" "$T1")
grep -E 'passed|failed' "$WORK/quick.log" | tail -2 | sed 's/^/   /'
if [ $QUICK_RC != 0 ]; then KEEP_WORK=1; echo "!! crossnet run --quick exited $QUICK_RC (log: $WORK/quick.log)"; fi

# ------------------------------------------------------------------ 2: the bash walk-through
echo "== bash walk-through (ssh ControlMaster + docker CLI) on $N hosts"
A0=$(logins)
WALK_STARTED=1
T2=$(now)
start_masters
IMG=$(on 0 "docker image ls crossnet/probe --format '{{.Repository}}:{{.Tag}}' | head -1")
[ -n "$IMG" ] || die "no crossnet/probe image on ${NAMES[0]} (crossnet lab up / crossnet image load puts it there)"
state=$(on 0 "docker info --format '{{.Swarm.LocalNodeState}}'")
[ "$state" = inactive ] || die "${NAMES[0]} is in a swarm already ($state): the walk-through creates its own"
step() {  # step NAME CMD…: time one driver; a failure stops the script
  local s; s=$(now)
  "${@:2}" || die "walk-through: $1 failed (see the FAIL lines above)"
  printf '   %-12s %6.2f s\n' "$1" "$(secs "$s" "$(now)")"
}
ring_host() { par host_up && par host_check && par host_down; }
ring_macvlan() { par macvlan_up && par macvlan_check && par macvlan_down; }
step bridge par bridge_up
step user-bridge par user_bridge_up
step compose par compose_up
step host ring_host
step none par none_up
step macvlan ring_macvlan
step overlay overlay
stop_masters; MASTERS=0
T3=$(now)
A1=$(logins)
WALK=$(secs "$T2" "$T3")
WALK_STARTED=0

# Nothing left behind (outside the timing).
start_masters
for i in "${!NAMES[@]}"; do
  left=$(on "$i" "docker ps -aq --filter label=crossnet.bench=seed; docker network ls -q --filter label=crossnet.bench=seed
docker info --format '{{.Swarm.LocalNodeState}}' | grep -vx inactive || true")
  [ -z "$left" ] || die "walk-through left something on ${NAMES[$i]}: $left"
done
stop_masters; MASTERS=0

# ------------------------------------------------------------------ figures
echo
echo "crossnet run --quick: $QUICK s (exit $QUICK_RC); ssh logins per host: $(login_diff "$B0" "$B1")"
echo "bash walk-through:    $WALK s; ssh logins per host: $(login_diff "$A0" "$A1")"
awk -v q="$QUICK" -v w="$WALK" 'BEGIN { r = q / w; printf "ratio crossnet run --quick ÷ bash: %.2f (goal <= 0.33, done-when <= 0.5: %s)\n", r, (r <= 0.5 ? "met" : "NOT met") }'
[ $QUICK_RC = 0 ] || exit 1
