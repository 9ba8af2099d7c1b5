#!/usr/bin/env bash
# The load generator's own speed: closed-loop loadgen against wrk at the same connection count, both on
# one CPU against the backend's /healthz on the other, measured round-robin in one run; see README.md.
# Env: see lib.sh, and BENCH_PORT (18120).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18120}

ensure_tools
build_services
database_dir=$(mktemp -d)
trap 'stop_all; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

start "$port" PORT=$port ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_LEVEL=warning ACCESS_LOG=false \
    DRAIN_SECONDS=0 DATABASE_PATH="$database_dir/bench.sqlite" -- "$bin/backend"
url=http://127.0.0.1:$port/healthz

# measure_loadgen LOG CONNS URL   one closed-loop loadgen run on one loop; sets rps, p50, p99
measure_loadgen() {
    local log=$1 c=$2 target=$3
    taskset -c "$load_cpu" "$bin/loadgen" "$target" --connections "$c" --duration "${seconds}s" --event-loops 1 \
        --quiet --json "${log%.txt}.json" >"$log"
    read -r rps p50 p99 < <(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["requests"]["perSecond"], d["latencyMs"]["p50"], d["latencyMs"]["p99"])' "${log%.txt}.json")
}

declare -A case_of
for c in "${conns[@]}"; do
    add_case "lg-wrk-c$c" "$c" self "wrk -t1" run_wrk "$c" "$url"
    case_of[wrk,$c]=$last_case
    add_case "lg-loadgen-c$c" "$c" "${case_of[wrk,$c]}" "loadgen, 1 loop" measure_loadgen "$c" "$url"
    case_of[loadgen,$c]=$last_case
done
run_rounds

echo
echo "closed loop against backend /healthz; load tool on CPU $load_cpu, server on CPU $server_cpu (latencies in ms)"
method_line "each tool at each connection count"
echo
echo "| tool | conns | req/s | ratio to wrk | ratio min–max | p50 | p99 |"
echo "|---|---|---|---|---|---|---|"
for c in "${conns[@]}"; do
    for tool in wrk loadgen; do
        summarize "${case_of[$tool,$c]}"
        echo "| ${case_label[${case_of[$tool,$c]}]} | $c | $med_rps | ${ratio_med}× | $ratio_spread | $med_p50 | $med_p99 |"
    done
done
echo
print_notes
