#!/usr/bin/env bash
# The fast inner loop: the unit tests and the pipeline's decisions in
# process (tests/flow), on SQLite, with no server, browser or binary
# spawned. Under a minute on a built tree; scripts/test.sh is the whole
# suite. Extra arguments go to cargo test (a test name filters).
set -euo pipefail
cd "$(dirname "$0")/.."
unset GUICHET_TEST_BACKEND
exec cargo test --locked --lib --test flow "$@"
