#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and end-to-end tests
# through the guichet binary, against a real Dovecot, Postfix and
# PostgreSQL on loopback. Installs and starts what it needs first (Debian
# packages, as root); quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/servers.sh start
scripts/browser.sh
servers_dir="${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}"
# shellcheck source=/dev/null
source "$servers_dir/env"
# shellcheck source=/dev/null
source "$servers_dir/pg.env"
# shellcheck source=/dev/null
source "$servers_dir/browser.env"

# Databases earlier runs left behind (one per test on PostgreSQL).
psql "$GUICHET_TEST_PG_URL/postgres" -qAt \
    -c "SELECT datname FROM pg_database WHERE datname LIKE 'guichet\_t%'" |
    while read -r db; do psql "$GUICHET_TEST_PG_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test (SQLite, real mail servers)"
cargo test --locked "$@"
echo "== cargo test (the store's tests again, on PostgreSQL)"
GUICHET_TEST_BACKEND=postgres cargo test --locked --test oauth2 --test pipeline --test corpus_ingest --test cli --test examples --test itil --test sla --test survey_web --test hijack --test flow --test reading --test senders --test charsets --test bounces --test loops --test knowledge --test report --test metrics --test demo --test dashboard --test inline_images --test large_attachments --test large_attachments_relay --test identity --test outbox_rows --test outgoing --test workday --test forwarding --test proof --test templates --test audit --test backup --test upgrade --test privacy "$@"
scripts/fuzz.sh 30
