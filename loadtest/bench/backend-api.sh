#!/usr/bin/env bash
# The guestbook API's cost: GET a page of 20 from 10,000 entries, and POST an entry (each commit fsynced),
# against the backend's own /healthz in the same run; see README.md.
# Env: see lib.sh, and BENCH_PORT (18100), BENCH_EVENT_LOOPS (1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18100}
loops=${BENCH_EVENT_LOOPS:-1}

ensure_tools
build_services
database_dir=$(mktemp -d)
trap 'stop; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

start "$port" PORT=$port ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=$loops LOG_LEVEL=warning ACCESS_LOG=false \
    DRAIN_SECONDS=0 DATABASE_PATH="$database_dir/api.sqlite" SEED_ENTRIES=10000 -- "$bin/backend"
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") == 200 ]]; do sleep 0.1; done

base=http://127.0.0.1:$port
rows=()
for c in "${conns[@]}"; do
    run_wrk "$out/api-healthz-c$c.txt" "$c" "$base/healthz"
    healthz=$rps
    rows+=("| GET /healthz | $c | $rps | 1.00× | $p50 | $p99 |")
    run_wrk "$out/api-list-c$c.txt" "$c" "$base/api/v1/entries?limit=20"
    rows+=("| GET /api/v1/entries?limit=20 | $c | $rps | $(ratio "$rps" "$healthz")× | $p50 | $p99 |")
    run_wrk "$out/api-post-c$c.txt" "$c" "$base/api/v1/entries" -s "$here/post-entry.lua"
    rows+=("| POST /api/v1/entries | $c | $rps | $(ratio "$rps" "$healthz")× | $p50 | $p99 |")
done
entries=$(curl -s "$base/metrics" | awk '$1 == "guestbook_entries" { print $2 }')
stop

echo
echo "backend API, ${seconds}s per run, $loops event loop(s), wrk -t1 on CPU $load_cpu, server on CPU $server_cpu (latencies in ms)"
echo "database: $database_dir (seeded with 10,000 entries; $entries at the end), synchronous=FULL"
echo
echo "| request | conns | req/s | ratio to /healthz | p50 | p99 |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
print_notes
