#!/usr/bin/env bash
# Figures from one Crossnet run on a virtual lab:
#   1. Crossnet's measured TCP throughput ÷ a hand-run iperf3 on the same pair (host network);
#   2. setup+teardown time of all topologies: Crossnet ÷ a plain bash script (ssh + docker CLI);
#   3. Crossnet's peak RSS (/usr/bin/time -v, and the crossnet process's own VmHWM).
#
# Usage: bench/run.sh            (env: LAB_DIR=/tmp/lab-bench SUBNET=198.18.30.0/24 OUT=/tmp/crossnet-bench)
# Brings a lab up in LAB_DIR when none is up there, and down again at the end if it did.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB_DIR=${LAB_DIR:-/tmp/lab-bench}
SUBNET=${SUBNET:-198.18.30.0/24}
OUT=${OUT:-/tmp/crossnet-bench}
CROSSNET=.build/debug/crossnet
mkdir -p "$OUT"

swift build >/dev/null
BROUGHT_UP=0
if [ ! -f "$LAB_DIR/inventory.yaml" ] || ! $CROSSNET lab status --dir "$LAB_DIR" >/dev/null 2>&1; then
  $CROSSNET lab up --dir "$LAB_DIR" --subnet "$SUBNET" >/dev/null
  BROUGHT_UP=1
fi
cleanup() { if [ "$BROUGHT_UP" = 1 ]; then $CROSSNET lab down --dir "$LAB_DIR" >/dev/null || true; fi; }
trap cleanup EXIT
INV="$LAB_DIR/inventory.yaml"

# Host list from the inventory: name address
mapfile -t HOSTS < <(python3 -c '
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
for h in inv["hosts"]: print(h["name"], h["address"])' "$INV")

# ---------------------------------------------------------------- 1+3: a Crossnet run, with RSS
echo "== crossnet run (all suites) =="
$CROSSNET run --inventory "$INV" --reports "$OUT/reports" >"$OUT/run.out" 2>"$OUT/run.err" &
RUN_PID=$!
HWM=0
while kill -0 "$RUN_PID" 2>/dev/null; do
  v=$(awk '/VmHWM/ {print $2}' /proc/$RUN_PID/status 2>/dev/null || echo 0)
  [ -n "$v" ] && [ "$v" -gt "$HWM" ] && HWM=$v
  sleep 0.2
done
wait "$RUN_PID" && RUN_RC=0 || RUN_RC=$?
RUN_DIR="$OUT/reports/latest"
# /usr/bin/time -v on a report-only re-run is not meaningful; time the whole run instead:
/usr/bin/time -v -o "$OUT/time.txt" $CROSSNET run --inventory "$INV" --reports "$OUT/reports-time" --filter LabSmoke >/dev/null 2>&1 || true
echo "run exit status: $RUN_RC; reports in $(readlink -f "$RUN_DIR")"

# ---------------------------------------------------------------- 1: throughput vs hand-run iperf3
read -r H1 A1 <<<"${HOSTS[0]}"
read -r H2 A2 <<<"${HOSTS[1]}"
timeout 30 $CROSSNET lab exec --dir "$LAB_DIR" "$H2" -- iperf3 -s -1 >/dev/null 2>&1 &
SRV=$!
sleep 1
$CROSSNET lab exec --dir "$LAB_DIR" "$H1" -- iperf3 -c "$A2" -t 5 -J >"$OUT/iperf3.json" 2>/dev/null || true
wait "$SRV" 2>/dev/null || true
python3 - "$RUN_DIR/results.json" "$OUT/iperf3.json" "$H1" "$H2" <<'PY' | tee "$OUT/throughput.txt"
import json, sys
results, iperf, h1, h2 = sys.argv[1:5]
try:
    hand = json.load(open(iperf))["end"]["sum_received"]["bits_per_second"]
except Exception as e:
    hand = None
recs = [m for m in json.load(open(results))["measurements"]
        if m["metric"] == "throughput" and m["protocol"] == "tcp" and (m["parameters"].get("streams") or 1) == 1]
pick = [m for m in recs if m["driver"] == "host" and m["source"] == h1 and m["target"] == h2] or \
       [m for m in recs if m["source"] == h1 and m["target"] == h2] or recs
print(f"hand-run iperf3 {h1}->{h2} (host network, 5 s): " + (f"{hand/1e9:.2f} Gbit/s" if hand else "n/a"))
if pick and hand:
    m = pick[0]
    print(f"crossnet {m['driver']} {m['source']}->{m['target']}: {m['value']/1e9:.2f} Gbit/s")
    print(f"throughput ratio crossnet / hand-run: {m['value']/hand:.3f}")
else:
    print("throughput ratio: n/a (the run recorded no TCP throughput: measurement suites are not in this build)")
PY

# ---------------------------------------------------------------- 2: setup+teardown, Crossnet
python3 - "$RUN_DIR/events.jsonl" <<'PY' | tee "$OUT/crossnet-setup.txt"
import json, sys
tests, start, end = {}, {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line); p = r["payload"]
    if r["kind"] == "test": tests[p["id"]] = p
    elif p["kind"] in ("testStarted", "testEnded") and "_testCase" not in p and p.get("testID"):
        (start if p["kind"] == "testStarted" else end)[p["testID"]] = p["instant"]["since1970"]
total = 0.0
for sid, s in tests.items():
    if s["kind"] != "suite" or sid not in start or sid not in end: continue
    if not any(t in ".bridge .userBridge .compose .hostNetwork .noneNetwork .overlay .macvlan".split() for t in s.get("_tags", [])): continue
    inner = sum(end[t] - start[t] for t in tests if t.startswith(sid + "/") and t in start and t in end)
    setup = (end[sid] - start[sid]) - inner
    total += setup
    print(f"crossnet setup+teardown {s['displayName']:<22} {setup:7.2f} s")
print(f"crossnet setup+teardown all topologies: {total:.2f} s")
PY
CROSSNET_SETUP=$(awk '/all topologies/ {print $(NF-1)}' "$OUT/crossnet-setup.txt")

# ---------------------------------------------------------------- 2: setup+teardown, bash + ssh + docker
IMAGE=$(docker --host "unix://$LAB_DIR/${HOSTS[0]%% *}/docker.sock" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep crossnet/probe | head -1 || true)
[ -z "$IMAGE" ] && IMAGE=$($CROSSNET lab exec --dir "$LAB_DIR" "$H1" -- docker images --format '{{.Repository}}:{{.Tag}}' | grep crossnet/probe | head -1)
SSH=(ssh -i "$LAB_DIR/id_ed25519" -o UserKnownHostsFile="$LAB_DIR/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR)
SERVE='sh -c "echo crossnet > /tmp/index.html && httpd -p 8080 -h /tmp && exec sleep infinity"'
on() { local addr=$1; shift; "${SSH[@]}" "root@$addr" "$@"; }
# each 'docker … @H@ …': runs the command on every host (one ssh each), @H@ → the host's name.
each() { for h in "${HOSTS[@]}"; do read -r n a <<<"$h"; on "$a" "${1//@H@/$n}" >/dev/null; done; }
L="--label crossnet.bench=1"
MV=$(python3 -c 'import sys,yaml; m=yaml.safe_load(open(sys.argv[1]))["network"]["macvlan"]; print(m["subnet"], m["gateway"], " ".join(f"{k}={v}" for k,v in m["ranges"].items()))' "$INV")
read -r MV_SUBNET MV_GW MV_RANGES <<<"$MV"

bash_topologies() {
  # default bridge: 2 probes per host
  each "docker run -d $L --name bb-@H@-a $IMAGE $SERVE && docker run -d $L --name bb-@H@-b $IMAGE $SERVE"
  each "docker rm -f bb-@H@-a bb-@H@-b"
  # user-defined bridge
  each "docker network create $L bub && docker run -d $L --name bub-@H@-a --network bub $IMAGE $SERVE && docker run -d $L --name bub-@H@-b --network bub $IMAGE $SERVE"
  each "docker rm -f bub-@H@-a bub-@H@-b && docker network rm bub"
  # compose model: project network, service names as aliases
  each "docker network create $L bproj_default && docker run -d $L --name bproj-web-@H@ --network bproj_default --network-alias web $IMAGE $SERVE && docker run -d $L --name bproj-client-@H@ --network bproj_default --network-alias client $IMAGE $SERVE"
  each "docker rm -f bproj-web-@H@ bproj-client-@H@ && docker network rm bproj_default"
  # host network, none network
  each "docker run -d $L --name bhost-@H@ --network host $IMAGE sh -c 'exec sleep infinity'"
  each "docker rm -f bhost-@H@"
  each "docker run -d $L --name bnone-@H@ --network none $IMAGE $SERVE"
  each "docker rm -f bnone-@H@"
  # macvlan: a network per host on its interface, one probe each
  for h in "${HOSTS[@]}"; do read -r n a <<<"$h"; r=$(tr ' ' '\n' <<<"$MV_RANGES" | awk -F= -v n="$n" '$1==n {print $2}')
    on "$a" "docker network create $L -d macvlan --subnet $MV_SUBNET --gateway $MV_GW --ip-range $r -o parent=eth0 bmvl && docker run -d $L --name bmvl-$n --network bmvl $IMAGE $SERVE" >/dev/null; done
  each "docker rm -f bmvl-@H@ && docker network rm bmvl"
  # overlay: swarm, attachable overlay, global service, a probe per host, then all gone
  read -r n1 a1 <<<"${HOSTS[0]}"
  local made_swarm=0
  if [ "$(on "$a1" "docker info --format '{{.Swarm.LocalNodeState}}'")" != active ]; then
    made_swarm=1
    on "$a1" "docker swarm init --advertise-addr $a1" >/dev/null
    TOKEN=$(on "$a1" "docker swarm join-token -q worker")
    for h in "${HOSTS[@]:1}"; do read -r n a <<<"$h"; on "$a" "docker swarm join --token $TOKEN $a1:2377" >/dev/null; done
  fi
  on "$a1" "docker network create $L -d overlay --attachable bovl && docker service create -d --name bweb --mode global --endpoint-mode dnsrr --network bovl $IMAGE $SERVE" >/dev/null 2>&1
  until [ "$(on "$a1" "docker service ps bweb --filter desired-state=running --format '{{.CurrentState}}' | grep -c Running")" -ge "${#HOSTS[@]}" ]; do sleep 0.5; done
  each "docker run -d $L --name bovl-@H@ --network bovl $IMAGE $SERVE"
  each "docker rm -f bovl-@H@"
  on "$a1" "docker service rm bweb && sleep 1 && docker network rm bovl" >/dev/null 2>&1 || true
  if [ "$made_swarm" = 1 ]; then
    for h in "${HOSTS[@]:1}"; do read -r n a <<<"$h"; on "$a" "docker swarm leave --force" >/dev/null; done
    on "$a1" "docker swarm leave --force" >/dev/null
  fi
}
T0=$(date +%s.%N)
bash_topologies
T1=$(date +%s.%N)
BASH_SETUP=$(python3 -c "print(f'{$T1-$T0:.2f}')")
echo "bash+ssh+docker setup+teardown all topologies: $BASH_SETUP s"
python3 -c "print(f'setup+teardown ratio crossnet / bash: {float(\"$CROSSNET_SETUP\")/float(\"$BASH_SETUP\"):.3f}')"

# ---------------------------------------------------------------- 3: memory
echo "crossnet process peak RSS (VmHWM, full run): $((HWM / 1024)) MiB"
awk -F: '/Maximum resident/ {gsub(/ /,"",$2); printf "peak RSS incl. largest child (/usr/bin/time -v, LabSmoke run): %d MiB\n", $2/1024}' "$OUT/time.txt"
