#!/usr/bin/env bash
# The frontend's cost: GET /api/entries and GET / through the frontend, against the same backend calls
# made to the backend directly, in one run; see README.md.
# Env: see lib.sh (BENCH_CONNS defaults to "1 50" here), and BENCH_PORT (18110; the backend uses +1).
set -euo pipefail
# One connection shows the latency the frontend adds to a lone request; 50 show it under load.
default_conns="1 50"
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18110}

ensure_tools
build_services
database_dir=$(mktemp -d)
backend_probe=""
cleanup() {
    stop
    if [[ -n $backend_probe ]]; then kill -TERM "$backend_probe" 2>/dev/null || true; wait "$backend_probe" 2>/dev/null || true; fi
    rm -rf "$database_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

common=(ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_LEVEL=warning ACCESS_LOG=false DRAIN_SECONDS=0)
# Both services share the server CPU, as two containers on one node would; wrk has the other CPU.
start $((port + 1)) "${common[@]}" PORT=$((port + 1)) DATABASE_PATH="$database_dir/front.sqlite" SEED_ENTRIES=1000 -- "$bin/backend"
backend_probe=$PROBE_PID
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((port + 1))/readyz") == 200 ]]; do sleep 0.1; done
PROBE_PID=""
start "$port" "${common[@]}" PORT=$port BACKEND_URL="http://127.0.0.1:$((port + 1))" -- "$bin/frontend"

frontend=http://127.0.0.1:$port
backend=http://127.0.0.1:$((port + 1))
cpu_seconds() { curl -s "$frontend/metrics" | awk '$1 == "process_cpu_seconds_total" { print $2 }'; }

rows=() cpu_rows=()
for c in "${conns[@]}"; do
    run_wrk "$out/front-direct-entries-c$c.txt" "$c" "$backend/api/v1/entries?limit=20"
    direct_p50=$p50 direct_rps=$rps
    rows+=("| backend GET /api/v1/entries?limit=20 (direct) | $c | $rps | 1.00× | $p50 | $p99 | – |")
    for target in "/api/entries?limit=20" "/"; do
        before=$(cpu_seconds)
        run_wrk "$out/front-$(tr -c 'a-z' '_' <<<"$target")-c$c.txt" "$c" "$frontend$target"
        used=$(awk -v a="$before" -v b="$(cpu_seconds)" 'BEGIN { print b - a }')
        requests=$(awk '/requests in/ { print $1 }' "$out/front-$(tr -c 'a-z' '_' <<<"$target")-c$c.txt")
        added=$(awk -v a="$p50" -v b="$direct_p50" 'BEGIN { printf "%+.3f", a - b }')
        rows+=("| frontend GET $target | $c | $rps | $(ratio "$rps" "$direct_rps")× | $p50 | $p99 | $added |")
        cpu_rows+=("| GET $target | $c | $(awk -v u="$used" -v n="$requests" 'BEGIN { printf "%.1f", u / n * 1e6 }') |")
    done
done

echo
echo "frontend → backend, ${seconds}s per run, one loop each, both services on CPU $server_cpu, wrk on CPU $load_cpu (latencies in ms)"
echo
echo "| request | conns | req/s | ratio to direct | p50 | p99 | p50 added by the frontend |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Frontend CPU per request (CPU_WORK_MS=0, access log off; the frontend's own process only):"
echo
echo "| request | conns | µs CPU per request |"
echo "|---|---|---|"
printf '%s\n' "${cpu_rows[@]}"
echo
print_notes
