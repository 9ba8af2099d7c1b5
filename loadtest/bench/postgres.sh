#!/usr/bin/env bash
# The backend on PostgreSQL against pgbench, the ceiling: GET a page of 20 and POST an entry at 50
# connections, on SQLite, on PostgreSQL with one backend loop and with two, and pgbench running the same
# keyset SELECT and single-row INSERT as custom scripts (prepared, 50 clients) against the same server,
# all measured round-robin in one run; see README.md.
# Env: see lib.sh (BENCH_CONNS defaults to 50 here), and BENCH_PORT (18150; the backends use +0..2).
# POSTGRES_POOL_SIZE and POSTGRES_PIPELINE_DEPTH, when set, reach the PostgreSQL backends.
set -euo pipefail
default_conns=50
source "$(dirname "$0")/lib.sh"
source "$root/scripts/lib/setup.sh"
source "$root/scripts/lib/postgres.sh"
port=${BENCH_PORT:-18150}

ensure_tools
ensure_postgres
build_services
work=$(mktemp -d "${TMPDIR:-/tmp}/skalar-bench-pg.XXXXXX")
server=$(mktemp -d "${TMPDIR:-/tmp}/skalar-bench-pg-server.XXXXXX")   # apart: the server's user enters it
trap 'stop_all; postgres_stop "$server" || true; rm -rf "$work" "$server"' EXIT
trap 'exit 130' INT TERM

# The server as Debian configures it (fsync on, synchronous_commit on), not pinned: it serves every case.
postgres_start "$server" >/dev/null
postgres_psql "$server" -q -c "CREATE DATABASE bench"
url=${POSTGRES_URL%/skalar}/bench
pgbench_bin="$(postgres_bin)/pgbench"

common=(ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 LOG_LEVEL=warning ACCESS_LOG=false DRAIN_SECONDS=0 SEED_ENTRIES=10000)
start "$port" PORT=$port EVENT_LOOPS=1 "${common[@]}" DATABASE_PATH="$work/api.sqlite" -- "$bin/backend"
start "$((port + 1))" PORT=$((port + 1)) EVENT_LOOPS=1 "${common[@]}" DATABASE_URL="$url" -- "$bin/backend"
saved_cpu=$server_cpu
server_cpu="$server_cpu,$load_cpu"   # two loops get two CPUs, the second shared with the load
start "$((port + 2))" PORT=$((port + 2)) EVENT_LOOPS=2 "${common[@]}" DATABASE_URL="$url" -- "$bin/backend"
server_cpu=$saved_cpu

# The statements the store prepares for these requests (PostgresSchema.selectPage, .insert), as pgbench
# scripts: the first page asks for 21 rows (one more says whether a next page follows).
cat >"$work/select.sql" <<'SQL'
SELECT id, author, message, created_at FROM entries WHERE id < 9223372036854775807 ORDER BY id DESC LIMIT 21;
SQL
cat >"$work/insert.sql" <<'SQL'
INSERT INTO entries (author, message, created_at) VALUES ('bench', 'A guestbook entry written by the benchmark.', 1764633600000) RETURNING id;
SQL

# run_pgbench LOG CONNS SCRIPT   sets rps and, as p50, pgbench's mean latency; p99 is not known (0): one
# pgbench thread reads its clock lazily, once per round of its loop, so its per-transaction log gives
# many 0 µs transactions and no true percentiles.
run_pgbench() {
    local log=$1 c=$2 script=$3
    taskset -c "$load_cpu" "$pgbench_bin" --no-vacuum --protocol=prepared --client="$c" --jobs=1 \
        --time="$seconds" --file="$script" "$url" >"$log" 2>&1
    rps=$(awk '/^tps = / { print $3 }' "$log")
    p50=$(awk '/^latency average = / { print $4 }' "$log")
    p99=0
}

rows=("SQLite, 1 loop" "PostgreSQL, 1 loop" "PostgreSQL, 2 loops")
requests=("GET /api/v1/entries?limit=20" "POST /api/v1/entries")
declare -A case_of
for c in "${conns[@]}"; do
    add_case "pgbench-select-c$c" "$c" self "pgbench SELECT" run_pgbench "$c" "$work/select.sql"
    case_of[pgbench,0,$c]=$last_case
    add_case "pgbench-insert-c$c" "$c" self "pgbench INSERT" run_pgbench "$c" "$work/insert.sql"
    case_of[pgbench,1,$c]=$last_case
    for r in 0 1 2; do
        base=http://127.0.0.1:$((port + r))
        add_case "pg-row$r-list-c$c" "$c" "${case_of[pgbench,0,$c]}" "${rows[$r]}: ${requests[0]}" \
            run_wrk "$c" "$base/api/v1/entries?limit=20"
        case_of[$r,0,$c]=$last_case
        add_case "pg-row$r-post-c$c" "$c" "${case_of[pgbench,1,$c]}" "${rows[$r]}: ${requests[1]}" \
            run_wrk "$c" "$base/api/v1/entries" -s "$here/post-entry.lua"
        case_of[$r,1,$c]=$last_case
    done
done
run_rounds

echo
echo "backend on SQLite and PostgreSQL against pgbench; wrk -t1 and pgbench --jobs=1 on CPU $load_cpu, backend on" \
    "CPU $server_cpu (2 loops: $server_cpu,$load_cpu), PostgreSQL $(postgres_psql "$server" -At -c 'SHOW server_version') unpinned (latencies in ms)"
method_line "each case"
echo "pool: POSTGRES_POOL_SIZE=${POSTGRES_POOL_SIZE:-default}, POSTGRES_PIPELINE_DEPTH=${POSTGRES_PIPELINE_DEPTH:-default};" \
    "pgbench: the store's statements, prepared, one client per connection; both databases seeded with 10,000 entries"
echo
echo "| engine | request | conns | req/s | ratio to pgbench | ratio min–max | p50 | p99 |"
echo "|---|---|---|---|---|---|---|---|"
for c in "${conns[@]}"; do
    for k in 0 1; do
        summarize "${case_of[pgbench,$k,$c]}"
        label=$([[ $k == 0 ]] && echo "the page's SELECT" || echo "the INSERT")
        echo "| pgbench | $label | $c | $med_rps | 1× | – | $med_p50 (mean) | – |"
        for r in 0 1 2; do
            summarize "${case_of[$r,$k,$c]}"
            echo "| ${rows[$r]} | ${requests[$k]} | $c | $med_rps | ${ratio_med}× | $ratio_spread | $med_p50 | $med_p99 |"
        done
    done
done
echo
print_notes
