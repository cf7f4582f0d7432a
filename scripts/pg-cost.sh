#!/usr/bin/env bash
# What a mail costs PostgreSQL: `guichet ingest` (release build, the shipped
# config, outgoing mail queued) of PG_COST_MAILS (1000) mails from
# scripts/bench-mail.py, on a PostgreSQL of its own, started here for the
# measure by scripts/pg-own.sh (the machine's server is shared with the
# tests: its WAL position and CPU would count their work too, and
# pg_stat_statements needs a restart with shared_preload_libraries). Same
# version and settings as the machine's (fsync and synchronous_commit on),
# on a free port in a temporary directory, removed at the end.
#
# Two runs on fresh databases, the same mail:
#   1. pg_stat_statements: statements per mail, their server time; the
#      WAL bytes (pg_current_wal_lsn before and after, pg_stat_wal), the
#      database's counters (pg_stat_database) and the server's CPU (user
#      + system of the postmaster, its children gone and alive, from
#      /proc/PID/stat);
#   2. every parse, bind and execute logged (log_min_duration_statement =
#      0): which statements diesel prepares once under a name and runs
#      again (`__diesel_stmt_N`), which it prepares unnamed each time (not
#      cached: boxed queries, sql_query, IN lists of varying length), and
#      the round trips (diesel: a prepare is one, an execute one, a
#      simple query such as BEGIN one).
#
#   scripts/pg-cost.sh            (or scripts/bench.sh pgcost)
set -euo pipefail
cd "$(dirname "$0")/.."
mails=${PG_COST_MAILS:-1000}

cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
work=$(mktemp -d)
cleanup() {
    scripts/pg-own.sh stop "$work"
    rm -rf "$work"
}
trap cleanup EXIT

url=$(scripts/pg-own.sh start "$work")
port=${url##*:}
sql() { psql "$url/${2:-postgres}" -AtqX -c "$1"; }
sql "create extension pg_stat_statements" >/dev/null
postmaster=$(scripts/pg-own.sh pid "$work")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(sql 'show server_version') on port $port (own cluster)"

python3 scripts/bench-mail.py "$work/mail" "$mails" >/dev/null
echo "$mails mails generated: $(du -sh "$work/mail" | cut -f1)"

# server_cpu: the cluster's CPU so far, in clock ticks (postmaster and the
# children it reaped, plus its children alive).
server_cpu() {
    python3 - "$postmaster" <<'PY'
import os, sys
pm = sys.argv[1]
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
f = fields(pm)
total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
for pid in os.listdir("/proc"):
    if pid.isdigit() and pid != pm:
        try:
            g = fields(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
        if g[1] == pm:
            total += int(g[11]) + int(g[12])
print(total)
PY
}

# desk NAME: a fresh database and the shipped config on it; prints the config.
desk() {
    local dir=$work/$1
    mkdir -p "$dir/mail/new" "$dir/mail/cur" "$dir/mail/tmp"
    sql "create database $1" >/dev/null
    sed -e "s|\"../examples/mail\"|\"mail\"|" -e "s|^url = \"sqlite://../var/guichet.db\"|url = \"$url/$1\"|" \
        -e "s|\"../var/outbox\"|\"outbox\"|" -e "s|\"../templates\"|\"$PWD/templates\"|" \
        config/guichet.toml > "$dir/guichet.toml"
    grep -qF "url = \"$url/$1\"" "$dir/guichet.toml" || { echo "pg-cost.sh: the database line of config/guichet.toml moved" >&2; exit 1; }
    "$bin" --config "$dir/guichet.toml" migrate >/dev/null
    echo "$dir/guichet.toml"
}

ingest() {
    find "$work/mail/new" -type f | sort | GUICHET_LOG=error /usr/bin/time -f "%e %U %S" -o "$work/time.$2" \
        xargs -n 5000 "$bin" --config "$1" ingest >/dev/null
}

# 1. Statements, WAL, CPU.
config=$(desk cost)
sql "checkpoint" >/dev/null
sql "select pg_stat_statements_reset()" >/dev/null
sql "select pg_stat_reset_shared('wal')" >/dev/null
sql "select pg_stat_reset()" cost >/dev/null
size0=$(sql "select pg_database_size('cost')")
lsn0=$(sql "select pg_current_wal_lsn()")
cpu0=$(server_cpu)
ingest "$config" 1
sleep 1  # the backends reaped
cpu1=$(server_cpu)
lsn1=$(sql "select pg_current_wal_lsn()")
dbid=$(sql "select oid from pg_database where datname = 'cost'")
sql "select pg_wal_lsn_diff('$lsn1', '$lsn0')" > "$work/wal_bytes"
sql "select wal_records, wal_fpi, wal_bytes from pg_stat_wal" > "$work/wal_stat"
sql "select xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched, blks_read, blks_hit
     from pg_stat_database where datname = 'cost'" > "$work/db_stat"
sql "select pg_database_size('cost') - $size0" > "$work/db_size"
psql "$url/postgres" -AtqX -F $'\x1f' -c "select calls, plans, rows, round(total_exec_time::numeric, 1), round(total_plan_time::numeric, 1),
            regexp_replace(query, '\s+', ' ', 'g')
     from pg_stat_statements where dbid = $dbid and toplevel order by total_exec_time desc" > "$work/statements"
stored=$(sql "select count(*) from inbound" cost)
queued=$(sql "select count(*) from outbox" cost)

# 1b. The sender: one `run --once` writes the queued mail as files.
sql "select pg_stat_statements_reset()" >/dev/null
lsn0=$(sql "select pg_current_wal_lsn()")
cpu2=$(server_cpu)
GUICHET_LOG=error /usr/bin/time -f "%e %U %S" -o "$work/time.send" "$bin" --config "$config" run --once >/dev/null
sleep 1
cpu3=$(server_cpu)
lsn1=$(sql "select pg_current_wal_lsn()")
sent=$(sql "select count(*) from outbox where state = 'sent'" cost)
send_calls=$(sql "select coalesce(sum(calls), 0) from pg_stat_statements where dbid = $dbid and toplevel")
python3 - "$sent" "$send_calls" "$(sql "select pg_wal_lsn_diff('$lsn1', '$lsn0')")" "$cpu2" "$cpu3" "$work/time.send" > "$work/send" <<'PYSEND'
import os, sys
sent, calls, wal, c0, c1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
elapsed, user, system = map(float, open(sys.argv[6]).read().split())
cpu = (c1 - c0) / os.sysconf("SC_CLK_TCK")
print(f"| the sender: {sent} queued mails written by one `run --once`, per mail sent | {calls / sent:.1f} statements, "
      f"{wal / sent / 1024:.1f} KB of WAL, server CPU {1000 * cpu / sent:.2f} ms, client CPU "
      f"{1000 * (user + system) / sent:.2f} ms ({sent / elapsed:.0f} mails/s) |")
PYSEND

# 2. The same mail, every statement's parse, bind and execute logged.
config=$(desk logged)
sql "alter database logged set log_min_duration_statement = 0" >/dev/null
log_from=$(stat -c %s "$work/run/pg.log")
ingest "$config" 2
tail -c +"$((log_from + 1))" "$work/run/pg.log" > "$work/statements.log"
log_from=$(stat -c %s "$work/run/pg.log")
GUICHET_LOG=error "$bin" --config "$config" run --once >/dev/null
tail -c +"$((log_from + 1))" "$work/run/pg.log" > "$work/send.log"
sql "select count(*) from outbox where state = 'sent'" logged > "$work/sent2"

python3 - "$mails" "$stored" "$queued" "$work" "$cpu0" "$cpu1" <<'PY'
import os, re, sys
from collections import defaultdict
mails, stored, queued, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tick = os.sysconf("SC_CLK_TCK")
cpu_server = (int(sys.argv[6]) - int(sys.argv[5])) / tick
read = lambda name: open(os.path.join(work, name)).read().strip()
elapsed, user, system = map(float, read("time.1").split())
wal = int(read("wal_bytes"))
wal_records, wal_fpi, _ = map(int, read("wal_stat").split("|"))
commits, rollbacks, ins, upd, dele, returned, fetched, blks_read, blks_hit = map(int, read("db_stat").split("|"))

def norm(q):
    q = re.sub(r"\s+", " ", q).strip()
    q = re.sub(r"\$\d+", "$n", q)
    q = re.sub(r"\(\s*\$n(?:\s*,\s*\$n)+\s*\)", "($n, …)", q)
    q = re.sub(r"'[^']*'", "'…'", q)
    q = re.sub(r"\b\d+\b", "N", q)
    return q

stats = []
for line in read("statements").splitlines():
    calls, plans, rows, exec_ms, plan_ms, q = line.split("\x1f")
    stats.append((int(calls), int(plans), int(rows), float(exec_ms), float(plan_ms), q))
total_calls = sum(s[0] for s in stats)
total_exec = sum(s[3] for s in stats)
total_plan = sum(s[4] for s in stats)

# The log: "... duration: 0.123 ms  parse|bind|execute NAME: SQL" or "statement: SQL",
# continuation lines indented.
def logged(path):
    entries, cur = [], None
    for line in open(path, errors="replace"):
        m = re.match(r"^\S+ \S+ \S+ \[\d+\] LOG:  duration: ([\d.]+) ms  (?:(parse|bind|execute) ([^:]+)|statement): (.*)$", line)
        if m:
            cur = [m.group(2) or "simple", m.group(3) or "", m.group(4)]
            entries.append(cur)
        elif cur is not None and (line.startswith("\t") or line.startswith(" ")):
            cur[2] += " " + line.strip()
        else:
            cur = None
    by = defaultdict(lambda: {"parse": 0, "execute": 0, "simple": 0, "named": 0, "unnamed": 0, "texts": set()})
    trips = 0
    for phase, name, q in entries:
        if phase == "bind":
            continue
        b = by[norm(q)]
        trips += 1
        if phase == "simple":
            b["simple"] += 1
            continue
        b[phase] += 1
        if phase == "execute":
            b["unnamed" if name.strip() == "<unnamed>" else "named"] += 1
            b["texts"].add(re.sub(r"\s+", " ", q))
    return by, trips

by, trips = logged(os.path.join(work, "statements.log"))
executions = sum(b["execute"] + b["simple"] for b in by.values())
print(f"ingest of {mails} mails on its own PostgreSQL: {stored} stored, {queued} mails queued, in {elapsed:.2f} s "
      f"({mails / elapsed:.0f} mails/s); client CPU {1000 * (user + system) / mails:.2f} ms a mail")
print()
print("| per mail | |")
print("|---|---|")
print(f"| statements (pg_stat_statements calls) | {total_calls / mails:.1f} |")
print(f"| statements executed (log: executes and simple queries) | {executions / mails:.1f} |")
print(f"| round trips (log: prepares + executes + simple queries) | {trips / mails:.1f} |")
print(f"| transactions committed | {commits / mails:.3f} ({commits} in all, {rollbacks} rolled back) |")
print(f"| rows inserted / updated / deleted | {ins / mails:.1f} / {upd / mails:.1f} / {dele / mails:.1f} |")
print(f"| WAL bytes (pg_current_wal_lsn after − before) | {wal / mails / 1024:.1f} KB ({wal_records / mails:.0f} records, {wal_fpi / mails:.1f} full pages) |")
print(f"| database growth (pg_database_size after − before) | {int(read('db_size')) / mails / 1024:.1f} KB |")
print(f"| server CPU (postmaster and its processes, /proc/PID/stat) | {1000 * cpu_server / mails:.2f} ms |")
print(f"| server statement time (execute + plan, pg_stat_statements) | {(total_exec + total_plan) / mails:.2f} ms (plan {total_plan / mails:.2f}) |")
print(read("send"))
print()
print("Statements not prepared once and reused (executed unnamed: parsed and planned at every call):")
print()
print("| executions per mail | distinct texts | statement (normalised) |")
print("|---|---|---|")
unnamed = sorted(((b["unnamed"], len(b["texts"]), k) for k, b in by.items() if b["unnamed"]), reverse=True)
for n, texts, k in unnamed:
    print(f"| {n / mails:.2f} | {texts} | `{k[:150]}` |")
print()
named = sum(b["named"] for b in by.values())
print(f"Executed under a diesel name (prepared once a connection): {named / mails:.1f} a mail, "
      f"{sum(1 for b in by.values() if b['named'])} statements; unnamed {sum(n for n, _, _ in unnamed) / mails:.1f} a mail; "
      f"simple queries (BEGIN, SAVEPOINT, COMMIT…) {sum(b['simple'] for b in by.values()) / mails:.1f} a mail.")
sent = int(read("sent2"))
sby, strips = logged(os.path.join(work, "send.log"))
print()
print(f"The sender ({sent} mails written by one `run --once`, logged): "
      f"{sum(b['execute'] + b['simple'] for b in sby.values()) / sent:.1f} statements and {strips / sent:.1f} round trips "
      "a mail sent; unnamed:")
print()
print("| executions per mail sent | statement (normalised) |")
print("|---|---|")
for n, k in sorted(((b["unnamed"], k) for k, b in sby.items() if b["unnamed"]), reverse=True):
    print(f"| {n / sent:.2f} | `{k[:150]}` |")
print()
print("The 15 statements with the most server time (pg_stat_statements):")
print()
print("| calls per mail | plans | ms per mail | statement |")
print("|---|---|---|---|")
for calls, plans, rows, exec_ms, plan_ms, q in stats[:15]:
    print(f"| {calls / mails:.2f} | {plans} | {(exec_ms + plan_ms) / mails:.3f} | `{q[:140]}` |")
PY
