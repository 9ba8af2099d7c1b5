#!/usr/bin/env bash
# The load generator's own speed: closed-loop loadgen against wrk at the same connection count, both on
# one CPU against the backend's /healthz on the other, in one run; see README.md.
# Env: see lib.sh, and BENCH_PORT (18120).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18120}

ensure_tools
build_services
database_dir=$(mktemp -d)
trap 'stop; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

start "$port" PORT=$port ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_LEVEL=warning ACCESS_LOG=false \
    DRAIN_SECONDS=0 DATABASE_PATH="$database_dir/bench.sqlite" -- "$bin/backend"
url=http://127.0.0.1:$port/healthz

rows=()
for c in "${conns[@]}"; do
    run_wrk "$out/lg-wrk-c$c.txt" "$c" "$url"
    wrk_rps=$rps
    rows+=("| wrk -t1 | $c | $rps | 1.00× | $p50 | $p99 |")
    taskset -c "$load_cpu" "$bin/loadgen" "$url" --connections "$c" --duration "${seconds}s" --event-loops 1 \
        --quiet --json "$out/lg-loadgen-c$c.json" >"$out/lg-loadgen-c$c.txt"
    read -r rps p50 p99 < <(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["requests"]["perSecond"], d["latencyMs"]["p50"], d["latencyMs"]["p99"])' "$out/lg-loadgen-c$c.json")
    rows+=("| loadgen, 1 loop | $c | $rps | $(ratio "$rps" "$wrk_rps")× | $p50 | $p99 |")
done

echo
echo "closed loop against backend /healthz, ${seconds}s per run; load tool on CPU $load_cpu, server on CPU $server_cpu (latencies in ms)"
echo
echo "| tool | conns | req/s | ratio to wrk | p50 | p99 |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
print_notes
