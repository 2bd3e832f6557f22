#!/usr/bin/env bash
# Crossnet's main job: the default virtual lab, every suite, reports in Reports/<run id>/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$PATH:/opt/swift/usr/bin"
swift build
crossnet=.build/debug/crossnet
"$crossnet" lab down --dir .lab --stale >/dev/null 2>&1 || true
"$crossnet" lab up --dir .lab
"$crossnet" image load --inventory .lab/inventory.yaml
run_id="$(date -u +%Y%m%dT%H%M%S)"
mkdir -p "Reports/$run_id"
status=0
CROSSNET_INVENTORY="$PWD/.lab/inventory.yaml" CROSSNET_RUN_ID="$run_id" \
  swift test --no-parallel --filter 'Suites\.' \
    --xunit-output "Reports/$run_id/junit.xml" \
    --event-stream-output-path "Reports/$run_id/events.jsonl" --event-stream-version 0 || status=$?
ln -sfn "$run_id" Reports/latest
echo "reports: Reports/$run_id"
exit "$status"
