#!/usr/bin/env bash
# The frontend's cost: GET /api/entries and GET / through the frontend, against the same backend calls
# made to the backend directly, measured round-robin in one run; see README.md.
# Env: see lib.sh (BENCH_CONNS defaults to "1 50" here), and BENCH_PORT (18110; the backend uses +1).
set -euo pipefail
# One connection shows the latency the frontend adds to a lone request; 50 show it under load.
default_conns="1 50"
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18110}

ensure_tools
build_services
database_dir=$(mktemp -d)
trap 'stop_all; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

common=(ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_LEVEL=warning ACCESS_LOG=false DRAIN_SECONDS=0)
# Both services share the server CPU, as two containers on one node would; wrk has the other CPU.
start $((port + 1)) "${common[@]}" PORT=$((port + 1)) DATABASE_PATH="$database_dir/front.sqlite" SEED_ENTRIES=1000 -- "$bin/backend"
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((port + 1))/readyz") == 200 ]]; do sleep 0.1; done
start "$port" "${common[@]}" PORT=$port BACKEND_URL="http://127.0.0.1:$((port + 1))" -- "$bin/frontend"

frontend=http://127.0.0.1:$port
backend=http://127.0.0.1:$((port + 1))
cpu_seconds() { curl -s "$frontend/metrics" | awk '$1 == "process_cpu_seconds_total" { print $2 }'; }

# measure_frontend LOG CONNS URL   run_wrk, and sets extra to the frontend's own µs of CPU per request
measure_frontend() {
    local before used requests
    before=$(cpu_seconds)
    run_wrk "$@"
    used=$(awk -v a="$before" -v b="$(cpu_seconds)" 'BEGIN { print b - a }')
    requests=$(awk '/requests in/ { print $1 }' "$1")
    extra=$(awk -v u="$used" -v n="$requests" 'BEGIN { print u / n * 1e6 }')
}

targets=("/api/entries?limit=20" "/")
declare -A case_of
for c in "${conns[@]}"; do
    add_case "front-direct-entries-c$c" "$c" self "backend GET /api/v1/entries?limit=20 (direct)" \
        run_wrk "$c" "$backend/api/v1/entries?limit=20"
    case_of[direct,$c]=$last_case
    for k in 0 1; do
        add_case "front-$(tr -c 'a-z' '_' <<<"${targets[$k]}")-c$c" "$c" "${case_of[direct,$c]}" "frontend GET ${targets[$k]}" \
            measure_frontend "$c" "$frontend${targets[$k]}"
        case_of[$k,$c]=$last_case
    done
done
run_rounds

echo
echo "frontend → backend, one loop each, both services on CPU $server_cpu, wrk on CPU $load_cpu (latencies in ms)"
method_line "each request at each connection count"
echo
echo "| request | conns | req/s | ratio to direct | ratio min–max | p50 | p99 | p50 added by the frontend |"
echo "|---|---|---|---|---|---|---|---|"
cpu_rows=()
for c in "${conns[@]}"; do
    summarize "${case_of[direct,$c]}"
    echo "| ${case_label[${case_of[direct,$c]}]} | $c | $med_rps | 1.00× | – | $med_p50 | $med_p99 | – |"
    for k in 0 1; do
        summarize "${case_of[$k,$c]}"
        echo "| ${case_label[${case_of[$k,$c]}]} | $c | $med_rps | ${ratio_med}× | $ratio_spread | $med_p50 | $med_p99 | $p50_added |"
        cpu_rows+=("| GET ${targets[$k]} | $c | $(printf '%.1f' "$med_extra") |")
    done
done
echo
echo "Frontend CPU per request (CPU_WORK_MS=0, access log off; the frontend's own process only; median over the rounds):"
echo
echo "| request | conns | µs CPU per request |"
echo "|---|---|---|"
printf '%s\n' "${cpu_rows[@]}"
echo
print_notes
