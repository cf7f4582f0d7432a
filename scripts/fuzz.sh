#!/usr/bin/env bash
# Fuzzes the inbound mail path (parse -> classify -> thread -> commands ->
# trim -> survey -> language -> urgency; no database) for SECONDS seconds
# (default 60) with the fuzz target fuzz/fuzz_targets/mail_path.rs.
#
#   scripts/fuzz.sh        # 60 s
#   scripts/fuzz.sh 30     # the short run scripts/test.sh does
#   scripts/fuzz.sh 600    # the long form (see fuzz/README.md)
#
# Installs cargo-fuzz when it is missing and needs a nightly toolchain
# (libFuzzer's instrumentation). The committed seeds in
# fuzz/corpus/mail_path are read, never written: the inputs libFuzzer finds
# go to fuzz/corpus-run/mail_path (git-ignored), emptied first so that every
# run starts from the seeds and lasts SECONDS (libFuzzer replays the whole
# corpus before its clock starts). GUICHET_FUZZ_KEEP_CORPUS=1 keeps what
# earlier runs found instead.
# Exits non-zero on any crash, panic, timeout or out-of-memory; the input
# that caused it is kept under fuzz/artifacts/mail_path/, and
#   cargo +nightly fuzz run --debug-assertions mail_path fuzz/artifacts/mail_path/<file>
# replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS]  (a positive whole number, default 60)" >&2
    exit 2
fi

target=mail_path
cargo_fuzz_version=0.13.2
root="$PWD"
seeds="$root/fuzz/corpus/$target"
scratch="$root/fuzz/corpus-run/$target"
log="$root/fuzz/target/$target.log"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "== rustup toolchain install nightly (libFuzzer needs it)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== cargo install cargo-fuzz"
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
fi

# AddressSanitizer (cargo-fuzz's default: some dependencies use unsafe
# code), plus debug assertions and overflow checks, as in `cargo test`.
fuzz_opts=(--debug-assertions)

echo "== cargo +nightly fuzz build $target"
start=$(date +%s)
cargo +nightly fuzz build "${fuzz_opts[@]}" "$target"
echo "built in $(($(date +%s) - start)) s"

if [ "${GUICHET_FUZZ_KEEP_CORPUS:-0}" != 1 ]; then
    rm -rf "$scratch"
fi
mkdir -p "$scratch" "$(dirname "$log")"
echo "== cargo +nightly fuzz run $target, $seconds s"
# One process (libFuzzer's default without -jobs): the machine's other core
# stays free. -max_len lets inputs grow to 256 KiB, the size of a large
# mail without attachments; -timeout is per input.
# The full output goes to $log; the screen gets it without the line per new
# input or function and the dictionary libFuzzer prints at the end.
set +e
cargo +nightly fuzz run "${fuzz_opts[@]}" "$target" "$scratch" "$seeds" -- \
    -max_total_time="$seconds" \
    -max_len=262144 \
    -rss_limit_mb=2048 \
    -timeout=10 \
    -print_final_stats=1 \
    2>&1 | tee "$log" | grep --line-buffered -vE '^(#[0-9]+[[:space:]]+(NEW|REDUCE)[[:space:]]|[[:space:]]+NEW_FUNC|".*" # Uses: [0-9]+$)'
status=${PIPESTATUS[0]}
set -e

# libFuzzer's summary: executions, speed, coverage and corpus.
echo "== summary"
grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 || true
grep -E '^Done [0-9]+ runs' "$log" || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
echo "scratch corpus: $(find "$scratch" -type f | wc -l) inputs in $scratch"
if [ "$status" -ne 0 ]; then
    echo "FUZZING FAILED (exit $status): see $log and fuzz/artifacts/$target/" >&2
    exit "$status"
fi
