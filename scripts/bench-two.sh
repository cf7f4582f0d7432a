#!/usr/bin/env bash
# Two guichet instances on one PostgreSQL (bench phase `two`): a Dovecot
# mailbox holding N mails from scripts/bench-mail.py (BENCH_TWO, 1000) is
# drained by `guichet run --once` (release build, the shipped config, IMAP
# with move:Processed, outgoing mail written as files), each case on a
# fresh database and mailbox:
#   one        one instance;
#   two        two instances at once, same config: the mailbox's lock
#              lets one poll it, the other skips it;
#   two-names  two instances at once whose configs name the same IMAP
#              mailbox differently, so that no lock keeps them apart and
#              both fetch the same mail: what keeps a mail from being
#              taken twice is then the store's own dedupe;
#   split      two instances at once, same config with two mailboxes of
#              N/2 mails each: the locks share the mailboxes out, one an
#              instance.
# For each: every instance's time and rate and what it stored, their sum
# (the mails over the time until both are done), and the checks that no
# mail was taken twice: inbound rows = distinct Message-IDs = N, no raw
# message stored twice, tickets + articles in = N.
#
#   scripts/bench-two.sh [N]        (or scripts/bench.sh two)
#   BENCH_TWO_CASES="split" scripts/bench-two.sh 1000    (some cases)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-${BENCH_TWO:-1000}}
cases=" ${BENCH_TWO_CASES:-one two two-names split} "
wants() { [[ "$cases" == *" $1 "* ]]; }
servers_dir=${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}
if [ -z "${GUICHET_TEST_SERVERS:-}" ]; then
    scripts/servers.sh start >/dev/null
    # shellcheck source=/dev/null
    source "$servers_dir/env"
fi
# shellcheck source=/dev/null
[ -n "${GUICHET_TEST_PG_URL:-}" ] || source "$servers_dir/pg.env"
export GUICHET_TEST_MAIL_PASSWORD
pg=$GUICHET_TEST_PG_URL
psql "$pg/postgres" -Atqc 'select 1' >/dev/null

cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
work=$(mktemp -d)
stamp="two$$-$(date +%s)"
cleanup() {
    # database() runs in $(…): its names are found again here, not kept.
    for db in $(psql "$pg/postgres" -Atqc "select datname from pg_database where datname like 'guichet\_two\_$$\_%'"); do
        psql "$pg/postgres" -qc "drop database if exists $db" >/dev/null 2>&1 || true
    done
    rm -rf "${GUICHET_TEST_MAILDIR_ROOT:?}/$stamp"-*
    rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $n mails a case"
python3 scripts/bench-mail.py "$work/mail" "$n" --ids "$stamp" >/dev/null

# fill USER FROM TO: APPENDs mails FROM..TO-1 (in order) to USER's INBOX.
fill() {
    python3 - "$1" "$2" "$3" "$work/mail/new" <<'PY'
import imaplib, os, sys
user, lo, hi, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
c = imaplib.IMAP4("127.0.0.1", int(os.environ["GUICHET_TEST_IMAP_PORT"]))
c.login(user, os.environ["GUICHET_TEST_MAIL_PASSWORD"])
for name in sorted(os.listdir(d))[lo:hi]:
    with open(os.path.join(d, name), "rb") as f:
        c.append("INBOX", None, None, f.read())
c.logout()
PY
}

user() {
    local address=$stamp-$1@example.test
    printf "%s:{PLAIN}%s%s\n" "$address" "$GUICHET_TEST_MAIL_PASSWORD" "${GUICHET_TEST_PASSWD_LINE_SUFFIX:-}" >> "$GUICHET_TEST_PASSWD_FILE"
    echo "$address"
}

mailbox_toml() { # NAME USER
    cat <<EOF
[[mailbox]]
name = "$1"
kind = "imap"
address = "$2"
host = "127.0.0.1"
port = $GUICHET_TEST_IMAP_PORT
tls = "starttls"
ca_file = "$GUICHET_TEST_CA_FILE"
username = "$2"
password_env = "GUICHET_TEST_MAIL_PASSWORD"
after = "move:Processed"
EOF
}

# config DIR DATABASE MAILBOX_TOML: the shipped config with these mailboxes.
config() {
    mkdir -p "$1"
    printf "%s\n" "$3" > "$1/mailboxes.toml"
    python3 - config/guichet.toml "$1/mailboxes.toml" "$2" "$PWD/templates" "$1/outbox" > "$1/guichet.toml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
mailboxes = open(sys.argv[2]).read()
# The shipped [[mailbox]] table (up to the next table) gives way to ours.
text, k = re.subn(r"(?ms)^\[\[mailbox\]\]\n.*?(?=^\[)", lambda _: mailboxes + "\n", text, count=1)
assert k == 1, "config/guichet.toml: no [[mailbox]] table"
text = text.replace('url = "sqlite://../var/guichet.db"', f'url = "{sys.argv[3]}"')
text = text.replace('"../templates"', f'"{sys.argv[4]}"').replace('"../var/outbox"', f'"{sys.argv[5]}"')
assert sys.argv[3] in text and sys.argv[4] in text and sys.argv[5] in text, "config/guichet.toml moved"
print(text)
PY
    "$bin" --config "$1/guichet.toml" check >/dev/null
    "$bin" --config "$1/guichet.toml" migrate >/dev/null
}

database() {
    local db=guichet_two_$$_$1
    psql "$pg/postgres" -qc "create database $db" >/dev/null
    echo "$pg/$db"
}

# instances CASE CONFIG...: one `run --once` per config, all at once; then
# each one's time and rate and what it stored, their sum, and the checks.
instances() {
    local case=$1 url=$2
    shift 2
    local i=0 pids=()
    local t0
    t0=$(date +%s.%N)
    for c in "$@"; do
        i=$((i + 1))
        (
            s=$(date +%s.%N)
            GUICHET_LOG=error "$bin" --config "$c" run --once > "$work/$case.$i.out" 2> "$work/$case.$i.err" || echo "exit $?" >> "$work/$case.$i.err"
            e=$(date +%s.%N)
            echo "$s $e" > "$work/$case.$i.time"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    python3 - "$case" "$n" "$t0" "$work" "$i" <<'PY'
import re, sys
case, n, t0, work, k = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
last = t0
total = 0
for i in range(1, k + 1):
    s, e = map(float, open(f"{work}/{case}.{i}.time").read().split())
    out = open(f"{work}/{case}.{i}.out").read()
    err = open(f"{work}/{case}.{i}.err").read().strip()
    got = {what: int(m) for m, what in re.findall(r"^(\d+) (new tickets|articles|automatic mails recorded|quarantined|duplicates)$", out, re.M)}
    took = sum(v for w, v in got.items() if w != "duplicates")
    total += took
    last = max(last, e)
    note = f"; said: {' / '.join(err.splitlines())}" if err else ""
    print(f"{case:<10} instance {i}: {took:5d} mails taken in {e - s:6.2f} s: {took / (e - s):6.0f} mails/s "
          f"({', '.join(f'{v} {w}' for w, v in got.items()) or 'nothing'}){note}")
print(f"{case:<10} together:   {total:5d} mails taken in {last - t0:6.2f} s: {total / (last - t0):6.0f} mails/s")
PY
    psql "$url" -AtqX -F ' ' -c "select (select count(*) from inbound), (select count(distinct message_id) from inbound),
        (select count(*) from (select sha256 from raw_messages group by sha256 having count(*) > 1) d),
        (select count(*) from tickets), (select count(*) from articles where direction = 'in')" |
    while read -r inbound distinct dup tickets articles; do
        local verdict="no mail taken twice"
        [ "$inbound" = "$n" ] && [ "$distinct" = "$n" ] && [ "$dup" = 0 ] || verdict="MAIL TAKEN TWICE OR LOST"
        echo "$(printf '%-10s' "$case") check:      $inbound inbound rows, $distinct distinct Message-IDs, $dup raw messages stored twice, $tickets tickets, $articles articles in (of $n mails): $verdict"
    done
}

if wants one; then
    u=$(user one)
    fill "$u" 0 "$n"
    url=$(database one)
    config "$work/one" "$url" "$(mailbox_toml support "$u")"
    instances one "$url" "$work/one/guichet.toml"
fi

# two: the same config twice.
if wants two; then
    u=$(user two)
    fill "$u" 0 "$n"
    url=$(database two)
    config "$work/two" "$url" "$(mailbox_toml support "$u")"
    instances two "$url" "$work/two/guichet.toml" "$work/two/guichet.toml"
fi

# two-names: one IMAP mailbox under two names.
if wants two-names; then
    u=$(user names)
    fill "$u" 0 "$n"
    url=$(database names)
    config "$work/names-a" "$url" "$(mailbox_toml support-a "$u")"
    config "$work/names-b" "$url" "$(mailbox_toml support-b "$u")"
    instances two-names "$url" "$work/names-a/guichet.toml" "$work/names-b/guichet.toml"
fi

# split: two mailboxes, the same config for both instances.
if wants split; then
    u1=$(user split1)
    u2=$(user split2)
    fill "$u1" 0 $((n / 2))
    fill "$u2" $((n / 2)) "$n"
    url=$(database split)
    config "$work/split" "$url" "$(mailbox_toml support "$u1")
$(mailbox_toml support-2 "$u2")"
    instances split "$url" "$work/split/guichet.toml" "$work/split/guichet.toml"
fi
