#!/bin/sh
# make run: the main job on the embedded gateway. Starts mt5-gateway on
# ephemeral loopback ports, runs the Gate-1 connection check against it,
# appends the run to reports/VERIFY_LOG.log, prints the result line and
# stops the gateway. Exit status: verify-connection's.
set -u
bin=$1
reports=$2
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
        exit 1
    fi
    sleep 0.05
done
cat "$tmp/gateway.out"
endpoint=$(sed -n 's/.*listening command=\([^ ]*\).*/\1/p' "$tmp/gateway.out")

"$bin/verify-connection" --endpoint "$endpoint" --timeout-ms 5000 --log "$reports/VERIFY_LOG.log"
status=$?
echo "VERIFY_LOG: $reports/VERIFY_LOG.log"
tail -n 1 "$reports/VERIFY_LOG.log"
exit $status
