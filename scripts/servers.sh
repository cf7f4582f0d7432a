#!/usr/bin/env bash
# The servers guichet's tests use: PostgreSQL (scripts/postgres.sh) and our
# own Dovecot and Postfix on loopback (scripts/mailservers.sh).
#   scripts/servers.sh start    start both, then `source` the env files printed
#   scripts/servers.sh stop     stop the mail servers (PostgreSQL is the
#                               machine's and keeps running)
#   scripts/servers.sh status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}

case "${1:-}" in
    start)
        "$here/postgres.sh"
        "$here/mailservers.sh" start
        echo "env files: $dir/env $dir/pg.env"
        ;;
    stop) "$here/mailservers.sh" stop ;;
    status)
        "$here/mailservers.sh" status || rc=$?
        if PGCONNECT_TIMEOUT=3 pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
            echo "postgresql: answers on 127.0.0.1:5432"
        else
            echo "postgresql: does not answer on 127.0.0.1:5432"
            rc=3
        fi
        exit "${rc:-0}"
        ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
