#!/usr/bin/env bash
# PostgreSQL for guichet's tests: makes sure a server answers on
# 127.0.0.1:5432 and lets the role postgres in without a password (trust)
# from 127.0.0.1, with the right to create databases; tests make their own
# databases with CREATE DATABASE. Also installs libpq-dev, which the Rust
# build links through pq-sys.
#
# Quick when all is there (one dpkg query, one psql call). Otherwise, as
# root: installs postgresql from Debian, creates or starts the cluster with
# pg_ctlcluster (no systemd needed), and adds a trust line to its
# pg_hba.conf when the role cannot log in.
#
# Writes ${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}/pg.env:
#   export GUICHET_TEST_PG_URL=postgres://postgres@127.0.0.1:5432
# (tests append "/<database>").
set -euo pipefail

DIR=${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}
HOST=127.0.0.1
PORT=5432
ROLE=postgres
URL=postgres://$ROLE@$HOST:$PORT

say() { echo "postgres.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# True when the role logs in over TCP without a password and may create
# databases.
pg_ok() {
    command -v psql >/dev/null 2>&1 || return 1
    PGCONNECT_TIMEOUT=3 psql -w -X -h "$HOST" -p "$PORT" -U "$ROLE" -d postgres -Atq \
        -c "select rolsuper or rolcreatedb from pg_roles where rolname = current_user" \
        2>/dev/null | grep -qx t
}

write_env() {
    mkdir -p "$DIR"
    local tmp
    tmp=$(mktemp "$DIR/pg.env.XXXXXX")
    echo "export GUICHET_TEST_PG_URL=$URL" > "$tmp"
    # The local cluster serving it, for the outage test's restart:
    #   pg_ctlcluster --skip-systemctl-redirect $GUICHET_TEST_PG_CLUSTER restart
    local cluster
    cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p {print $1 " " $2; exit}') || true
    echo "export GUICHET_TEST_PG_CLUSTER=\"${cluster:-}\"" >> "$tmp"
    chmod 644 "$tmp"
    mv -f "$tmp" "$DIR/pg.env"
}

if pkg_installed libpq-dev && pg_ok; then
    write_env
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "PostgreSQL does not answer on $HOST:$PORT as $ROLE; run this as root to install or start it"

missing=()
for p in postgresql libpq-dev; do
    pkg_installed "$p" || missing+=("$p")
done
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! pg_ok; then
    # The cluster on port 5432, or else a new "main" of the newest version.
    read -r ver name _ status _ < <(pg_lsclusters -h | awk -v p="$PORT" '$3 == p' | head -n1) || true
    if [ -z "${ver:-}" ]; then
        ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -n1)
        name=main
        if pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q .; then
            die "cluster $ver/main exists but does not use port $PORT"
        fi
        say "creating cluster $ver/$name on port $PORT"
        pg_createcluster --port "$PORT" "$ver" "$name" >/dev/null
        status=down
    fi
    if [ "$status" != online ]; then
        say "starting cluster $ver/$name"
        # --skip-systemctl-redirect: works where systemd does not run.
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
    fi
    for _ in $(seq 1 30); do
        pg_ok && break
        # Up, but the role cannot log in without a password: trust it from
        # 127.0.0.1 (the first matching line of pg_hba.conf wins).
        if PGCONNECT_TIMEOUT=3 pg_isready -q -h "$HOST" -p "$PORT"; then
            hba=/etc/postgresql/$ver/$name/pg_hba.conf
            if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
                say "adding trust for $ROLE from $HOST to $hba"
                sed -i "0,/^[^#[:space:]]/s//host all postgres 127.0.0.1\/32 trust  # guichet tests\n&/" "$hba"
                grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" ||
                    echo "host all postgres 127.0.0.1/32 trust  # guichet tests" >> "$hba"
                pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload
            fi
        fi
        sleep 1
    done
    pg_ok || die "PostgreSQL $ver/$name does not let $ROLE in on $HOST:$PORT (see /var/log/postgresql/)"
fi

write_env
say "PostgreSQL answers: $URL (env: $DIR/pg.env)"
