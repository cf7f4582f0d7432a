#!/usr/bin/env bash
# The same benchmark mail as scripts/bench.sh, fed to Request Tracker 5
# (Debian's packages, SQLite, rt-server on loopback), so that the docs can
# compare guichet and RT measured on the same machine in the same run:
#   ingest   MAILS mails from scripts/bench-mail.py (default seed, default
#            200), each handed to its own `rt-mailgate --action correspond`
#            in sorted file order, as an MTA's pipe delivery would; with
#            --parallel P, P mailgates at a time (xargs -P). Prints the
#            wall time, mails/s, the median and 95th percentile time per
#            mail, the tickets and correspondences RT's database holds
#            afterwards (rt-mailgate exits 0 even when RT refuses a mail,
#            so its exit status proves nothing), the mails refused, and
#            the peak RSS of rt-server's processes.
#   replies  RT threads a reply only by the "[rtname #id]" tag in its
#            subject, never by In-Reply-To or References, so the
#            generator's replies (which answer the requester's own first
#            mail) all become new tickets above. This phase sends those
#            replies again, tagged as if the requester had answered RT's
#            acknowledgement, to measure how fast RT adds a reply to a
#            ticket.
# RT's outgoing mail (its acknowledgements) goes to a file, never to an
# MTA, as guichet's benchmark writes its outgoing mail as files.
#
# Runs as root. Installs RT on the first run (Debian 12's packages, about
# 250 with their dependencies; well under a minute from a nearby mirror)
# without starting any system-wide service, writes its settings to
# /etc/request-tracker5/RT_SiteConfig.d/99-guichet-bench-rt.pm, and starts
# from an empty database (a new SQLite file in a temporary directory) on
# every run. rt-server (Starlet, 10 workers) listens on a free port of
# 127.0.0.1 and stops when the script ends.
#
#   scripts/bench-rt.sh [MAILS] [--parallel P]
set -euo pipefail
cd "$(dirname "$0")/.."

mails=200
parallel=1
while [ $# -gt 0 ]; do
    case $1 in
        --parallel) parallel=${2:?--parallel needs a number}; shift 2 ;;
        --parallel=*) parallel=${1#--parallel=}; shift ;;
        [0-9]*) mails=$1; shift ;;
        *) echo "usage: scripts/bench-rt.sh [MAILS] [--parallel P]" >&2; exit 2 ;;
    esac
done
case "$mails$parallel" in
    *[!0-9]*) echo "bench-rt.sh: MAILS and P must be numbers" >&2; exit 2 ;;
esac
if [ "$mails" -lt 1 ] || [ "$parallel" -lt 1 ]; then
    echo "bench-rt.sh: MAILS and P must be at least 1" >&2
    exit 2
fi

packages=(request-tracker5 rt5-db-sqlite rt5-standalone)
site_config=/etc/request-tracker5/RT_SiteConfig.d/99-guichet-bench-rt.pm
rt_lib=/usr/share/request-tracker5/lib
rt_server=/usr/share/request-tracker5/libexec/rt-server
mailgate=/usr/bin/rt-mailgate-5
setup_database=/usr/sbin/rt-setup-database-5
rtname=example.test  # the subject tag is "[example.test #id]"

say() { echo "bench-rt.sh: $*" >&2; }

listening_on_25() { ss -Hltn 'sport = :25' | grep -q .; }

installed() {
    local p
    for p in "${packages[@]}" sqlite3; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || return 1
    done
}

install_rt() {
    installed && return 0
    local start port25_before=no list=("${packages[@]}" sqlite3) policy_made=no
    start=$(date +%s)
    listening_on_25 && port25_before=yes
    say "installing ${packages[*]} (once)"
    # The answers the packages would ask for; none matters much: the
    # benchmark's names are in $site_config, and each run makes its own
    # database (see fresh_database), whatever dbconfig-common does (asked
    # nothing, it makes none). debconf refuses an answer whose question a
    # purge left half-removed ("Cannot find a question"): the package's
    # default then applies, so go on.
    debconf-set-selections <<EOF || say "some answers not preseeded: the packages' defaults apply"
request-tracker5 request-tracker5/rtname string $rtname
request-tracker5 request-tracker5/organization string $rtname
request-tracker5 request-tracker5/correspondaddress string support@example.test
request-tracker5 request-tracker5/commentaddress string support-comment@example.test
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1
request-tracker5 request-tracker5/webpath string /rt
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/initial-root-password password bench-root-password
EOF
    # request-tracker5 depends on an MTA. Without one apt would pick exim4
    # and start it on port 25; Postfix with "No configuration" (as
    # scripts/mailservers.sh installs it) has nothing to run instead.
    if ! [ -x /usr/sbin/sendmail ]; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
        list+=(postfix)
    fi
    # Nor may the packages' maintainer scripts start any service: a
    # policy-rc.d that says "no" (101), unless the machine has its own.
    if ! [ -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# scripts/bench-rt.sh: no service starts while RT installs\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_made=yes
    fi
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
               -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    local rc=0
    # Stale package lists are the usual reason for a failure: update, retry.
    "${apt[@]}" "${list[@]}" >"$work/apt.log" 2>&1 ||
        { apt-get update -q >>"$work/apt.log" 2>&1 && "${apt[@]}" "${list[@]}" >>"$work/apt.log" 2>&1; } || rc=$?
    [ "$policy_made" = no ] || rm -f /usr/sbin/policy-rc.d
    if [ "$rc" != 0 ]; then
        tail -n 30 "$work/apt.log" >&2
        say "apt-get install failed"
        exit 1
    fi
    if [ "$port25_before" = no ] && listening_on_25; then
        ss -Hltnp 'sport = :25' >&2
        say "something now listens on port 25 after the install: stop it (system-wide postfix: postfix stop)"
        exit 1
    fi
    say "installed in $(($(date +%s) - start)) s: $(grep -c '^Setting up' "$work/apt.log") packages set up"
}

# The benchmark's settings, loaded after Debian's 50-debconf.pm and
# 51-dbconfig-common.pm so that they win. Rewritten only when they change.
write_site_config() {
    local new=$work/site-config.pm
    cat > "$new" <<EOF
# Written by guichet's scripts/bench-rt.sh: edit that script, not this file.
# RT set up for a benchmark on loopback; nothing here is meant for real use.
Set(\$rtname, '$rtname');
Set(\$Organization, '$rtname');
Set(\$CorrespondAddress, 'support@example.test');
Set(\$CommentAddress, 'support-comment@example.test');
# rt-server serves RT at /, not at Debian's /rt.
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1');
# Outgoing mail (acknowledgements to requesters) goes to a temporary file
# (in \$TMPDIR, removed when the process ends), never to an MTA.
Set(\$MailCommand, 'testfile');
# RT 5 writes its acknowledgements from HTML templates and makes their text
# part with an HTML formatter: w3m when installed (request-tracker5 only
# recommends it), which costs a w3m process per mail and made every mail
# about 60 % slower here (median 415-440 ms against 260-270 ms); else its
# own Perl converter, with a warning. The faster one, whatever is installed.
Set(\$HTMLFormatter, 'core');
# Logs on rt-server's standard error (the benchmark's log), not syslog.
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'warning');
# SQLite, in the file the benchmark names: a fresh one on every run.
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, \$ENV{GUICHET_BENCH_RT_DB}) if \$ENV{GUICHET_BENCH_RT_DB};
EOF
    if ! cmp -s "$new" "$site_config"; then
        install -m 644 "$new" "$site_config"
    fi
}

# An empty RT database: schema and RT's initial data, then the rights
# RT needs to take mail from anybody: Everyone may create tickets and reply
# to them in the General queue (RT's default grants neither).
fresh_database() {
    "$setup_database" --action init </dev/null >"$work/setup-database.log" 2>&1 ||
        { cat "$work/setup-database.log" >&2; say "rt-setup-database failed"; exit 1; }
    perl -I"$rt_lib" -e '
        use strict; use warnings;
        use RT; RT::LoadConfig(); RT::Init();
        my $everyone = RT::Group->new(RT->SystemUser);
        $everyone->LoadSystemInternalGroup("Everyone") or die "no group Everyone\n";
        my $queue = RT::Queue->new(RT->SystemUser);
        $queue->Load("General") or die "no queue General\n";
        for my $right (qw(CreateTicket ReplyToTicket)) {
            my ($ok, $msg) = $everyone->PrincipalObj->GrantRight(Right => $right, Object => $queue);
            $ok or die "granting $right: $msg\n";
        }' >>"$work/setup-database.log" 2>&1 ||
        { cat "$work/setup-database.log" >&2; say "granting rights failed"; exit 1; }
}

sql() { sqlite3 -batch -noheader "$GUICHET_BENCH_RT_DB" "$1"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    port=$(free_port)
    # Its own session so that stop_server ends the master and its workers.
    TMPDIR=$work/rt-tmp setsid "$rt_server" --host 127.0.0.1 --port "$port" >"$work/rt-server.log" 2>&1 &
    server_pid=$!
    # Up when the mail gateway answers (it says "not ok" to an empty post):
    # that also loads the gateway's code before the first mail.
    for _ in $(seq 1 120); do
        if curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/REST/1.0/NoAuth/mail-gateway" 2>/dev/null; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.5
    done
    tail -n 30 "$work/rt-server.log" >&2
    say "rt-server did not answer on 127.0.0.1:$port"
    exit 1
}

stop_server() {
    if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}

[ "$(id -u)" = 0 ] || { say "run me as root: I install RT, and RT's settings are root's to read"; exit 1; }
work=$(mktemp -d /tmp/bench-rt.XXXXXX)
server_pid=
feeding=
cleanup() {
    # The mailgates still running fail as soon as the server is gone.
    if [ -n "$feeding" ]; then kill "$feeding" 2>/dev/null || true; fi
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
# rt-server runs in its own session, out of reach of the terminal's ^C: make
# a signal end the script through its EXIT trap, which stops the server.
trap 'exit 130' INT TERM
mkdir -p "$work/rt-tmp"

install_rt
write_site_config
export GUICHET_BENCH_RT_DB=$work/rt.db
fresh_database
start_server
log_start=$(wc -l <"$work/rt-server.log")

python3 scripts/bench-mail.py "$work/mail" "$mails"
# The load says whether anything else competed for the CPUs.
echo "$mails mails generated: $(du -sh "$work/mail" | cut -f1) ($(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the start)"

# deliver FILE: one rt-mailgate, as an MTA's pipe would run it; appends
# "milliseconds exit-status file" to $times (short lines: O_APPEND keeps
# parallel writers apart).
deliver() {
    local start end rc=0
    start=$(date +%s%N)
    "$mailgate" --url "http://127.0.0.1:$port/" --queue General --action correspond \
        <"$1" >/dev/null 2>>"$work/mailgate.log" || rc=$?
    end=$(date +%s%N)
    echo "$(((end - start) / 1000000)) $rc $1" >>"$times"
}
export -f deliver
export mailgate port work

# feed NAME DIR: delivers DIR's files in sorted order, $parallel at a time,
# into $times; sets $seconds to the wall time.
feed() {
    local start end
    times=$work/times.$1
    : >"$times"
    start=$(date +%s%N)
    # In the background so that a signal interrupts the wait at once (bash
    # runs a trap only when its foreground command has finished).
    # shellcheck disable=SC2016 # "$1" is for the inner bash, not this one
    find "$2" -type f | sort | times=$times xargs -d '\n' -n 1 -P "$parallel" bash -c 'deliver "$1"' _ &
    feeding=$!
    wait "$feeding"
    feeding=
    end=$(date +%s%N)
    seconds=$(python3 -c 'import sys; print((int(sys.argv[2]) - int(sys.argv[1])) / 1e9)' "$start" "$end")
}

# stats: from $times and $seconds, sets $rate (mails/s), $median and $p95
# (ms per mail) and $exits (a note when some rt-mailgate did not exit 0).
stats() {
    local failed
    read -r rate median p95 failed < <(python3 - "$seconds" "$times" <<'PY'
import sys
seconds, path = float(sys.argv[1]), sys.argv[2]
rows = [line.split(" ", 2) for line in open(path)]
ms = sorted(int(r[0]) for r in rows)
def pct(p):
    return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]
print(f"{len(ms) / seconds:.1f} {pct(50)} {pct(95)} {sum(1 for r in rows if r[1] != '0')}")
PY
)
    exits=
    [ "$failed" = 0 ] || exits=", $failed rt-mailgate exits not 0"
}

count() {
    case $1 in
        tickets) sql "select count(*) from Tickets where Type = 'ticket'" ;;
        correspond) sql "select count(*) from Transactions where ObjectType = 'RT::Ticket' and Type = 'Correspond'" ;;
        transactions) sql "select count(*) from Transactions where ObjectType = 'RT::Ticket'" ;;
        sent) sql "select count(*) from Transactions where ObjectType = 'RT::Ticket' and Type = 'EmailRecord'" ;;
    esac
}

# rss: the largest peak RSS (VmHWM) of rt-server's processes (its master
# and Starlet workers), and their memory together (the sum of their PSS,
# which shares the pages they have in common out fairly), in MB. Read
# before the server stops, so no sampling; a Starlet worker lives for 1000
# requests, more than a run sends it.
rss() {
    local pid hwm pss max=0 sum=0 n=0
    for pid in $(pgrep -s "$server_pid"); do
        hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
        pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
        if [ -z "$hwm" ] || [ -z "$pss" ]; then continue; fi
        n=$((n + 1)); sum=$((sum + pss))
        [ "$hwm" -le "$max" ] || max=$hwm
    done
    echo "$((max / 1024)) MB (the largest of $n processes; $((sum / 1024)) MB PSS all together)"
}

feed ingest "$work/mail/new"
tickets=$(count tickets)
correspond=$(count correspond)
transactions=$(count transactions)
refused=$((mails - tickets - correspond))
stats
printf '%-10s ingest %s mails in %6.2f s: %5.1f mails/s, %s tickets created, %s replies threaded (%s transactions), %s refused%s, %s acknowledgements sent, median %s ms, p95 %s ms per mail, peak RSS of rt-server %s\n' \
    rt "$mails" "$seconds" "$rate" "$tickets" "$correspond" "$transactions" "$refused" "$exits" "$(count sent)" \
    "$median" "$p95" "$(rss)"

# The generator's replies, tagged with the ticket their first mail made.
mkdir -p "$work/replies"
python3 - "$work/mail/new" "$work/replies" "$GUICHET_BENCH_RT_DB" "$rtname" <<'PY'
import os, re, sqlite3, sys
src, dst, db, rtname = sys.argv[1:]
con = sqlite3.connect(db)
for name in sorted(os.listdir(src)):
    data = open(os.path.join(src, name), "rb").read()
    head, sep, body = data.partition(b"\r\n\r\n")
    answered = re.search(rb"^In-Reply-To: <([^>]+)>", head, re.M)
    if not answered or re.search(rb"^Auto-Submitted:", head, re.M):
        continue
    row = con.execute(
        "select t.ObjectId from Attachments a join Transactions t on t.id = a.TransactionId"
        " where a.MessageId = ? and t.ObjectType = 'RT::Ticket' and t.Type = 'Create'",
        (answered.group(1).decode(),)).fetchone()
    if row is None:
        continue  # its first mail was refused
    head = re.sub(rb"^Subject: ", b"Subject: [%s #%d] " % (rtname.encode(), row[0]), head, count=1, flags=re.M)
    head = re.sub(rb"^Message-ID: <([^@>]+)@", rb"Message-ID: <\1.tagged@", head, count=1, flags=re.M)
    open(os.path.join(dst, name), "wb").write(head + sep + body)
PY
replies=$(find "$work/replies" -type f | wc -l)
if [ "$replies" -gt 0 ]; then
    tickets_before=$tickets correspond_before=$correspond
    feed replies "$work/replies"
    stats
    threaded=$(($(count correspond) - correspond_before))
    new_tickets=$(($(count tickets) - tickets_before))
    printf '%-10s replies %s tagged replies in %6.2f s: %5.1f mails/s, %s threaded, %s new tickets, %s refused%s, median %s ms, p95 %s ms per mail\n' \
        rt "$replies" "$seconds" "$rate" "$threaded" "$new_tickets" "$((replies - threaded - new_tickets))" "$exits" \
        "$median" "$p95"
fi

stop_server
# RT says why it refused or delayed a mail only in its log (from the line
# after start_server's probe, which RT rightly calls a mail without sender).
tail -n "+$((log_start + 1))" "$work/rt-server.log" | grep -E '\[(warning|error|critical)\]' >"$work/rt-warnings" || true
if [ -s "$work/rt-warnings" ]; then
    say "rt-server logged $(wc -l <"$work/rt-warnings") warnings or errors, the first ones:"
    head -n 5 "$work/rt-warnings" | cut -c1-300 >&2
fi
if [ -s "$work/mailgate.log" ]; then
    say "rt-mailgate said, at first:"
    head -n 5 "$work/mailgate.log" | cut -c1-300 >&2
fi
# Nothing of RT's may outlive the run.
if ss -Hltn "sport = :$port" | grep -q .; then
    say "something still listens on 127.0.0.1:$port after rt-server stopped"
    exit 1
fi
