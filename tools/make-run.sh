#!/bin/sh
# make run: the main job on the embedded gateway. Starts mt5-gateway on
# ephemeral loopback ports, runs the Gate-1 auditor of TASK #004 against a
# copy of the passing fixture tree (handshake included: the audit appends
# its run to the copy's VERIFY_LOG.log), prints the AUDIT SUMMARY and
# writes the JSON and JUnit reports under reports/. Stops the gateway.
# Exit status: the auditor's (0 Gate 1 passed, 1 failed, 2 usage, 3 internal).
#
# The fixture is an mt5-crs checkout without Python packages, so the
# Python tools the manifest calls are the stand-ins in fixtures/stubs
# (fixtures/README.md); everything else (files, patterns, the log, the
# port, the handshake, libzmq's version) is real.
set -u
bin=$1
reports=$2
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$reports"
tmp=$(mktemp -d)
gw_pid=""
cleanup() {
    [ -n "$gw_pid" ] && kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# The build is instrumented for coverage; keep this run's counters out of it.
export GCOV_PREFIX="$tmp/gcov"

"$bin/mt5-gateway" --bind 'tcp://127.0.0.1:*' --stream 'tcp://127.0.0.1:*' >"$tmp/gateway.out" 2>"$tmp/gateway.err" &
gw_pid=$!
i=0
until grep -q listening "$tmp/gateway.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$gw_pid" 2>/dev/null; then
        echo "make run: the gateway did not start:" >&2
        cat "$tmp/gateway.err" >&2
        exit 3
    fi
    sleep 0.05
done
cat "$tmp/gateway.out"
endpoint=$(sed -n 's/.*listening command=\([^ ]*\).*/\1/p' "$tmp/gateway.out")
port=${endpoint##*:}

cp -R "$src/fixtures/task004/pass" "$tmp/mt5-crs"
echo "make run: auditing TASK #004 in a copy of fixtures/task004/pass against $endpoint"
echo
PYTHON="$src/fixtures/stubs/python3" MT5_HOST=127.0.0.1 MT5_PORT="$port" MT5_ENDPOINT="$endpoint" \
    "$bin/audit-task-004" --root "$tmp/mt5-crs" \
    --output "json:$reports/gate1-task-004.json" --output "junit:$reports/gate1-task-004.junit.xml"
status=$?
echo
echo "Reports: $reports/gate1-task-004.json $reports/gate1-task-004.junit.xml"
echo "VERIFY_LOG (last line): $(tail -n 1 "$tmp/mt5-crs/docs/archive/tasks/TASK_004_CONN_TEST/VERIFY_LOG.log")"
exit $status
