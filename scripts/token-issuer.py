#!/usr/bin/env python3
"""A small OAuth2 token issuer for guichet's tests, on loopback only.

Python 3 standard library only. Dovecot checks the tokens it is given over
XOAUTH2 / OAUTHBEARER by POSTing them to /introspect (its oauth2 passdb);
guichet gets them from /token. Several tests share one issuer: each
registers its own client first, and everything it does (tokens, device
codes, outages) is tied to that client.

Endpoints (form-encoded bodies, JSON answers, as OAuth2 does):
  POST /token         grant_type = client_credentials | refresh_token |
                      urn:ietf:params:oauth:grant-type:device_code
  POST /device        client_id, scope -> device_code, user_code, ...
  POST /introspect    token -> {active, username, scope, client_id, exp}
Test administration (JSON bodies):
  POST /admin/clients {client_id, client_secret?, scope, user, lifetime?,
                       rotate?}   register (or replace) a client; `scope`
                      is what it may be granted, `user` the mailbox its
                      client-credentials tokens act for
  POST /admin/approve {user_code, user?, scope?}  the person signs in
  POST /admin/revoke  {client_id}   revokes its refresh and access tokens
  POST /admin/lifetime {client_id, lifetime}
  POST /admin/down    {client_id, seconds}  the issuer does not answer that
                      client (connection closed) for so long
  GET  /admin/stats?client_id=X     counts of tokens issued and refused
"""

import argparse
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
CLIENTS = {}   # client_id -> dict(secret, scope, user, lifetime, rotate, down_until)
ACCESS = {}    # token -> dict(client_id, user, scope, exp)
REFRESH = {}   # token -> dict(client_id, user, scope, active)
DEVICE = {}    # device_code -> dict(client_id, user_code, scope, exp, approved_user, denied)
STATS = {}     # client_id -> dict(counter -> n)


def count(client_id, what):
    STATS.setdefault(client_id, {}).setdefault(what, 0)
    STATS[client_id][what] += 1


def issue_access(client, client_id, user, scope):
    token = "at-" + secrets.token_hex(16)
    ACCESS[token] = {"client_id": client_id, "user": user, "scope": scope,
                     "exp": time.time() + client["lifetime"]}
    count(client_id, "access_issued")
    return token


def issue_refresh(client_id, user, scope):
    token = "rt-" + secrets.token_hex(16)
    REFRESH[token] = {"client_id": client_id, "user": user, "scope": scope, "active": True}
    count(client_id, "refresh_issued")
    return token


def scope_ok(asked, allowed):
    return set(asked.split()) <= set(allowed.split())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        # Never the bodies: they hold secrets.
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, description="", status=400):
        self.answer(status, {"error": code, "error_description": description})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode() if n else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def down(self, client_id):
        """The issuer is away for this client: close without an answer."""
        c = CLIENTS.get(client_id)
        if c and c.get("down_until", 0) > time.time():
            count(client_id, "while_down")
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return True
        return False

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/admin/stats":
            cid = parse_qs(url.query).get("client_id", [""])[0]
            with LOCK:
                return self.answer(200, STATS.get(cid, {}))
        if url.path == "/health":
            return self.answer(200, {"ok": True})
        self.error("not_found", status=404)

    def do_POST(self):
        path = urlparse(self.path).path
        try:
            form = self.body()
        except (ValueError, UnicodeDecodeError):
            return self.error("invalid_request", "unreadable body")
        with LOCK:
            handler = {
                "/token": self.token, "/device": self.device, "/introspect": self.introspect,
                "/admin/clients": self.register, "/admin/approve": self.approve,
                "/admin/revoke": self.revoke, "/admin/lifetime": self.lifetime, "/admin/down": self.set_down,
            }.get(path)
            if handler is None:
                return self.error("not_found", status=404)
            return handler(form)

    # ---- OAuth2

    def token(self, f):
        cid = f.get("client_id", "")
        if self.down(cid):
            return
        client = CLIENTS.get(cid)
        if client is None:
            return self.error("invalid_client", "unknown client", 401)
        if client.get("secret") and f.get("client_secret") != client["secret"]:
            count(cid, "refused")
            return self.error("invalid_client", "wrong client secret", 401)
        grant = f.get("grant_type")
        if grant == "client_credentials":
            scope = f.get("scope", "")
            if not scope_ok(scope, client["scope"]):
                count(cid, "refused")
                return self.error("invalid_scope", "scope not granted to this client")
            at = issue_access(client, cid, client["user"], scope)
            return self.answer(200, {"access_token": at, "token_type": "Bearer",
                                     "expires_in": client["lifetime"], "scope": scope})
        if grant == "refresh_token":
            rt = REFRESH.get(f.get("refresh_token", ""))
            if rt is None or not rt["active"] or rt["client_id"] != cid:
                count(cid, "refused")
                return self.error("invalid_grant", "refresh token revoked, expired or unknown")
            scope = f.get("scope") or rt["scope"]
            if not scope_ok(scope, rt["scope"]):
                count(cid, "refused")
                return self.error("invalid_scope", "more scope than granted")
            out = {"token_type": "Bearer", "expires_in": client["lifetime"], "scope": scope,
                   "access_token": issue_access(client, cid, rt["user"], scope)}
            if client.get("rotate", True):
                rt["active"] = False
                out["refresh_token"] = issue_refresh(cid, rt["user"], rt["scope"])
            count(cid, "refreshed")
            return self.answer(200, out)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            d = DEVICE.get(f.get("device_code", ""))
            if d is None or d["client_id"] != cid:
                return self.error("invalid_grant", "unknown device code")
            if d["exp"] < time.time():
                return self.error("expired_token", "the code expired")
            if d["denied"]:
                return self.error("access_denied", "the person declined")
            if d["approved_user"] is None:
                return self.error("authorization_pending")
            del DEVICE[f["device_code"]]
            scope = d["scope"]
            return self.answer(200, {
                "token_type": "Bearer", "expires_in": client["lifetime"], "scope": scope,
                "access_token": issue_access(client, cid, d["approved_user"], scope),
                "refresh_token": issue_refresh(cid, d["approved_user"], scope)})
        return self.error("unsupported_grant_type", str(grant))

    def device(self, f):
        cid = f.get("client_id", "")
        if self.down(cid):
            return
        client = CLIENTS.get(cid)
        if client is None:
            return self.error("invalid_client", "unknown client", 401)
        scope = f.get("scope", "")
        if not scope_ok(scope, client["scope"]):
            return self.error("invalid_scope", "scope not granted to this client")
        code = "dc-" + secrets.token_hex(16)
        user_code = "%s-%s" % (secrets.token_hex(2).upper(), secrets.token_hex(2).upper())
        DEVICE[code] = {"client_id": cid, "user_code": user_code, "scope": scope,
                        "exp": time.time() + 600, "approved_user": None, "denied": False}
        host = self.headers.get("Host", "127.0.0.1")
        return self.answer(200, {"device_code": code, "user_code": user_code,
                                 "verification_uri": "http://%s/device-login" % host,
                                 "expires_in": 600, "interval": 1})

    def introspect(self, f):
        t = ACCESS.get(f.get("token", ""))
        if t is None:
            return self.answer(200, {"active": False})
        if self.down(t["client_id"]):
            return
        if t["exp"] < time.time():
            count(t["client_id"], "introspected_expired")
            return self.answer(200, {"active": False})
        count(t["client_id"], "introspected")
        return self.answer(200, {"active": True, "username": t["user"], "scope": t["scope"],
                                 "client_id": t["client_id"], "exp": int(t["exp"])})

    # ---- administration, for the tests

    def register(self, f):
        cid = f["client_id"]
        CLIENTS[cid] = {"secret": f.get("client_secret"), "scope": f.get("scope", ""),
                        "user": f.get("user", ""), "lifetime": int(f.get("lifetime", 3600)),
                        "rotate": bool(f.get("rotate", True)), "down_until": 0}
        return self.answer(200, {"client_id": cid})

    def approve(self, f):
        for d in DEVICE.values():
            if d["user_code"] == f.get("user_code"):
                if f.get("deny"):
                    d["denied"] = True
                else:
                    d["approved_user"] = f.get("user") or CLIENTS[d["client_id"]]["user"]
                    if f.get("scope"):
                        d["scope"] = f["scope"]
                return self.answer(200, {"approved": not f.get("deny")})
        return self.error("invalid_request", "no such user code", 404)

    def revoke(self, f):
        cid = f["client_id"]
        n = 0
        for rt in REFRESH.values():
            if rt["client_id"] == cid and rt["active"]:
                rt["active"] = False
                n += 1
        for token in [t for t, a in ACCESS.items() if a["client_id"] == cid]:
            del ACCESS[token]
        return self.answer(200, {"revoked": n})

    def lifetime(self, f):
        CLIENTS[f["client_id"]]["lifetime"] = int(f["lifetime"])
        return self.answer(200, {})

    def set_down(self, f):
        CLIENTS[f["client_id"]]["down_until"] = time.time() + float(f["seconds"])
        return self.answer(200, {})


def main():
    p = argparse.ArgumentParser(description="OAuth2 token issuer for tests (loopback)")
    p.add_argument("--port", type=int, default=10880)
    p.add_argument("--host", default="127.0.0.1")
    a = p.parse_args()
    server = ThreadingHTTPServer((a.host, a.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
