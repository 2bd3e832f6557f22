#!/usr/bin/env bash
# Crossnet's main job: bring up the default virtual lab (or reuse it), load the probe image, run
# every suite in Suites/ against it and write the reports to Reports/<run id>/ (Reports/latest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$PATH:/opt/swift/usr/bin"
swift build
# A lab left by a killed run elsewhere on this machine is removed first; a live one is kept.
.build/debug/crossnet lab prune
exec .build/debug/crossnet run --reports Reports "$@"
