#!/usr/bin/env bash
# Makes the kept fixture tests/upgrade.rs opens with the new binary: a desk
# written by the previous release (v0.1.0 by default). Builds that release
# in a temporary worktree with a target directory of its own, runs a small
# scenario with it on SQLite and on PostgreSQL (tickets with articles and
# attachments, technician commands, SLA timers, a resolved ticket with its
# survey sent, a quarantined mail, outbox rows sent and still queued), and
# writes into tests/fixtures/<release>/:
#   guichet.toml       the config it ran with (TEMPLATES_DIR and the
#                      [database] url are filled in by the test)
#   sqlite/guichet.db  the SQLite database
#   postgres.sql       a plain-SQL pg_dump of the PostgreSQL database
#   sqlite/*.json, postgres/*.json
#                      what the old binary printed: tickets.json (ticket
#                      list --json), ticket-N.json (ticket show N --json),
#                      report.json, quarantine.json, outbox.json
#   now                the GUICHET_NOW those were printed at
# Needs PostgreSQL (scripts/servers.sh start). GUICHET_OLD_TARGET reuses a
# target directory for the old build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
release=${1:-v0.1.0}
out="$root/tests/fixtures/$release"
servers_dir="${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}"
if [ -z "${GUICHET_TEST_PG_URL:-}" ]; then
    # shellcheck source=/dev/null
    source "$servers_dir/pg.env"
fi
pg="${GUICHET_TEST_PG_URL%/}"

work=$(mktemp -d)
db="guichet_fixture_$$"
cleanup() {
    git -C "$root" worktree remove --force "$work/src" 2>/dev/null || true
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

git worktree add --detach "$work/src" "$release" >/dev/null
target="${GUICHET_OLD_TARGET:-$work/target}"
(cd "$work/src" && CARGO_TARGET_DIR="$target" cargo build --locked --bin guichet)
bin="$target/debug/guichet"
"$bin" --version

# The mails of the scenario.
mails="$work/mails"
mkdir -p "$mails"
mail() { # FILE FROM SUBJECT MESSAGE-ID DATE BODY [EXTRA-HEADERS]
    printf 'From: %s\r\nTo: support@example.test\r\n%sSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n' \
        "$2" "${7:-}" "$3" "$4" "$5" "$6" >"$mails/$1"
}
cat >"$mails/01-printer.eml" <<'EOF'
From: Alice Martin <alice.martin@example.test>
To: support@example.test
Subject: Imprimante du 2e en panne
Message-ID: <fixture-01@example.test>
Date: Mon, 30 Nov 2026 09:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour,
L'imprimante du 2e étage affiche « erreur 52 ». Le journal est joint.
Alice
--b1
Content-Type: text/plain; charset=utf-8; name="journal.txt"
Content-Disposition: attachment; filename="journal.txt"
Content-Transfer-Encoding: base64

MDk6MDAgZXJyZXVyIDUyCjA5OjAxIGVycmV1ciA1MgowOTowMiBob3JzIGxpZ25lCg==
--b1
Content-Type: image/png; name="ecran.png"
Content-Disposition: attachment; filename="ecran.png"
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
--b1--
EOF
mail 02-vpn.eml "Bob Durand <bob.durand@example.test>" "VPN : connexion refusée" fixture-02@example.test \
    "Mon, 30 Nov 2026 09:10:00 +0100" "Bonjour, le VPN refuse la connexion depuis ce matin. Bob" \
    $'Cc: Carole Petit <carole.petit@example.test>\r\n'
mail 03-marc.eml "Marc Dupont <marc.dupont@example.test>" "RE: [Guichet #1] Imprimante du 2e en panne" fixture-03@example.test \
    "Mon, 30 Nov 2026 09:20:00 +0100" $'#assign me\r\n#impact 2\r\nJe passe voir l\'imprimante dans la matinée.'
mail 04-sarah.eml "Sarah Lee <sarah.lee@example.test>" "RE: [Guichet #2] VPN : connexion refusée" fixture-04@example.test \
    "Mon, 30 Nov 2026 09:30:00 +0100" $'#assign me\r\n#status pending\r\nWhich error number does the client show?'
mail 05-bob.eml "Bob Durand <bob.durand@example.test>" "RE: [Guichet #2] VPN : connexion refusée" fixture-05@example.test \
    "Mon, 30 Nov 2026 09:40:00 +0100" $'Erreur 809.\r\n\r\n> Which error number does the client show?'
mail 06-screen.eml "David Roux <david.roux@example.test>" "Demande : un second écran" fixture-06@example.test \
    "Mon, 30 Nov 2026 10:00:00 +0100" "Bonjour, pourrais-je avoir un second écran ? David"
mail 07-marc.eml "Marc Dupont <marc.dupont@example.test>" "RE: [Guichet #3] Demande : un second écran" fixture-07@example.test \
    "Mon, 30 Nov 2026 10:30:00 +0100" $'#type request\r\n#resolve\r\nL\'écran est installé sur votre bureau.'
printf 'this is not a mail at all\n' >"$mails/08-broken.eml"
mail 09-wifi.eml "Erin Blanc <erin.blanc@example.test>" "Wi-Fi très lent en salle B" fixture-09@example.test \
    "Mon, 30 Nov 2026 11:30:00 +0100" "Le Wi-Fi de la salle B est très lent. Erin"
mail 10-marc.eml "Marc Dupont <marc.dupont@example.test>" "RE: [Guichet #4] Wi-Fi très lent en salle B" fixture-10@example.test \
    "Mon, 30 Nov 2026 11:45:00 +0100" $'#internal\r\nÀ voir avec le réseau.'

now="2026-11-30T12:00:00Z"

config() { # DATABASE-URL
    cat <<EOF
[database]
url = "$1"

[[mailbox]]
name = "support"
path = "maildir"
address = "support@example.test"
after = "keep"

[outgoing]
transport = "file"
dir = "outbox"
from_name = "Support"
message_id_domain = "example.test"

[tickets]
subject_tag = "Guichet"
reopen_days = 14
language = "fr"

[templates]
dir = "TEMPLATES_DIR"

[[technician]]
email = "marc.dupont@example.test"
name = "Marc Dupont"
groups = ["poste"]
language = "fr"
digest = "off"

[[technician]]
email = "sarah.lee@example.test"
name = "Sarah Lee"
groups = ["reseau"]
language = "en"
digest = "off"

[[calendar]]
name = "ouvre"
time_zone = "Europe/Paris"
working_hours = "mon-fri 08:00-18:00"

[[sla]]
name = "standard"
calendar = "ouvre"
first_response = "2h"
resolution = "8h"

[survey]
delay_hours = 0
EOF
}

scenario() { # DIR DATABASE-URL JSON-DIR
    local dir=$1 url=$2 json=$3
    mkdir -p "$dir/maildir/new" "$dir/maildir/cur" "$dir/maildir/tmp" "$json"
    config "$url" | sed "s|TEMPLATES_DIR|$work/src/templates|" >"$dir/guichet.toml"
    g() { GUICHET_NOW=$1 GUICHET_LOG=warn "$bin" --config "$dir/guichet.toml" "${@:2}"; }
    g 2026-11-30T08:00:00Z ingest <"$mails/01-printer.eml"
    g 2026-11-30T08:10:00Z ingest <"$mails/02-vpn.eml"
    g 2026-11-30T08:20:00Z ingest <"$mails/03-marc.eml"
    g 2026-11-30T08:30:00Z ingest <"$mails/04-sarah.eml"
    g 2026-11-30T08:40:00Z ingest <"$mails/05-bob.eml"
    g 2026-11-30T09:00:00Z ingest <"$mails/06-screen.eml"
    g 2026-11-30T09:30:00Z ingest <"$mails/07-marc.eml"
    g 2026-11-30T09:40:00Z ingest <"$mails/08-broken.eml"
    # Sends what is queued so far, and the survey of the resolved ticket.
    g 2026-11-30T10:00:00Z run --once
    # Queued, not sent: outbox rows still waiting at the upgrade.
    g 2026-11-30T10:30:00Z ingest <"$mails/09-wifi.eml"
    g 2026-11-30T10:45:00Z ingest <"$mails/10-marc.eml"
    g "$now" ticket list --json >"$json/tickets.json"
    for n in $(python3 -c 'import json,sys; print(" ".join(str(t["number"]) for t in json.load(open(sys.argv[1]))))' "$json/tickets.json"); do
        g "$now" ticket show "$n" --json >"$json/ticket-$n.json"
    done
    g "$now" report --json --since 2026-11-30 >"$json/report.json"
    g "$now" quarantine list --all --json >"$json/quarantine.json"
    g "$now" outbox list --json >"$json/outbox.json"
}

rm -rf "$out"
mkdir -p "$out"
config "sqlite://guichet.db" >"$out/guichet.toml"
echo "$now" >"$out/now"

echo "== SQLite"
scenario "$work/sqlite" "sqlite://guichet.db" "$out/sqlite"
if [ -e "$work/sqlite/guichet.db-wal" ] && [ -s "$work/sqlite/guichet.db-wal" ]; then
    sqlite3 "$work/sqlite/guichet.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
fi
sqlite3 "$work/sqlite/guichet.db" 'PRAGMA journal_mode=DELETE;' >/dev/null
cp "$work/sqlite/guichet.db" "$out/sqlite/guichet.db"

echo "== PostgreSQL"
psql "$pg/postgres" -qc "CREATE DATABASE $db" >/dev/null
scenario "$work/postgres" "$pg/$db" "$out/postgres"
pg_dump --format=plain --no-owner --no-privileges "$pg/$db" >"$out/postgres.sql"

ls -l "$out" "$out/sqlite" "$out/postgres"
