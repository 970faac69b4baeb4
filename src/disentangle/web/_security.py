"""Safe defaults for the web app: loopback-only unless a token guards it, security headers, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Mapping
from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disentangle.errors import InputError

SESSION_COOKIE = "disentangle_session"
CSRF_COOKIE = "disentangle_csrf"
TOKEN_HEADER = "x-disentangle-token"
MIN_TOKEN_LENGTH = 16

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

# No inline script or style anywhere: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)

# Reachable without the token: the login form, and the stylesheet and script it uses (no data there).
PUBLIC_PATHS = ("/login",)
PUBLIC_PREFIXES = ("/static/",)


def is_loopback(host: str) -> bool:
    """Whether binding to this address keeps the server on this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token, and refuse a token that is easy to guess."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise InputError(f"the access token must be at least {MIN_TOKEN_LENGTH} characters long")
    if not is_loopback(host) and not token:
        raise InputError(
            f"binding to {host} would expose the app beyond this machine: give --token "
            "(every request must then carry it), or bind to 127.0.0.1"
        )


class CsrfError(InputError):
    """A form post without the token this site put in the form (another site tried to submit it)."""


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def session_value(token: str) -> str:
    """What the session cookie holds: derived from the token, so the cookie never carries it."""
    return hmac.new(token.encode(), b"disentangle-session", hashlib.sha256).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(cookie: str | None, submitted: str | None) -> bool:
    """Double-submit check: the form's hidden field must equal the cookie this site set."""
    return bool(cookie) and bool(submitted) and hmac.compare_digest(str(cookie), str(submitted))


def check_csrf(cookies: Mapping[str, str], submitted: str | None) -> None:
    """Refuse a form post whose hidden token is not the one in this site's cookie."""
    if not csrf_matches(cookies.get(CSRF_COOKIE), submitted):
        raise CsrfError("the form has expired or did not come from this site; reload it and retry")


def set_csrf_cookie(response: Response, value: str) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", path="/")


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow a login (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is treated as no cookie
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


class Guard:
    """ASGI middleware: host check, token check, security headers on every response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        allowed_hosts: Iterable[str] | None,
    ) -> None:
        self.app = app
        self.token = token
        self.session = session_value(token) if token else None
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        headers = _headers(scope)
        host = headers.get("host", "").lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self.allowed_hosts is not None and hostname not in self.allowed_hosts:
            # A page elsewhere that points its own domain name at 127.0.0.1 (DNS rebinding) ends here.
            await _plain(send_with_headers, 400, "unknown Host header: this server answers only to loopback")
            return
        authorized = self.token is None or self._authorized(headers)
        scope.setdefault("state", {})["authorized"] = authorized
        if not authorized and not self._public(scope["path"]):
            await self._refuse(scope, headers, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _public(path: str) -> bool:
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

    def _authorized(self, headers: dict[str, str]) -> bool:
        assert self.token is not None and self.session is not None
        given = headers.get(TOKEN_HEADER)
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if given is not None:
            return token_matches(given, self.token)
        cookie = _cookies(headers).get(SESSION_COOKIE)
        return cookie is not None and hmac.compare_digest(cookie.encode(), self.session.encode())

    async def _refuse(self, scope: Scope, headers: dict[str, str], send: Send) -> None:
        wants_page = scope["method"] == "GET" and "text/html" in headers.get("accept", "")
        if wants_page:
            query = scope["query_string"].decode("latin-1")
            path = scope["path"] + (f"?{query}" if query else "")
            location = f"/login?next={quote(path, safe='')}"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", location.encode()), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps({"error": "this server needs its access token (header or login)"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="disentangle"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
