#!/usr/bin/env bash
# guichet's main job on the embedded default: the sample mail under
# examples/mail/ becomes tickets in var/guichet.db (SQLite), and the mail
# guichet sends is written to var/outbox/. Starts from a clean var/ each
# time, so it always shows the same story. Then `guichet demo` fills a
# second desk, var/demo/, with four weeks of made-up activity.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --quiet --locked
guichet=target/debug/guichet
rm -rf var/guichet.db var/guichet.db-wal var/guichet.db-shm var/outbox var/demo

echo "== guichet check"
$guichet check
echo
echo "== guichet run --once   (reads examples/mail/, sends to var/outbox/)"
GUICHET_LOG=warn $guichet run --once
echo
echo "== guichet ticket list"
$guichet ticket list
echo
echo "== guichet ticket show 1"
$guichet ticket show 1
echo
echo "== guichet outbox list   (each one is an .eml file in var/outbox/)"
$guichet outbox list
echo
echo "== guichet outbox show 1   (the acknowledgement of ticket #1, as sent)"
$guichet outbox show 1
echo
echo "== guichet status"
$guichet status
echo
later=$(date -u -d '+10 days' +%Y-%m-%dT%H:%M:%SZ)
echo "== ten days later (GUICHET_NOW=$later): SLA warnings and breaches, surveys"
GUICHET_NOW=$later GUICHET_LOG=warn $guichet run --once
echo
echo "== guichet outbox list   (what the timers sent)"
$guichet outbox list | awk 'NR == 1 || /sla_|survey|pending|auto_closed/'
echo
echo "== guichet status"
GUICHET_NOW=$later $guichet status
echo
echo "== guichet demo   (four weeks of made-up activity, on a desk of its own: var/demo/)"
# The shipped config, read from var/demo/ (paths one level further up),
# with a database of its own: demo refuses a desk that holds anything.
mkdir -p var/demo
sed -e 's#"\.\./#"../../#g' -e 's#"sqlite://\.\./var/guichet\.db"#"sqlite://guichet.db"#' \
    config/guichet.toml >var/demo/guichet.toml
# Its dashboard, for `guichet serve`: one account, admin / demo.
cat >>var/demo/guichet.toml <<EOF

[http]
listen = "127.0.0.1:8025"

[[admin]]
login = "admin"
password_hash = "$(printf 'demo\n' | $guichet hash-password --iterations 100000)"
EOF
GUICHET_LOG=warn $guichet --config var/demo/guichet.toml demo
echo
echo "== guichet status   (the demo desk)"
$guichet --config var/demo/guichet.toml status
echo
echo "== guichet report   (the demo desk's KPIs, its last four weeks)"
$guichet --config var/demo/guichet.toml report
echo
echo "The same as a dashboard: $guichet --config var/demo/guichet.toml serve"
echo "then open http://127.0.0.1:8025/dashboard (login admin, password demo)."
