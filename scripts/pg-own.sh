#!/usr/bin/env bash
# A PostgreSQL cluster of a measure's own, in a directory it is given, for
# the measures that must not share a server: pg_stat_statements needs
# shared_preload_libraries (a restart), and the WAL position, the CPU and
# the checkpoints are the whole cluster's, the machine's server carrying
# every test run's databases. Same version and default settings as the
# machine's (fsync and synchronous_commit on, 128 MB of shared buffers),
# with pg_stat_statements loaded; on a free port of 127.0.0.1, trust auth.
# As root (the server runs as the postgres user).
#
#   scripts/pg-own.sh start DIR    prints postgres://postgres@127.0.0.1:PORT
#   scripts/pg-own.sh pid DIR      the postmaster's pid
#   scripts/pg-own.sh stop DIR     stops it (DIR is the caller's to remove)
set -euo pipefail
pgbin=${PG_BIN:-$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n1)}
dir=${2:?usage: $0 start|pid|stop DIR}
case "$1" in
    start)
        port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
        mkdir -p "$dir/pg" "$dir/run"
        chmod 755 "$dir"
        chown postgres:postgres "$dir/pg" "$dir/run"
        runuser -u postgres -- "$pgbin/initdb" -D "$dir/pg" -A trust -U postgres --no-sync >/dev/null
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/run/pg.log" -w start -o "-p $port -k $dir/run \
            -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements \
            -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on -c pg_stat_statements.max=10000 \
            -c log_line_prefix='%m [%p] ' -c log_min_messages=warning" >/dev/null
        echo "postgres://postgres@127.0.0.1:$port"
        ;;
    pid) head -n1 "$dir/pg/postmaster.pid" ;;
    stop)
        [ ! -f "$dir/pg/postmaster.pid" ] ||
            runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
        ;;
    *) echo "usage: $0 start|pid|stop DIR" >&2; exit 2 ;;
esac
