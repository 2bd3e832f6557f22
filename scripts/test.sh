#!/usr/bin/env bash
# Crossnet's test command: installs what it needs, builds, brings up a fresh 3-host virtual lab,
# checks it with `crossnet check`, runs every unit test and every lab suite (`swift test`), and
# brings the lab down again (also when something fails).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$PATH:/opt/swift/usr/bin"

echo "== build"
swift build

LAB_DIR="${CROSSNET_TEST_LAB_DIR:-.lab-test}"
LAB_SUBNET="${CROSSNET_TEST_SUBNET:-198.18.100.0/24}"
crossnet=.build/debug/crossnet

echo "== virtual lab ($LAB_DIR, $LAB_SUBNET)"
# A lab left by a killed run (this folder's, or any other whose daemons are gone) is removed first.
"$crossnet" lab prune
"$crossnet" lab down --dir "$LAB_DIR"
REAL_DIR="${CROSSNET_TEST_REAL_LAB_DIR:-.lab-real}"
REAL_SUBNET="${CROSSNET_TEST_REAL_SUBNET:-198.18.104.0/24}"
"$crossnet" lab down --dir "$REAL_DIR"
trap '"$crossnet" lab down --dir "$LAB_DIR" || true; "$crossnet" lab down --dir "$REAL_DIR" || true' EXIT
"$crossnet" lab up --dir "$LAB_DIR" --hosts 3 --subnet "$LAB_SUBNET"
"$crossnet" image load --inventory "$LAB_DIR/inventory.yaml"
"$crossnet" check --inventory "$LAB_DIR/inventory.yaml"

echo "== swift test (unit tests and lab suites)"
export CROSSNET_INVENTORY="$PWD/$LAB_DIR/inventory.yaml"
# Short measurements in tests: 1 s per iperf3 run (plus the omitted first second), 2 repeats,
# star pairs, 100 latency samples. The main job uses the inventory's settings.
export CROSSNET_MEASURE_DURATION="${CROSSNET_MEASURE_DURATION:-1}"
export CROSSNET_MEASURE_REPEATS="${CROSSNET_MEASURE_REPEATS:-2}"
export CROSSNET_MEASURE_PAIRS="${CROSSNET_MEASURE_PAIRS:-star}"
export CROSSNET_MEASURE_SAMPLES="${CROSSNET_MEASURE_SAMPLES:-100}"
swift test --no-parallel
"$crossnet" lab down --dir "$LAB_DIR"

echo "== a lab that looks like a real one ($REAL_DIR, $REAL_SUBNET)"
# Non-root SSH user in the docker group, sshd on port 2222, interface ens3, h2 and h3 reachable only
# through the bastion h1 (ProxyJump in the ssh_config written next to the inventory), and every
# Engine behind a gate that behaves like Docker 29 (API floor 1.44). The user suites' claims run on
# it from the built binary, in one process.
"$crossnet" lab up --dir "$REAL_DIR" --hosts 3 --subnet "$REAL_SUBNET" --look-real --engine docker29
"$crossnet" check --inventory "$REAL_DIR/inventory.yaml" --ssh-config "$REAL_DIR/ssh_config"
"$crossnet" run --quick --inventory "$REAL_DIR/inventory.yaml" --ssh-config "$REAL_DIR/ssh_config" --reports "$REAL_DIR/reports"
