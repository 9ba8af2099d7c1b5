#!/usr/bin/env bash
# Instructions per /healthz request under callgrind: the C evhttp server against Skalar's, the same five
# servers as run.sh, each on 127.0.0.1 with one event loop. Unlike req/s, instruction counts barely move
# with the machine's load, so this is the figure to compare before and after a change to the request
# path. healthz-client sends a fixed number of keep-alive requests, one at a time on one connection;
# each server runs twice, with CALLGRIND_BASELINE and CALLGRIND_REQUESTS requests, and the difference
# divided by the difference in requests leaves start-up, shutdown and one-time work out. Counts are
# user-space instructions only: the kernel's socket and epoll work, about the same for every server, is
# not in them, which is why twice C's instructions can still be 0.8× C's req/s. The profiles stay in
# .build-bench/callgrind/ for callgrind_profile.py (top, edges) and callgrind_annotate. About 6 minutes.
# Env: CALLGRIND_REQUESTS (20000), CALLGRIND_BASELINE (2000), CALLGRIND_SERVERS (all: "c-evhttp
# c-evhttp-headers backend backend-access-log frontend"; c-evhttp always runs, as the ratios' base),
# BENCH_PORT (18130; the servers use +0..4), SERVER_CPU/LOAD_CPU (lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18130}
requests=${CALLGRIND_REQUESTS:-20000}
baseline=${CALLGRIND_BASELINE:-2000}
((requests > baseline)) || { echo "CALLGRIND_REQUESTS must exceed CALLGRIND_BASELINE" >&2; exit 2; }
profiles=$out/callgrind

ensure_tools
command -v valgrind >/dev/null || apt-get install -y valgrind || { apt-get update && apt-get install -y valgrind; }
mkdir -p "$profiles"
# The services as the images ship them, and the same build run.sh measures; other compiles on this
# machine take the same lock.
(cd "$root" && flock /tmp/swift-build.lock swift build -c release --static-swift-stdlib >&2)
# Valgrind 3.19 gives up on the DWARF 5 that Swift's toolchain writes; the symbol table is enough for
# a profile by function.
for service in backend frontend; do objcopy --strip-debug "$bin/$service" "$profiles/$service"; done
gcc -O2 -Wall -o "$out/c-evhttp-server" "$here/c-evhttp-server.c" -levent
gcc -O2 -Wall -o "$out/healthz-client" "$here/healthz-client.c"
database_dir=$(mktemp -d)
server_pid=
stop_server() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

# profile SLUG COUNT PORT [VAR=VALUE...] -- CMD...   runs CMD under callgrind, sends it COUNT requests,
# stops it; leaves the profile in $profiles/SLUG-COUNT.out and sets total (instructions).
profile() {
    local slug=$1 count=$2 p=$3 vars=()
    shift 3
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    local file=$profiles/$slug-$count.out
    rm -f "$file"
    env "${vars[@]}" taskset -c "$server_cpu" valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$@" >"$profiles/$slug-$count.log" 2>&1 &
    server_pid=$!
    taskset -c "$load_cpu" "$out/healthz-client" "$p" "$count" >"$profiles/$slug-$count.answered" &
    local client=$!
    # A server that dies at start would leave the client retrying for two minutes.
    while kill -0 "$client" 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            kill "$client" 2>/dev/null || true
            echo "$slug exited early; see $profiles/$slug-$count.log" >&2
            exit 1
        fi
        sleep 0.2
    done
    wait "$client" || { echo "$slug: only $(cat "$profiles/$slug-$count.answered") of $count requests got a 200" >&2; exit 1; }
    # Let the server see the client's close before the stop signal, so shutdown does the same work
    # in every run.
    sleep 1
    stop_server
    total=$(awk '/^summary:/ { print $2 }' "$file")
}

names=("C evhttp" "C evhttp + X-App-Version, X-Request-Id" "Skalar backend, access log off"
    "Skalar backend, access log on" "Skalar frontend, access log off")
slugs=(c-evhttp c-evhttp-headers backend backend-access-log frontend)
read -ra selected <<<"${CALLGRIND_SERVERS:-${slugs[*]}}"
counted=(malloc calloc realloc free swift_allocObject swift_retain swift_release evhttp_add_header epoll_wait)
rows=() call_rows=()

for i in 0 1 2 3 4; do
    p=$((port + i)) slug=${slugs[$i]}
    if ((i > 0)) && [[ " ${selected[*]} " != *" $slug "* ]]; then continue; fi
    skalar=(PORT=$p ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_FORMAT=json DRAIN_SECONDS=0
        DATABASE_PATH="$database_dir/bench-$i.sqlite"
        # Swift seeds its hash function per process; a fixed seed makes Dictionary and Set probe the
        # same slots in every run, so the counts repeat.
        SWIFT_DETERMINISTIC_HASHING=1)
    declare -A totals=() calls=()
    for count in "$baseline" "$requests"; do
        case $i in
            0) profile "$slug" "$count" "$p" -- "$out/c-evhttp-server" "$p" ;;
            1) profile "$slug" "$count" "$p" -- "$out/c-evhttp-server" "$p" contract-headers ;;
            2) profile "$slug" "$count" "$p" "${skalar[@]}" ACCESS_LOG=false LOG_LEVEL=warning -- "$profiles/backend" ;;
            # As in run.sh: /healthz is access-logged at debug level.
            3) profile "$slug" "$count" "$p" "${skalar[@]}" ACCESS_LOG=true LOG_LEVEL=debug -- "$profiles/backend" ;;
            4) profile "$slug" "$count" "$p" "${skalar[@]}" ACCESS_LOG=false LOG_LEVEL=warning -- "$profiles/frontend" ;;
        esac
        totals[$count]=$total
        while read -r function n; do calls[$count,$function]=$n; done \
            < <(python3 "$here/callgrind_profile.py" calls "$profiles/$slug-$count.out" "${counted[@]}")
    done
    # The difference of two runs leaves start-up, shutdown and the first requests' one-time work out.
    per_request=$(awk -v a="${totals[$requests]}" -v b="${totals[$baseline]}" -v n=$((requests - baseline)) \
        'BEGIN { printf "%.0f", (a - b) / n }')
    if ((i == 0)); then c_per_request=$per_request; fi
    rows+=("| ${names[$i]} | ${totals[$baseline]} | ${totals[$requests]} | $per_request | $(ratio "$per_request" "$c_per_request")× | $(ratio "$c_per_request" "$per_request")× |")
    row="| ${names[$i]} |"
    for function in "${counted[@]}"; do
        row+=" $(awk -v a="${calls[$requests,$function]}" -v b="${calls[$baseline,$function]}" \
            -v n=$((requests - baseline)) 'BEGIN { printf "%.2f", (a - b) / n }') |"
    done
    call_rows+=("$row")
    unset totals calls
done

echo
echo "/healthz under callgrind, one keep-alive connection, one request at a time, EVENT_LOOPS=1;"
echo "per request = (Ir at $requests requests - Ir at $baseline) / $((requests - baseline))"
echo
echo "| server | Ir, $baseline requests | Ir, $requests requests | Ir per request | × C | C ÷ this |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Calls per request"
echo
header="| server |" rule="|---|"
for function in "${counted[@]}"; do header+=" $function |" rule+="---|"; done
echo "$header"
echo "$rule"
printf '%s\n' "${call_rows[@]}"
echo
echo "Profiles in $profiles; per request, by function:"
echo "  $here/callgrind_profile.py top $profiles/backend-$requests.out $profiles/backend-$baseline.out $((requests - baseline))"
