#!/usr/bin/env bash
# The guestbook API's cost: GET a page of 20 from 10,000 entries, and POST an entry (each commit fsynced),
# against the backend's own /healthz, measured round-robin in one run; see README.md.
# Env: see lib.sh, and BENCH_PORT (18100), BENCH_EVENT_LOOPS (1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18100}
loops=${BENCH_EVENT_LOOPS:-1}

ensure_tools
build_services
database_dir=$(mktemp -d)
trap 'stop_all; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

start "$port" PORT=$port ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=$loops LOG_LEVEL=warning ACCESS_LOG=false \
    DRAIN_SECONDS=0 DATABASE_PATH="$database_dir/api.sqlite" SEED_ENTRIES=10000 -- "$bin/backend"
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") == 200 ]]; do sleep 0.1; done

base=http://127.0.0.1:$port
requests=("GET /healthz" "GET /api/v1/entries?limit=20" "POST /api/v1/entries")
declare -A case_of
for c in "${conns[@]}"; do
    add_case "api-healthz-c$c" "$c" self "${requests[0]}" run_wrk "$c" "$base/healthz"
    case_of[0,$c]=$last_case
    add_case "api-list-c$c" "$c" "${case_of[0,$c]}" "${requests[1]}" run_wrk "$c" "$base/api/v1/entries?limit=20"
    case_of[1,$c]=$last_case
    add_case "api-post-c$c" "$c" "${case_of[0,$c]}" "${requests[2]}" run_wrk "$c" "$base/api/v1/entries" -s "$here/post-entry.lua"
    case_of[2,$c]=$last_case
done
run_rounds
entries=$(curl -s "$base/metrics" | awk '$1 == "guestbook_entries" { print $2 }')

echo
echo "backend API, $loops event loop(s), wrk -t1 on CPU $load_cpu, server on CPU $server_cpu (latencies in ms)"
method_line "each request at each connection count"
echo "database: $database_dir (seeded with 10,000 entries; $entries at the end), synchronous=FULL"
echo
echo "| request | conns | req/s | ratio to /healthz | ratio min–max | p50 | p99 |"
echo "|---|---|---|---|---|---|---|"
for c in "${conns[@]}"; do
    for k in 0 1 2; do
        summarize "${case_of[$k,$c]}"
        echo "| ${requests[$k]} | $c | $med_rps | ${ratio_med}× | $ratio_spread | $med_p50 | $med_p99 |"
    done
done
echo
print_notes
