#!/usr/bin/env bash
# Figures from Crossnet runs on a virtual lab (4 hosts by default):
#   1. peak RSS of everything a run starts (the crossnet process and all its descendants, summed,
#      sampled from /proc every 100 ms by bench/peak-rss.py), for `crossnet run --quick` and for a
#      short full run (--duration 1 --repeats 1 --pairs star), both against the lab's hosts as a
#      hand-written inventory would name them (no `virtual_lab` marker: no self-test runs); goal
#      < 64 MiB; SSH logins per host;
#   2. Crossnet's measured TCP throughput ÷ a hand-run iperf3 on the same pair (host network).
# `crossnet run --quick` against a bash walk-through (ssh + docker CLI) is bench/seed.sh.
#
# Usage: bench/run.sh   (env: LAB_DIR=/tmp/lab-bench SUBNET=198.18.30.0/24 HOSTS=4 OUT=/tmp/crossnet-bench
#                         CROSSNET=.build/debug/crossnet DURATION=1 REPEATS=1 PAIRS=star)
# Brings a lab up in LAB_DIR when none is up there, and down again at the end if it did.
# Exit 1 when a run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB_DIR=${LAB_DIR:-/tmp/lab-bench}
SUBNET=${SUBNET:-198.18.30.0/24}
HOSTS=${HOSTS:-4}
OUT=${OUT:-/tmp/crossnet-bench}
CROSSNET=${CROSSNET:-.build/debug/crossnet}
DURATION=${DURATION:-1} REPEATS=${REPEATS:-1} PAIRS=${PAIRS:-star}
mkdir -p "$OUT"

if [ "$CROSSNET" = .build/debug/crossnet ] && command -v swift >/dev/null; then swift build >/dev/null; fi
# Absolute paths: the measured runs start from another folder.
CROSSNET=$(realpath "$CROSSNET") LAB_DIR=$(realpath -m "$LAB_DIR") OUT=$(realpath -m "$OUT")
PEAK_RSS=$(pwd)/bench/peak-rss.py
BROUGHT_UP=0
if [ ! -f "$LAB_DIR/inventory.yaml" ] || ! $CROSSNET lab status --dir "$LAB_DIR" >/dev/null 2>&1; then
  $CROSSNET lab up --dir "$LAB_DIR" --hosts "$HOSTS" --subnet "$SUBNET" >"$OUT/lab-up.log" 2>&1 ||
    { cat "$OUT/lab-up.log" >&2; exit 1; }
  BROUGHT_UP=1
fi
cleanup() { if [ "$BROUGHT_UP" = 1 ]; then $CROSSNET lab down --dir "$LAB_DIR" >/dev/null || true; fi; }
trap cleanup EXIT
LAB_INV="$LAB_DIR/inventory.yaml"
# The runs use the lab's hosts as a user's inventory would name them: the same file without the
# `virtual_lab` marker, so no self-test (tc accuracy, unplugging a host, …) runs, as on a real lab.
INV="$LAB_DIR/inventory-by-hand.yaml"
grep -v '^virtual_lab:' "$LAB_INV" >"$INV"

# Host list from the inventory: name address
mapfile -t HOSTLIST < <(python3 -c '
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
for h in inv["hosts"]: print(h["name"], h["address"])' "$LAB_INV")
echo "lab: ${#HOSTLIST[@]} hosts ($INV)"

logins() {  # "N N …": 'Accepted publickey' lines in each lab host's sshd.log
  local h n
  for h in "${HOSTLIST[@]}"; do
    n=$(grep -c 'Accepted publickey' "$LAB_DIR/${h%% *}/sshd.log" 2>/dev/null || true); echo "${n:-0}"
  done | paste -sd' '
}
per_host() {  # per_host "BEFORE" "AFTER" → "h1 1, h2 1, …"
  local -a b=($1) a=($2); local i out=""
  for i in "${!a[@]}"; do out+="${HOSTLIST[$i]%% *} $((a[i] - b[i])), "; done
  echo "${out%, }"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
key() { awk -F= -v k="$1" '$1 == k { print $2 }' "$2"; }

# measured NAME -- crossnet run ARGS…: one run under bench/peak-rss.py; prints its figures
FAILED=0
measured() {
  local name=$1; shift 2
  local before after rc=0
  before=$(logins)
  "$PEAK_RSS" "$OUT/$name.rss" -- "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || rc=$?
  after=$(logins)
  local f=$OUT/$name.rss
  echo "== $name: exit $rc, $(key wall_s "$f") s, ssh logins per host: $(per_host "$before" "$after")"
  echo "   peak RSS, crossnet + descendants (sum of VmRSS, sampled every 100 ms): $(mib "$(key peak_rss_kib "$f")") at $(key peak_at_s "$f") s"
  echo "   of which anonymous (RssAnon; the rest is the binary and libraries):   $(mib "$(key peak_anon_kib "$f")")"
  echo "   sum of each process's own peak (VmHWM, upper bound):                  $(mib "$(key sum_hwm_kib "$f")")"
  echo "   crossnet process alone (VmHWM):                                        $(mib "$(key root_hwm_kib "$f")")"
  echo "   processes in the tree: $(key processes "$f") ($(key samples "$f") samples; timeline: $f.timeline)"
  awk -F= '$1 == "peak_rss_kib" { printf "   goal < 64 MiB: %s\n", ($2 < 65536 ? "met" : "NOT met") }' "$f"
  grep -E '^[0-9]+ passed' "$OUT/$name.out" | tail -1 | sed 's/^/   /' || true
  if [ $rc != 0 ]; then FAILED=1; echo "   !! run failed: $OUT/$name.out, $OUT/$name.err"; fi
}

# ---------------------------------------------------------------- 1: memory, quick and short full run
# The runs use a copy of the binary in a folder outside the repository, started from there with a
# bare environment: no Swift toolchain on PATH, no source tree (a user's copied binary).
RUNDIR=$(mktemp -d /tmp/crossnet-bench-bin.XXXXXX)
cp "$CROSSNET" "$RUNDIR/crossnet"
RUN=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME" "$RUNDIR/crossnet")
cd "$RUNDIR"
measured quick -- "${RUN[@]}" run --quick --inventory "$INV" --reports "$OUT/reports-quick"
measured full -- "${RUN[@]}" run --inventory "$INV" --reports "$OUT/reports" \
  --duration "$DURATION" --repeats "$REPEATS" --pairs "$PAIRS"
RUN_DIR="$OUT/reports/latest"
cd "$OLDPWD"
rm -rf "$RUNDIR"

# ---------------------------------------------------------------- 2: throughput vs hand-run iperf3
read -r H1 A1 <<<"${HOSTLIST[0]}"
read -r H2 A2 <<<"${HOSTLIST[1]}"
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
try:
    recs = [m for m in json.load(open(results))["measurements"]
            if m["metric"] == "throughput" and m["protocol"] == "tcp" and (m["parameters"].get("streams") or 1) == 1]
except Exception:
    recs = []
recs = [m for m in recs if "tbf" not in m["test"]]  # the accuracy self-test's capped link is no peer
pick = [m for m in recs if m["driver"] == "host" and m["source"] == h1 and m["target"] == h2] or \
       [m for m in recs if m["source"] == h1 and m["target"] == h2] or recs
print(f"hand-run iperf3 {h1}->{h2} (host network, 5 s): " + (f"{hand/1e9:.2f} Gbit/s" if hand else "n/a"))
if pick and hand:
    m = pick[0]
    print(f"crossnet {m['driver']} {m['source']}->{m['target']}: {m['value']/1e9:.2f} Gbit/s")
    print(f"throughput ratio crossnet / hand-run: {m['value']/hand:.3f}")
else:
    print("throughput ratio: n/a (the run recorded no TCP throughput)")
PY
exit $FAILED
