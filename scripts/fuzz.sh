#!/usr/bin/env bash
# Fuzzes the code that reads untrusted input with libFuzzer: JSON, routing, form and query decoding,
# header checks, the admin fault settings, and request heads and chunked bodies (the server's framing). Each target runs a bounded number of inputs and stops by
# itself; a crash leaves its input in .build-fuzz/crashes/ and fails the script.
# Usage: scripts/fuzz.sh [RUNS per target, default 100000] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_build_dependencies

runs=${1:-100000}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(json router form headers faults request)

# A build folder of its own: every module is instrumented for coverage, and FUZZING swaps the replay
# entry point for libFuzzer's.
swift build --product SkalarFuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
binary="$(swift build --product SkalarFuzz --scratch-path .build-fuzz --show-bin-path)/SkalarFuzz"
mkdir -p .build-fuzz/crashes

for target in "${targets[@]}"; do
    work=.build-fuzz/corpus/$target
    mkdir -p "$work"
    echo "fuzzing $target: $runs inputs"
    FUZZ_TARGET=$target "$binary" -runs="$runs" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
        -artifact_prefix=.build-fuzz/crashes/"$target"- -print_final_stats=1 "$work" "Tests/Fuzz/corpus/$target" 2>&1 \
        | grep -E "stat::number_of_executed_units|Done|ERROR|SUMMARY" || true
    if compgen -G ".build-fuzz/crashes/$target-*" >/dev/null; then
        echo "fuzzing $target found a crash: $(ls .build-fuzz/crashes/$target-*)" >&2
        exit 1
    fi
done
echo "fuzzing done: ${#targets[@]} target(s), $runs inputs each, no crash"
