#!/usr/bin/env bash
# The runtime's cost: Skalar's /healthz against a minimal C evhttp server, all running side by side and
# measured round-robin in one run; see README.md.
# Env: see lib.sh, and BENCH_PORT (18090; the servers use +0..4).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${BENCH_PORT:-18090}

ensure_tools
build_services
gcc -O2 -Wall -o "$out/c-evhttp-server" "$here/c-evhttp-server.c" -levent
database_dir=$(mktemp -d)
trap 'stop_all; rm -rf "$database_dir"' EXIT
trap 'exit 130' INT TERM

names=("C evhttp" "C evhttp + X-App-Version, X-Request-Id" "Skalar backend, access log off"
    "Skalar backend, access log on" "Skalar frontend, access log off")
usage=()

for i in 0 1 2 3 4; do
    p=$((port + i))
    # DRAIN_SECONDS=0: the default drain would keep each stop waiting 5 s.
    skalar=(PORT=$p ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_FORMAT=json DRAIN_SECONDS=0
        DATABASE_PATH="$database_dir/bench-$i.sqlite")
    case $i in
        0) start_measured "$p" -- "$out/c-evhttp-server" "$p" ;;
        # The contract's two extra headers cost evhttp itself (formatting and allocation per header):
        # this row shows how much of the gap to plain C they are.
        1) start_measured "$p" -- "$out/c-evhttp-server" "$p" contract-headers ;;
        2) start_measured "$p" "${skalar[@]}" ACCESS_LOG=false LOG_LEVEL=warning -- "$bin/backend" ;;
        # /healthz is an operational route, access-logged at debug level: without LOG_LEVEL=debug
        # ACCESS_LOG=true would write nothing for it and this row would repeat the one above.
        3) start_measured "$p" "${skalar[@]}" ACCESS_LOG=true LOG_LEVEL=debug -- "$bin/backend" ;;
        4) start_measured "$p" "${skalar[@]}" ACCESS_LOG=false LOG_LEVEL=warning -- "$bin/frontend" ;;
    esac
    usage+=("| ${names[$i]} | $(idle_rss_mib) | $startup_ms |")
done

declare -A case_of
for c in "${conns[@]}"; do
    for i in 0 1 2 3 4; do
        peer=self
        if ((i > 0)); then peer=${case_of[0,$c]}; fi
        add_case "wrk-$i-c$c" "$c" "$peer" "${names[$i]}" run_wrk "$c" "http://127.0.0.1:$((port + i))/healthz"
        case_of[$i,$c]=$last_case
    done
done
run_rounds

echo
echo "/healthz, wrk -t1 on CPU $load_cpu, all servers on CPU $server_cpu (latencies in ms)"
method_line "each server at each connection count"
echo
echo "| server | conns | req/s | ratio to C | ratio min–max | p50 | p99 |"
echo "|---|---|---|---|---|---|---|"
for i in 0 1 2 3 4; do
    for c in "${conns[@]}"; do
        summarize "${case_of[$i,$c]}"
        echo "| ${names[$i]} | $c | $med_rps | ${ratio_med}× | $ratio_spread | $med_p50 | $med_p99 |"
    done
done
echo
echo "| server | idle RSS MiB | start→first 200 ms (median of $starts) |"
echo "|---|---|---|"
printf '%s\n' "${usage[@]}"
echo
print_notes
