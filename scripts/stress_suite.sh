#!/usr/bin/env bash
# Run a pytest selection several times in a row while busy loops load the CPUs, as a loaded CI
# machine would; print each run's wall time. The busy loops are always killed on exit.
#
#   scripts/stress_suite.sh                 # two busy loops, `-m browser`, twice
#   LOOPS=4 RUNS=3 scripts/stress_suite.sh -m "not gpu"
#
# Waits in the browser tests are bounded by tests/browser_harness.py; scale them with
# PLAYGROUND_TEST_TIMEOUT_SCALE on a machine slower than this load.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
loops="${LOOPS:-2}"
runs="${RUNS:-2}"
if (($# == 0)); then
    set -- -m browser
fi

busy=()
cleanup() {
    for pid in "${busy[@]}"; do
        kill "${pid}" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < loops; i++)); do
    python -c "while True: pass" &
    busy+=("$!")
done
echo "busy loops: ${busy[*]}"

status=0
for ((run = 1; run <= runs; run++)); do
    start=$(date +%s)
    if python -m pytest -q -p no:cacheprovider "$@"; then result=passed; else result=FAILED; status=1; fi
    echo "run ${run}/${runs}: ${result} in $(($(date +%s) - start)) s (${loops} busy loops)"
done
exit "${status}"
