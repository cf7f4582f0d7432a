#!/usr/bin/env bash
# Test mail servers for guichet: our own Dovecot (IMAP, IMAPS, LMTP) and
# Postfix (SMTP with STARTTLS, SMTPS) instances, bound to 127.0.0.1 only,
# with their configuration, queue, mail and logs under one state directory.
# Nothing here touches the system-wide Dovecot or Postfix set-up, and no
# mail can leave the machine.
#
#   scripts/mailservers.sh start    install what is missing (Debian, root),
#                                   start both, check them, write $DIR/env
#   scripts/mailservers.sh stop     stop both
#   scripts/mailservers.sh status   say whether each one answers
#
# Environment (all optional):
#   GUICHET_SERVERS_DIR   state directory        (default /tmp/guichet-servers)
#   GUICHET_IMAP_PORT     IMAP, STARTTLS offered (default 10143); the same
#                         port on 127.0.0.2 acts as an older server, with
#                         neither MOVE nor UIDPLUS
#   GUICHET_IMAPS_PORT    IMAP over implicit TLS (default 10993)
#   GUICHET_SMTP_PORT     SMTP, STARTTLS offered (default 10025)
#   GUICHET_SMTPS_PORT    SMTP over implicit TLS (default 10465)
#   GUICHET_SUBMISSION_PORT  SMTP submission: STARTTLS, then AUTH required
#                            (default 10587)
#   GUICHET_SMTP_SMALL_PORT  SMTP that refuses mail over 300 kB with
#                            552 5.3.4 (default 10026)
#   GUICHET_TOKEN_ISSUER_PORT  the OAuth2 token issuer (default 10880)
#
# OAuth2: Dovecot also offers XOAUTH2 and OAUTHBEARER (IMAP, and Postfix's
# submission port through Dovecot's SASL socket). Their tokens are checked
# by introspection against scripts/token-issuer.py, started here on
# 127.0.0.1 (see its header for its endpoints); a token counts only when its
# scope holds "mail". Password logins work as before.
#
# Users: domain example.test, password "secret" for everyone. The list lives
# in $DIR/users, in Dovecot's passwd-file format (read afresh on each lookup,
# see users.lua below); a test adds a user at run time by appending one line
# to it, with no restart and no postmap:
#
#     name@example.test:{PLAIN}secret
#
# (nothing after the password: GUICHET_TEST_PASSWD_LINE_SUFFIX is empty; end
# the line with "\n"). Dovecot then accepts the login and the LMTP delivery
# at once. Postfix accepts any recipient in example.test and leaves the
# decision to Dovecot: mail for an unknown user is accepted at RCPT time and
# then bounced to its sender, as a real relay would.
#
# The submission port takes mail only from a client that logged in (AUTH
# PLAIN or LOGIN after STARTTLS, the same users and password, checked by
# Dovecot); without a login every recipient is refused with 554.
#
# Mail for other domains is refused at RCPT time ("554 5.7.1 Relay access
# denied"). Two fixed test recipients fail at RCPT time:
#   rejected@example.test  ->  550 5.1.1 rejected for tests
#   deferred@example.test  ->  450 4.2.1 deferred for tests
#
# Maildirs: $GUICHET_TEST_MAILDIR_ROOT/<local part>/Maildir (new/, cur/,
# .Processed/, ...), owned by the system user vmail.
#
# On success `start` writes $DIR/env, lines of `export KEY=value` (see
# write_env below); `source` it before running the tests.
set -euo pipefail

DIR=${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}
IMAP_PORT=${GUICHET_IMAP_PORT:-10143}
IMAPS_PORT=${GUICHET_IMAPS_PORT:-10993}
SMTP_PORT=${GUICHET_SMTP_PORT:-10025}
SMTPS_PORT=${GUICHET_SMTPS_PORT:-10465}
SUBMISSION_PORT=${GUICHET_SUBMISSION_PORT:-10587}
SMALL_SMTP_PORT=${GUICHET_SMTP_SMALL_PORT:-10026}
ISSUER_PORT=${GUICHET_TOKEN_ISSUER_PORT:-10880}
ISSUER_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/token-issuer.py
DOMAIN=example.test
PASSWORD=secret
BASE_USERS="support support2 helpdesk alice bob carol dave erin tech tech2 robot
            requester1 requester2 requester3 requester4 requester5"

case "$DIR" in
    /*) ;;
    *) echo "GUICHET_SERVERS_DIR must be an absolute path: $DIR" >&2; exit 2 ;;
esac
if [[ "$DIR" =~ [[:space:]] ]]; then
    echo "GUICHET_SERVERS_DIR must not contain white space: $DIR" >&2
    exit 2
fi

TLS=$DIR/tls
LOGS=$DIR/log
MAILROOT=$DIR/mail
USERS=$DIR/users
DC_DIR=$DIR/dovecot
DC_CONF=$DC_DIR/dovecot.conf
DC_RUN=$DC_DIR/run              # Dovecot's base_dir: pid file and sockets
DC_LOG=$LOGS/dovecot.log
PF_DIR=$DIR/postfix             # Postfix config_directory (main.cf, master.cf)
PF_QUEUE=$DIR/postfix-queue     # Postfix queue_directory
PF_DATA=$DIR/postfix-data       # Postfix data_directory
PF_LOG=$LOGS/postfix.log
ISSUER=$DIR/token-issuer.py      # a copy: runs whatever worktree started it
ISSUER_PID=$DIR/token-issuer.pid
ISSUER_LOG=$LOGS/token-issuer.log

say() { echo "mailservers: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, binds ports, runs daemons)"
}

# ---------------------------------------------------------------- install

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

POLICY_RC=/usr/sbin/policy-rc.d
remove_policy_rc() {
    if [ -f "$POLICY_RC" ] && grep -q 'guichet mailservers.sh' "$POLICY_RC"; then
        rm -f "$POLICY_RC"
    fi
}

install_packages() {
    # dovecot-auth-lua: for the passdb, see users.lua in write_dovecot_conf.
    local p missing=()
    for p in dovecot-imapd dovecot-lmtpd dovecot-auth-lua postfix openssl python3; do
        pkg_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    say "installing ${missing[*]} (first run only)"
    # "No configuration": the package leaves /etc/postfix/main.cf absent, so
    # the system-wide Postfix has nothing to run.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # While installing, forbid maintainer scripts to start system-wide
    # daemons (they would listen on *:25 and *:143). Only ours is removed.
    if [ ! -e "$POLICY_RC" ]; then
        printf '#!/bin/sh\n# temporary, from guichet mailservers.sh\nexit 101\n' > "$POLICY_RC"
        chmod 755 "$POLICY_RC"
        trap remove_policy_rc EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    remove_policy_rc
    trap - EXIT

    # Stop any system-wide instance that started anyway.
    if [ -s /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
        say "stopping the system-wide dovecot the package started"
        doveadm stop >/dev/null 2>&1 || kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true
    fi
    if [ -f /etc/postfix/main.cf ] && postfix status >/dev/null 2>&1; then
        say "stopping the system-wide postfix the package started"
        postfix stop >/dev/null 2>&1 || true
    fi
}

ensure_vmail() {
    if ! id vmail >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin vmail
    fi
}

# ------------------------------------------------------------------- TLS

# Runs a command, showing its output only when it fails.
quietly() {
    local out
    out=$("$@" 2>&1) || { echo "$out" >&2; return 1; }
}

# A small CA (CA:TRUE) and a server certificate it signed (CA:FALSE, SAN
# localhost + 127.0.0.1): rustls/webpki accept the server with the CA file
# as their only root, which they would not do for a self-signed CA:TRUE
# certificate used as a server certificate. Made once, then reused (made
# anew, with CHANGED=yes, when missing, broken or about to expire).
ensure_tls() {
    mkdir -p "$TLS"
    if [ -s "$TLS/ca.pem" ] && [ -s "$TLS/server.pem" ] && [ -s "$TLS/server.key" ] &&
       openssl verify -CAfile "$TLS/ca.pem" "$TLS/server.pem" >/dev/null 2>&1 &&
       openssl x509 -checkend 86400 -noout -in "$TLS/server.pem" >/dev/null 2>&1; then
        return 0
    fi
    say "generating a test CA and server certificate in $TLS"
    cat > "$TLS/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = guichet test
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    local tmp
    tmp=$(mktemp -d "$TLS/new.XXXXXX")
    quietly openssl req -x509 -new -config "$TLS/openssl.cnf" -extensions v3_ca \
        -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
        -days 3650 -subj "/CN=guichet test CA"
    quietly openssl req -new -config "$TLS/openssl.cnf" \
        -newkey rsa:2048 -nodes -keyout "$tmp/server.key" -out "$tmp/server.csr" \
        -subj "/CN=localhost"
    quietly openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 825 \
        -extfile "$TLS/openssl.cnf" -extensions v3_server -out "$tmp/server.pem"
    quietly openssl verify -CAfile "$tmp/ca.pem" "$tmp/server.pem"
    chmod 600 "$tmp/ca.key" "$tmp/server.key"
    chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
    mv -f "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$tmp/server.pem" "$TLS/"
    rm -rf "$tmp"
    CHANGED=yes
}

# ----------------------------------------------------------- config files

# Writes stdin to $1 when the content differs, and then sets CHANGED=yes.
# (Status through a variable: `set -e` is off inside a function whose call
# is tested with && or if.)
CHANGED=no
write_if_changed() {
    local dst=$1 tmp
    tmp=$(mktemp "$dst.XXXXXX")
    cat > "$tmp"
    if [ -f "$dst" ] && cmp -s "$tmp" "$dst"; then
        rm -f "$tmp"
        return 0
    fi
    chmod 644 "$tmp"
    mv -f "$tmp" "$dst"
    CHANGED=yes
}

# The passwd-file keeps users added by tests; the base users are put back
# when missing. It must end with a newline so that appended lines stay lines.
ensure_users() {
    touch "$USERS"
    chmod 644 "$USERS"
    if [ -s "$USERS" ] && [ -n "$(tail -c1 "$USERS")" ]; then
        echo >> "$USERS"
    fi
    local u
    for u in $BASE_USERS; do
        grep -qi "^$u@$DOMAIN:" "$USERS" || echo "$u@$DOMAIN:{PLAIN}$PASSWORD" >> "$USERS"
    done
}

write_dovecot_conf() {
    local vmail_uid
    vmail_uid=$(id -u vmail)
    write_if_changed "$DC_DIR/users.lua" <<EOF
-- The passdb of the test Dovecot (written by scripts/mailservers.sh): looks
-- users up in a file in passwd-file format, read afresh on every lookup.
-- Dovecot's own passwd-file driver re-reads the file when its mtime or size
-- changes, but stats it at most once a second per auth process: a user that
-- a test appends right after any other login stays unknown for up to a
-- second (measured: 39 of 40 such lookups failed), and an LMTP delivery to
-- them in that second bounces.
local path = "$USERS"

function auth_passdb_lookup(req)
    local want = string.lower(req.user)
    local f = io.open(path, "r")
    if f == nil then
        return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "cannot open " .. path
    end
    for line in f:lines() do
        local name, pass = string.match(line, "^([^:#%s][^:]*):([^:]*)")
        if name ~= nil and string.lower(name) == want then
            f:close()
            return dovecot.auth.PASSDB_RESULT_OK, { password = pass }
        end
    end
    f:close()
    return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "no such user"
end
EOF
    write_if_changed "$DC_DIR/oauth2.conf.ext" <<EOF
# Token introspection against the test issuer (scripts/token-issuer.py).
introspection_mode = post
introspection_url = http://127.0.0.1:$ISSUER_PORT/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
scope = mail
timeout_msecs = 5000
EOF
    write_if_changed "$DC_CONF" <<EOF
# Test Dovecot for guichet, written by scripts/mailservers.sh: edit that
# script, not this file. Started with: dovecot -c $DC_CONF
instance_name = guichet-test
base_dir = $DC_RUN
protocols = imap lmtp
listen = 127.0.0.1
hostname = mail.$DOMAIN
log_path = $DC_LOG

ssl = yes
ssl_cert = <$TLS/server.pem
ssl_key = <$TLS/server.key
ssl_dh = </usr/share/dovecot/dh.pem
# Plain LOGIN without TLS on the IMAP port (loopback tests); STARTTLS is
# offered there as well.
disable_plaintext_auth = no

auth_mechanisms = plain login xoauth2 oauthbearer
# Tests fail logins on purpose. By default a failed login is answered after
# 2 s; with 0 it still waits for the auth process's 0.5 s failure timer.
auth_failure_delay = 0
# Log failed logins with their reason.
auth_verbose = yes
# "support" logs in as "support@$DOMAIN".
auth_default_realm = $DOMAIN
auth_username_format = %Lu
# No auth cache (the default): users appended to the passwd-file count at once.
auth_cache_size = 0

# OAuth2 bearer tokens, checked by the test issuer (introspection); no
# cache, so a revoked token fails at once.
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DC_DIR/oauth2.conf.ext
}

# Users: the passwd-file $USERS, lines "name@$DOMAIN:{PLAIN}secret",
# read by a few lines of Lua on each lookup rather than by the passwd-file
# driver, so that users appended at run time count at once (see users.lua).
passdb {
  driver = lua
  args = file=$DC_DIR/users.lua blocking=no
}
# All users are virtual, mail owned by vmail. A static userdb still checks
# with the passdbs that the user exists, so LMTP refuses unknown users.
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$MAILROOT/%Ln
}
first_valid_uid = $vmail_uid

mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Processed {
    auto = create
  }
  mailbox Trash {
    auto = create
    special_use = \Trash
  }
  mailbox Sent {
    auto = create
    special_use = \Sent
  }
}

# support+42@$DOMAIN is delivered to support's INBOX; Delivered-To keeps the
# full address.
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
postmaster_address = postmaster@$DOMAIN

protocol imap {
  # Tests open many connections per user from 127.0.0.1 (default 10).
  mail_max_userip_connections = 500
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
  # The same IMAP on 127.0.0.2, as an older server: no MOVE, no UIDPLUS
  # (see the local block below), for the fallbacks guichet has for them.
  inet_listener imap_basic {
    address = 127.0.0.2
    port = $IMAP_PORT
  }
}

local 127.0.0.2 {
  protocol imap {
    imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE UNSELECT CHILDREN
  }
}

# Postfix's submission port asks this socket whether a login is good.
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}

# Beside auth_failure_delay, the auth process adds a growing penalty
# (2, 4, 8, 15 s) to every login from an IP address that failed before;
# the auth process turns it off when it cannot reach this socket.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

# Postfix delivers over LMTP on this socket ($DC_RUN/lmtp).
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
EOF
}

write_postfix_conf() {
    write_if_changed "$PF_DIR/recipient_access" <<EOF
# Fixed answers at RCPT time, for tests of permanent and transient failures.
# texthash: read when an smtpd process starts, no postmap needed.
rejected@$DOMAIN 550 5.1.1 rejected for tests
deferred@$DOMAIN 450 4.2.1 deferred for tests
EOF
    write_if_changed "$PF_DIR/main.cf" <<EOF
# Test Postfix for guichet, written by scripts/mailservers.sh: edit that
# script, not this file. Started with: postfix -c $PF_DIR start
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA

# Logs to a file that tests can read (postlogd, see master.cf); the file
# must sit under one of maillog_file_prefixes.
maillog_file = $PF_LOG
maillog_file_prefixes = $LOGS

myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP guichet test
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no

# No local delivery at all: every mailbox is virtual, in Dovecot.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:local delivery is disabled

# $DOMAIN goes to Dovecot over LMTP. virtual_mailbox_maps stays empty and
# unlisted recipients are not rejected, so users appended to Dovecot's
# passwd-file at run time need no postmap or reload here: Dovecot's LMTP
# refuses unknown users and Postfix bounces the mail to its sender.
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps =
virtual_alias_maps =
virtual_transport = lmtp:unix:$DC_RUN/lmtp
smtpd_reject_unlisted_recipient = no
recipient_delimiter = +

# Nothing leaves the machine: other domains are refused at RCPT time (no
# permit_mynetworks here), and should anything else get queued for them
# anyway, it bounces.
relay_domains =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$PF_DIR/recipient_access
default_transport = error:mail to other domains is disabled in tests
relay_transport = error:mail to other domains is disabled in tests

# Tests provoke errors on purpose: no 1 s sleep after each, and a session
# may see many before it is cut.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
message_size_limit = 52428800

# TLS: STARTTLS offered on the SMTP port; the SMTPS port (master.cf) uses
# implicit TLS with the same certificate.
smtpd_tls_security_level = may
smtpd_tls_chain_files = $TLS/server.key, $TLS/server.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

# Short queue times: a delivery that failed for a moment is retried soon.
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
delay_warning_time = 0
EOF
    # chroot "n" everywhere: the daemons read paths under $DIR directly.
    write_if_changed "$PF_DIR/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path=$DC_RUN/auth-postfix
  -o smtpd_tls_auth_only=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SMALL_SMTP_PORT inet n - n - - smtpd
  -o message_size_limit=300000
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# ------------------------------------------------------------ processes

# The pid in a pid file when that process runs under the expected name (a
# pid file left by a reboot may name some other process by now).
running_pid() {
    local file=$1 name=$2 pid
    [ -s "$file" ] || return 1
    pid=$(tr -d ' \n' < "$file")
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
    echo "$pid"
}
dovecot_pid() { running_pid "$DC_RUN/master.pid" dovecot; }
postfix_pid() { running_pid "$PF_QUEUE/pid/master.pid" master; }

# Fails when something else listens on one of our ports.
check_port_free() {
    local port=$1 what=$2
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
        ss -Hltnp "sport = :$port" >&2 || true
        die "port $port ($what) is already in use by another program; choose another with GUICHET_${what}_PORT"
    fi
}

wait_gone() {
    local pid=$1
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

log_tails() {
    say "--- last lines of $DC_LOG"
    tail -n 30 "$DC_LOG" >&2 2>/dev/null || true
    say "--- last lines of $PF_LOG"
    tail -n 30 "$PF_LOG" >&2 2>/dev/null || true
}

issuer_pid() { running_pid "$ISSUER_PID" python3; }

start_issuer() {
    local pid
    install -m 644 "$ISSUER_SRC" "$ISSUER.new"
    if pid=$(issuer_pid); then
        if cmp -s "$ISSUER.new" "$ISSUER"; then
            rm -f "$ISSUER.new"
            return 0
        fi
        say "token issuer changed: restarting it"
        kill "$pid" 2>/dev/null || true
        wait_gone "$pid" || die "token issuer (pid $pid) did not stop"
    fi
    mv -f "$ISSUER.new" "$ISSUER"
    check_port_free "$ISSUER_PORT" TOKEN_ISSUER
    nohup python3 "$ISSUER" --port "$ISSUER_PORT" </dev/null >>"$ISSUER_LOG" 2>&1 9>&- &
    echo $! > "$ISSUER_PID"
}

start_dovecot() {
    local reload=$1 pid
    if pid=$(dovecot_pid); then
        if [ "$reload" = yes ]; then
            say "configuration changed: reloading dovecot"
            dovecot -c "$DC_CONF" reload 9>&-
        fi
        return 0
    fi
    check_port_free "$IMAP_PORT" IMAP
    check_port_free "$IMAPS_PORT" IMAPS
    # Dovecot keeps its caller's stdout/stderr open: send them to the log.
    # Neither daemon may inherit the lock (fd 9), or it would hold it forever.
    if ! dovecot -c "$DC_CONF" </dev/null >>"$DC_LOG" 2>&1 9>&-; then
        log_tails
        die "dovecot did not start"
    fi
}

start_postfix() {
    local reload=$1 out
    if postfix_pid >/dev/null; then
        if [ "$reload" = yes ]; then
            say "configuration changed: reloading postfix"
            postfix -c "$PF_DIR" reload >/dev/null 2>&1 9>&-
        fi
        return 0
    fi
    check_port_free "$SMTP_PORT" SMTP
    check_port_free "$SMTPS_PORT" SMTPS
    check_port_free "$SUBMISSION_PORT" SUBMISSION
    check_port_free "$SMALL_SMTP_PORT" SMTP_SMALL
    # Postfix wants its queue_directory (root's) and data_directory (its
    # own) to exist; `postfix check` then makes the queue subdirectories.
    mkdir -p "$PF_QUEUE" "$PF_DATA"
    chown root:root "$PF_QUEUE"
    chown postfix:postfix "$PF_DATA"
    chmod 755 "$PF_QUEUE"
    chmod 700 "$PF_DATA"
    if ! out=$(postfix -c "$PF_DIR" check 2>&1); then
        echo "$out" >&2
        die "postfix -c $PF_DIR check failed"
    fi
    [ -z "$out" ] || echo "$out" >&2
    if ! postfix -c "$PF_DIR" start </dev/null >>"$LOGS/postfix-start.log" 2>&1 9>&-; then
        cat "$LOGS/postfix-start.log" >&2
        log_tails
        die "postfix did not start"
    fi
}

# Waits until something listens on a TCP port (asks the kernel rather than
# connecting, which would leave "lost connection" lines in the logs).
wait_port() {
    local port=$1
    for _ in $(seq 1 100); do
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# IMAP LOGIN (plain, STARTTLS, IMAPS, each verified against the CA), SMTP
# (STARTTLS, SMTPS, the fixed RCPT answers) and one delivery to alice's
# INBOX, which is deleted again so that tests find the INBOX as it was.
verify() {
    local p
    for p in "$IMAP_PORT" "$IMAPS_PORT" "$SMTP_PORT" "$SMTPS_PORT" "$SUBMISSION_PORT" "$SMALL_SMTP_PORT" "$ISSUER_PORT"; do
        wait_port "$p" || { log_tails; die "nothing answers on 127.0.0.1:$p"; }
    done
    if ! CA="$TLS/ca.pem" ISSUER_PORT=$ISSUER_PORT IMAP_PORT=$IMAP_PORT IMAPS_PORT=$IMAPS_PORT \
         SMTP_PORT=$SMTP_PORT SMTPS_PORT=$SMTPS_PORT SUBMISSION_PORT=$SUBMISSION_PORT DOMAIN=$DOMAIN PASSWORD=$PASSWORD \
         python3 - <<'PY'
import imaplib, os, smtplib, ssl, sys, time, uuid

env = os.environ
host, dom, pw = "127.0.0.1", env["DOMAIN"], env["PASSWORD"]
ctx = ssl.create_default_context(cafile=env["CA"])

def fail(msg):
    print("check failed: " + msg, file=sys.stderr)
    sys.exit(1)

def login(kind):
    try:
        if kind == "imaps":
            c = imaplib.IMAP4_SSL(host, int(env["IMAPS_PORT"]), ssl_context=ctx, timeout=10)
        else:
            c = imaplib.IMAP4(host, int(env["IMAP_PORT"]), timeout=10)
            if kind == "starttls":
                c.starttls(ssl_context=ctx)
        c.login("support@" + dom, pw)
        return c
    except Exception as e:
        fail("IMAP LOGIN support (%s): %r" % (kind, e))

for kind in ("plain", "starttls", "imaps"):
    login(kind).logout()

try:
    c = imaplib.IMAP4("127.0.0.2", int(env["IMAP_PORT"]), timeout=10)
    c.login("support@" + dom, pw)
    typ, caps = c.capability()
    c.logout()
except Exception as e:
    fail("IMAP LOGIN support on 127.0.0.2: %r" % (e,))
if b"MOVE" in caps[0].split() or b"UIDPLUS" in caps[0].split():
    fail("127.0.0.2 should offer neither MOVE nor UIDPLUS: %r" % (caps,))

msgid = "<check-%s@%s>" % (uuid.uuid4().hex, dom)
body = ("From: support@%s\r\nTo: alice@%s\r\nSubject: mailservers.sh check\r\n"
        "Message-ID: %s\r\n\r\nDelivery check, deleted again.\r\n" % (dom, dom, msgid))
try:
    s = smtplib.SMTP(host, int(env["SMTP_PORT"]), timeout=10)
    s.starttls(context=ctx)
    s.ehlo("check.localhost")
    for rcpt, want in (("rejected", 550), ("deferred", 450)):
        s.mail("support@" + dom)
        code, text = s.rcpt("%s@%s" % (rcpt, dom))
        if code != want:
            fail("RCPT %s@%s: %d %r, want %d" % (rcpt, dom, code, text, want))
        s.rset()
    s.sendmail("support@" + dom, ["alice@" + dom], body)
    s.quit()
    s = smtplib.SMTP_SSL(host, int(env["SMTPS_PORT"]), context=ctx, timeout=10)
    s.ehlo("check.localhost")
    s.quit()
    # Submission: refused without a login, accepted with one.
    s = smtplib.SMTP(host, int(env["SUBMISSION_PORT"]), timeout=10)
    s.starttls(context=ctx)
    s.ehlo("check.localhost")
    s.mail("support@" + dom)
    code, text = s.rcpt("alice@" + dom)
    if code < 500:
        fail("submission without a login: RCPT answered %d %r, want a refusal" % (code, text))
    s.rset()
    s.login("support@" + dom, pw)
    s.mail("support@" + dom)
    code, text = s.rcpt("alice@" + dom)
    if code != 250:
        fail("submission after a login: RCPT answered %d %r" % (code, text))
    s.quit()
except Exception as e:
    fail("SMTP: %r" % (e,))

# OAuth2: a token from the issuer logs in over XOAUTH2 (IMAP) and on the
# submission port; a token without the "mail" scope does not.
import base64, json, urllib.error, urllib.parse, urllib.request

def issuer(path, body, form=False):
    data = (urllib.parse.urlencode(body) if form else json.dumps(body)).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (env["ISSUER_PORT"], path), data=data,
                                 headers={"Content-Type": kind})
    try:
        return json.load(urllib.request.urlopen(req, timeout=10))
    except urllib.error.HTTPError as e:
        return json.load(e)
    except Exception as e:
        fail("token issuer %s: %r" % (path, e))

cid = "mailservers-check-%s" % uuid.uuid4().hex[:8]
issuer("/admin/clients", {"client_id": cid, "client_secret": "s", "scope": "mail other",
                          "user": "support@" + dom})
for scope, want in (("mail", True), ("other", False)):
    tok = issuer("/token", {"grant_type": "client_credentials", "client_id": cid,
                            "client_secret": "s", "scope": scope}, form=True)["access_token"]
    sasl = "user=support@%s\x01auth=Bearer %s\x01\x01" % (dom, tok)
    answers = [sasl.encode()]
    c = imaplib.IMAP4(host, int(env["IMAP_PORT"]), timeout=10)
    try:
        c.authenticate("XOAUTH2", lambda _challenge: answers.pop(0) if answers else b"")
        ok = True
    except imaplib.IMAP4.error:
        ok = False
    if ok != want:
        fail("IMAP XOAUTH2 with scope %r: logged in = %r" % (scope, ok))
    c.logout()
    if want:
        s = smtplib.SMTP(host, int(env["SUBMISSION_PORT"]), timeout=10)
        s.starttls(context=ctx)
        s.ehlo("check.localhost")
        if "XOAUTH2" not in s.esmtp_features.get("auth", "").upper():
            fail("submission does not offer XOAUTH2: %r" % s.esmtp_features.get("auth"))
        code, text = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(sasl.encode()).decode())
        if code != 235:
            fail("submission AUTH XOAUTH2: %d %r" % (code, text))
        s.quit()

c = imaplib.IMAP4(host, int(env["IMAP_PORT"]), timeout=10)
c.login("alice@" + dom, pw)
deadline = time.time() + 10
while True:
    c.select("INBOX")
    typ, data = c.search(None, "HEADER", "Message-ID", msgid)
    ids = data[0].split() if typ == "OK" and data and data[0] else []
    if ids:
        for i in ids:
            c.store(i, "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        break
    if time.time() > deadline:
        fail("the test mail to alice@%s did not reach her INBOX within 10 s" % dom)
    c.close()
    time.sleep(0.1)
c.logout()
PY
    then
        log_tails
        die "the servers run but do not work (see above)"
    fi
}

write_env() {
    write_if_changed "$DIR/env" <<EOF
# Test mail servers (scripts/mailservers.sh start). Source this file.
export GUICHET_TEST_SERVERS=1
export GUICHET_TEST_IMAP_PORT=$IMAP_PORT
export GUICHET_TEST_IMAPS_PORT=$IMAPS_PORT
# The IMAP port on this address offers neither MOVE nor UIDPLUS.
export GUICHET_TEST_IMAP_BASIC_HOST=127.0.0.2
export GUICHET_TEST_SMTP_PORT=$SMTP_PORT
export GUICHET_TEST_SMTPS_PORT=$SMTPS_PORT
export GUICHET_TEST_SUBMISSION_PORT=$SUBMISSION_PORT
# This SMTP port refuses mail over 300 kB (552 5.3.4 after DATA).
export GUICHET_TEST_SMTP_SMALL_PORT=$SMALL_SMTP_PORT
export GUICHET_TEST_CA_FILE=$TLS/ca.pem
export GUICHET_TEST_MAIL_DOMAIN=$DOMAIN
export GUICHET_TEST_MAIL_PASSWORD=$PASSWORD
# Add a user: append "<name>@$DOMAIN:{PLAIN}$PASSWORD\${GUICHET_TEST_PASSWD_LINE_SUFFIX}\n"
# to GUICHET_TEST_PASSWD_FILE (the suffix is empty). No restart needed.
export GUICHET_TEST_PASSWD_FILE=$USERS
export GUICHET_TEST_PASSWD_LINE_SUFFIX=
# Mail of <name>@$DOMAIN: \$GUICHET_TEST_MAILDIR_ROOT/<name>/Maildir
export GUICHET_TEST_MAILDIR_ROOT=$MAILROOT
export GUICHET_TEST_SERVERS_LOG=$LOGS
export GUICHET_TEST_DOVECOT_LOG=$DC_LOG
export GUICHET_TEST_POSTFIX_LOG=$PF_LOG
export GUICHET_TEST_SERVERS_DIR=$DIR
# For the outage tests (as root): postfix -c \$GUICHET_TEST_POSTFIX_DIR stop|start,
# doveadm -c \$GUICHET_TEST_DOVECOT_CONF stop, then dovecot -c \$GUICHET_TEST_DOVECOT_CONF.
export GUICHET_TEST_POSTFIX_DIR=$PF_DIR
export GUICHET_TEST_DOVECOT_CONF=$DC_CONF
# The OAuth2 token issuer (scripts/token-issuer.py): /token, /device,
# /introspect, and /admin/... for tests (register a client of your own).
export GUICHET_TEST_TOKEN_ISSUER_URL=http://127.0.0.1:$ISSUER_PORT
EOF
}

# --------------------------------------------------------------- actions

do_start() {
    need_root
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    # One start at a time (tests started in parallel may all call this).
    exec 9>"$DIR/.lock"
    flock 9
    install_packages
    ensure_vmail
    mkdir -p "$LOGS" "$DC_DIR" "$PF_DIR" "$MAILROOT"
    chmod 755 "$LOGS" "$DC_DIR" "$PF_DIR"

    local tls_new dc_reload pf_reload
    CHANGED=no; ensure_tls; tls_new=$CHANGED
    ensure_users
    chown vmail:vmail "$MAILROOT"
    chmod 755 "$MAILROOT"
    CHANGED=$tls_new; write_dovecot_conf; dc_reload=$CHANGED
    CHANGED=$tls_new; write_postfix_conf; pf_reload=$CHANGED

    start_issuer
    start_dovecot "$dc_reload"
    start_postfix "$pf_reload"
    verify
    write_env
    say "running: IMAP 127.0.0.1:$IMAP_PORT, IMAPS :$IMAPS_PORT, SMTP :$SMTP_PORT, SMTPS :$SMTPS_PORT, submission :$SUBMISSION_PORT"
    say "environment for the tests: source $DIR/env"
}

do_stop() {
    need_root
    local dc pf
    # Signal both, then wait: each takes 2-3 s to wind down.
    if pf=$(postfix_pid); then
        postfix -c "$PF_DIR" stop </dev/null >>"$LOGS/postfix-start.log" 2>&1 || kill "$pf" 2>/dev/null || true
    fi
    if dc=$(dovecot_pid); then
        kill -TERM "$dc" 2>/dev/null || true
    fi
    if [ -n "$pf" ]; then
        wait_gone "$pf" || die "postfix (pid $pf) did not stop"
        say "postfix stopped"
    else
        say "postfix was not running"
    fi
    if [ -n "$dc" ]; then
        wait_gone "$dc" || die "dovecot (pid $dc) did not stop"
        say "dovecot stopped"
    else
        say "dovecot was not running"
    fi
    local ti
    if ti=$(issuer_pid); then
        kill "$ti" 2>/dev/null || true
        wait_gone "$ti" || die "token issuer (pid $ti) did not stop"
        say "token issuer stopped"
    fi
    # Tests that source a stale env file would try servers that are gone.
    rm -f "$DIR/env"
}

do_status() {
    local rc=0 pid
    if pid=$(dovecot_pid); then
        echo "dovecot: running, pid $pid ($DC_CONF)"
    else
        echo "dovecot: not running"
    fi
    if pid=$(postfix_pid); then
        echo "postfix: running, pid $pid ($PF_DIR)"
    else
        echo "postfix: not running"
    fi
    # The greeting of each port; TLS ones verified against our CA.
    CA="$TLS/ca.pem" python3 - "$IMAP_PORT" "$IMAPS_PORT" "$SMTP_PORT" "$SMTPS_PORT" "$SUBMISSION_PORT" <<'PY' || rc=3
import os, socket, ssl, sys
ok = True
for name, port, tls in (("IMAP", sys.argv[1], False), ("IMAPS", sys.argv[2], True),
                        ("SMTP", sys.argv[3], False), ("SMTPS", sys.argv[4], True),
                        ("SUBM", sys.argv[5], False)):
    try:
        sock = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
        if tls:
            ctx = ssl.create_default_context(cafile=os.environ["CA"])
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        line = sock.makefile("rb").readline().decode(errors="replace").strip()
        sock.close()
        print("  %-5s 127.0.0.1:%s answers: %s" % (name, port, line))
    except Exception as e:
        ok = False
        print("  %-5s 127.0.0.1:%s does not answer (%s)" % (name, port, e))
sys.exit(0 if ok else 1)
PY
    [ ! -f "$DIR/env" ] || echo "env file: $DIR/env"
    return $rc
}

case "${1:-}" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
