#!/usr/bin/env bash
# The soak: `guichet run` (release build, the shipped config) against the
# test Dovecot and Postfix for SOAK_MINUTES (30) with SOAK_RATE (20) mails a
# second arriving through Postfix in the desk's mailbox, a fifth of them
# requesters' replies, some technicians' answers with commands; the sender
# and the sweeper busy. scripts/soak.py sends the mail and samples every
# 10 s: RSS and its peak, open file descriptors, database size per mail,
# and the acknowledgement latency (Postfix accepting a request -> its
# acknowledgement delivered in the requester's Dovecot mailbox). At the end
# it prints the figures, writes them to SOAK_OUT
# (target/soak/soak-<time>.txt) and says whether the last five minutes'
# latency is within 10 % of the first five's (a run shorter than 15
# minutes compares its first and last thirds). Exit 1 when it is not.
#
#   SOAK_MINUTES=3 scripts/soak.sh            (or scripts/bench.sh soak)
#   SOAK_DATABASE=postgres scripts/soak.sh    (a fresh database on
#                                              GUICHET_TEST_PG_URL)
#   SOAK_DATABASE=postgres-own scripts/soak.sh
#       (a PostgreSQL cluster of the soak's own, scripts/pg-own.sh: the
#       machine's server passes other databases' checkpoints on to it)
#
# The shipped config, with what a soak needs changed: the mailbox is the
# test Dovecot's (IMAP IDLE, move:Processed), mail goes out through the
# test Postfix, technicians and requesters are mail users of their own (100
# requesters, so the hourly cap on automatic mail is raised to 10,000),
# the calendar works every day and the SLA targets are minutes (2 and 6
# for priorities 1-2, 3 and 10 for the rest), so that timers breach and
# the sweeper escalates within the run, and surveys go out at once.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${SOAK_MINUTES:-30}
rate=${SOAK_RATE:-20}
nrequesters=${SOAK_REQUESTERS:-100}
backend=${SOAK_DATABASE:-sqlite}
mkdir -p target/soak
out=${SOAK_OUT:-$PWD/target/soak/soak-$(date -u +%Y%m%dT%H%M%SZ).txt}

cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
servers_dir=${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}
if [ -z "${GUICHET_TEST_SERVERS:-}" ]; then
    scripts/servers.sh start >/dev/null
    # shellcheck source=/dev/null
    source "$servers_dir/env"
fi
# shellcheck source=/dev/null
[ -n "${GUICHET_TEST_PG_URL:-}" ] || source "$servers_dir/pg.env"
export GUICHET_TEST_MAIL_PASSWORD

work=$(mktemp -d)
chmod 755 "$work"  # scripts/pg-own.sh's server runs as postgres
stamp="soak$$-$(date +%s)"
run_pid=
db=
pg_url=$GUICHET_TEST_PG_URL
cleanup() {
    [ -z "$run_pid" ] || { kill "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; }
    [ -z "$db" ] || psql "$pg_url/postgres" -qc "drop database if exists $db" >/dev/null 2>&1 || true
    [ "$backend" != postgres-own ] || scripts/pg-own.sh stop "$work/own"
    # Our users' mail; their lines stay in the users file (others append to it).
    rm -rf "${GUICHET_TEST_MAILDIR_ROOT:?}/$stamp"-*
    rm -rf "$work"
}
trap cleanup EXIT

# Mail users: the desk's mailbox, two technicians, the requesters (one write).
support=$stamp-support@example.test
marc=$stamp-marc@example.test
sarah=$stamp-sarah@example.test
requesters=()
for i in $(seq 1 "$nrequesters"); do requesters+=("$stamp-r$i@example.test"); done
printf "%s:{PLAIN}$GUICHET_TEST_MAIL_PASSWORD${GUICHET_TEST_PASSWD_LINE_SUFFIX:-}\n" \
    "$support" "$marc" "$sarah" "${requesters[@]}" >> "$GUICHET_TEST_PASSWD_FILE"

if [ "$backend" = postgres ] || [ "$backend" = postgres-own ]; then
    [ "$backend" = postgres ] || pg_url=$(scripts/pg-own.sh start "$work/own")
    db="guichet_soak_$$"
    psql "$pg_url/postgres" -qc "create database $db" >/dev/null
    url="$pg_url/$db"
else
    url="sqlite://$work/guichet.db"
fi

sed -e "s|^url = \"sqlite://../var/guichet.db\"|url = \"$url\"|" \
    -e "s|^kind = \"maildir\"|kind = \"imap\"\nhost = \"127.0.0.1\"\nport = $GUICHET_TEST_IMAP_PORT\ntls = \"starttls\"\nca_file = \"$GUICHET_TEST_CA_FILE\"\nusername = \"$support\"\npassword_env = \"GUICHET_TEST_MAIL_PASSWORD\"|" \
    -e "/^path = \"..\/examples\/mail\"/d" \
    -e "s|^address = \"support@example.test\"|address = \"$support\"|" \
    -e "s|^after = \"keep\"|after = \"move:Processed\"|" \
    -e "s|^transport = \"file\"|transport = \"smtp\"\nhost = \"127.0.0.1\"\nport = $GUICHET_TEST_SMTP_PORT\ntls = \"starttls\"\nca_file = \"$GUICHET_TEST_CA_FILE\"|" \
    -e "/^dir = \"..\/var\/outbox\"/d" \
    -e "s|\"../templates\"|\"$PWD/templates\"|" \
    -e "s|marc.dupont@example.test|$marc|g" -e "s|sarah.lee@example.test|$sarah|g" \
    -e "s|^automatic_per_hour = 10$|automatic_per_hour = 10000|" \
    -e "s|^working_hours = \[\"mon-fri 08:30-12:30\", \"mon-fri 13:30-18:00\"\]|working_hours = [\"mon-sun 00:00-23:59\"]|" \
    -e "s|^first_response = \"30m\"|first_response = \"2m\"|" -e "s|^resolution = \"4h\"|resolution = \"6m\"|" \
    -e "s|^first_response = \"4h\"|first_response = \"3m\"|" -e "s|^resolution = \"16h\"|resolution = \"10m\"|" \
    -e "s|^delay_hours = 1$|delay_hours = 0|" \
    config/guichet.toml > "$work/guichet.toml"
for want in "username = \"$support\"" "transport = \"smtp\"" "automatic_per_hour = 10000" "mon-sun 00:00-23:59" \
    "first_response = \"2m\"" "resolution = \"10m\"" "delay_hours = 0" "url = \"$url\""; do
    grep -qF "$want" "$work/guichet.toml" || { echo "soak.sh: config/guichet.toml changed; no line with: $want" >&2; exit 1; }
done
"$bin" --config "$work/guichet.toml" check >/dev/null || { "$bin" --config "$work/guichet.toml" check >&2; exit 1; }
"$bin" --config "$work/guichet.toml" migrate >/dev/null

GUICHET_LOG="warn,guichet::ingest::imap=info" "$bin" --config "$work/guichet.toml" run \
    > /dev/null 2> "$work/run.log" &
run_pid=$!
for _ in $(seq 1 300); do
    grep -q "waiting for mail" "$work/run.log" && break
    kill -0 "$run_pid" 2>/dev/null || { echo "soak.sh: guichet run stopped:" >&2; cat "$work/run.log" >&2; exit 1; }
    sleep 0.1
done
grep -q "waiting for mail" "$work/run.log" || { echo "soak.sh: guichet run did not reach IDLE" >&2; exit 1; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); guichet run pid $run_pid; $minutes min at $rate mails/s on $backend"
status=0
python3 scripts/soak.py --pid "$run_pid" --minutes "$minutes" --rate "$rate" --support "$support" \
    --requesters "$(IFS=,; echo "${requesters[*]}")" --technicians "$marc,$sarah" \
    --database "$url" --out "$out" || status=$?
# What the desk logged at warn and above, by message.
{
    echo
    echo "guichet run's warnings and errors: $(grep -cE ' (WARN|ERROR) ' "$work/run.log" || true)"
    { grep -E ' (WARN|ERROR) ' "$work/run.log" || true; } | sed -E 's/^[^ ]+ +//; s/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -n 10
} | tee -a "$out"
kill "$run_pid"
wait "$run_pid" 2>/dev/null || true
run_pid=
exit "$status"
