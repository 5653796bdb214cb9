#!/usr/bin/env bash
# Runs every cargo-fuzz target briefly with the nightly toolchain.
#
#   scripts/fuzz.sh            # each target for 20 s
#   scripts/fuzz.sh 120        # each target for 120 s
#   scripts/fuzz.sh 60 webhook # only some targets
#
# New interesting inputs are added to fuzz/corpus/<target>/ (the regression test
# tests/fuzz_regressions.rs replays them in the normal `cargo test`); crashes land in
# fuzz/artifacts/<target>/. Needs `cargo install cargo-fuzz` and a nightly toolchain.
set -euo pipefail

secs="${1:-20}"
shift || true
cd "$(dirname "$0")/../fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t (${secs}s)"
    if ! cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=8192 -print_final_stats=1; then
        echo "!! $t found a failure: see fuzz/artifacts/$t/"
        status=1
    fi
done
exit $status
