#!/usr/bin/env bash
# The benchmark suite's first figures, on MAILS generated mails
# (scripts/bench-mail.py: French and English, a third with HTML, 20 %
# replies, 5 % with a 100 KB attachment, 1 % auto-replies; default 2000),
# release build, the shipped config with outgoing mail written as files:
#   ingest  `guichet ingest FILES` (xargs, 5,000 files a process): every
#           mail stored, its acknowledgement and notices queued;
#   send    then one `guichet run --once`: every queued mail written and
#           recorded as sent.
# On SQLite and, when PostgreSQL answers (GUICHET_TEST_PG_URL, see
# scripts/postgres.sh), on PostgreSQL. Prints seconds, mails/s and the
# peak RSS of the largest process.
#
#   scripts/bench.sh [MAILS]
set -euo pipefail
cd "$(dirname "$0")/.."
mails=${1:-2000}
cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/bench-mail.py "$work/mail" "$mails"
echo "$mails mails generated: $(du -sh "$work/mail" | cut -f1)"

# The shipped config, its maildir empty, mail written as files.
desk() {
    local dir=$1 database=$2
    mkdir -p "$dir/mail/new" "$dir/mail/cur" "$dir/mail/tmp"
    sed -e "s|\"../examples/mail\"|\"mail\"|" -e "s|^url = \"sqlite://../var/guichet.db\"|$database|" \
        -e "s|\"../var/outbox\"|\"outbox\"|" -e "s|\"../templates\"|\"$PWD/templates\"|" \
        config/guichet.toml > "$dir/guichet.toml"
    grep -qF "$database" "$dir/guichet.toml" || { echo "bench.sh: the database line of config/guichet.toml moved" >&2; exit 1; }
}

# timed NAME CMD...: runs CMD, prints "NAME seconds peak-RSS-KB".
timed() {
    local name=$1 start end
    shift
    start=$(date +%s.%N)
    GUICHET_LOG=error /usr/bin/time -f "%M" -a -o "$work/rss.$name" "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$name $(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$end") $(sort -n "$work/rss.$name" | tail -n1)"
}

measure() {
    local name=$1 config=$2
    "$bin" --config "$config" migrate >/dev/null
    rm -f "$work"/rss.*
    {
        timed ingest sh -c "find '$work/mail/new' -type f | sort | xargs -n 5000 '$bin' --config '$config' ingest"
        "$bin" --config "$config" status --json
        timed send "$bin" --config "$config" run --once
        "$bin" --config "$config" status --json
    } > "$work/out.$name"
    python3 - "$name" "$work/out.$name" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
lines = open(path).read()
dec = json.JSONDecoder()
parts, i = [], 0
while i < len(lines):
    if lines[i].isspace():
        i += 1
        continue
    if lines[i] == "{":
        v, i = dec.raw_decode(lines, i)
        parts.append(v)
    else:
        j = lines.index("\n", i)
        parts.append(lines[i:j].split())
        i = j + 1
(_, s_in, rss_in), after_in, (_, s_out, rss_out), after_out = parts
stored = sum(after_in["mail"].values())
queued = after_in["outbox"].get("pending", 0)
sent = after_out["outbox"].get("sent", 0)
s_in, s_out = float(s_in), float(s_out)
print(f"{name:<10} ingest {stored} mails in {s_in:6.2f} s: {stored / s_in:7.0f} mails/s, {queued} mails queued "
      f"({after_in['mail']}), peak RSS {int(rss_in) / 1024:.0f} MB")
print(f"{name:<10} send   {sent} mails in {s_out:6.2f} s: {sent / s_out:7.0f} mails/s (files), "
      f"peak RSS {int(rss_out) / 1024:.0f} MB")
PY
}

desk "$work/sqlite" 'url = "sqlite://var/guichet.db"'
measure sqlite "$work/sqlite/guichet.toml"

pg=${GUICHET_TEST_PG_URL:-}
if [ -n "$pg" ] && psql "$pg/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
    db="guichet_bench_$$"
    psql "$pg/postgres" -qc "create database $db" >/dev/null
    trap 'psql "$pg/postgres" -qc "drop database if exists $db" >/dev/null 2>&1; rm -rf "$work"' EXIT
    desk "$work/pg" "url = \"$pg/$db\""
    measure postgresql "$work/pg/guichet.toml"
else
    echo "postgresql: skipped (GUICHET_TEST_PG_URL unset or not answering; scripts/postgres.sh starts one)"
fi
