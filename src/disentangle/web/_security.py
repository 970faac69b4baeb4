"""Safe defaults for the web app: loopback-only unless a token guards it, security headers, CSRF.

Cross-site form posts meet two locks. The guard refuses any unsafe request a browser marks as coming from
another site (Sec-Fetch-Site) or another origin (Origin); and each form carries a token that is an HMAC,
under a key only the server knows, of what binds it to this browser (the session id when signed in, else
a random cookie). A page elsewhere can set cookies for 127.0.0.1 (cookies ignore ports) but cannot compute
the token for them, so no pair it chooses is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from http.cookies import SimpleCookie
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disentangle.errors import InputError

SESSION_COOKIE = "disentangle_session"
CSRF_COOKIE = "disentangle_csrf"  # a random value binding forms to this browser when nobody is signed in
TOKEN_HEADER = "x-disentangle-token"
MIN_TOKEN_LENGTH = 16
TOKEN_PRINCIPAL = "token-holder"  # whom a session opened with the server's access token belongs to
USER_PRINCIPAL = "user:"  # a session or API token of a user account: "user:" and the user's id
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})  # "none": typed in the address bar, a bookmark
_BINDING = re.compile(r"^[A-Za-z0-9_-]{16,100}$")

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
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with the app's own form
    # posts, and the cross-site check could not tell them from a sandboxed frame's. Other sites still get
    # no referrer.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)

# Reachable without the token: the login form, and the stylesheet and script it uses (no data there).
PUBLIC_PATHS = ("/login", "/healthz", "/readyz")  # the probes say nothing but up or not
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


def check_binding(host: str, token: str | None, *, accounts: bool = False) -> None:
    """Refuse to serve beyond this machine without a token or user accounts (then everyone signs in),
    and refuse a token that is easy to guess."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise InputError(f"the access token must be at least {MIN_TOKEN_LENGTH} characters long")
    if not is_loopback(host) and not token and not accounts:
        raise InputError(
            f"binding to {host} would expose the app beyond this machine: give --token "
            "(every request must then carry it), add users (`disentangle user add`: everyone then signs "
            "in), or bind to 127.0.0.1"
        )


class CsrfError(InputError):
    """A form post without the token this site put in the form (another site tried to submit it)."""


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def new_csrf_token() -> str:
    """A new random binding value for the CSRF cookie."""
    return secrets.token_urlsafe(24)


def sign_binding(key: bytes, binding: str) -> str:
    """The form token for a binding: an HMAC under the server's key, so no client can make one."""
    digest = hmac.new(key, b"disentangle-csrf:" + binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _binding(request: Request) -> str | None:
    """What this browser's forms are bound to: its session when signed in, else its CSRF cookie."""
    session_id = request.scope.get("state", {}).get("session_id")
    if session_id:
        return str(session_id)
    cookie = request.cookies.get(CSRF_COOKIE)
    return cookie if cookie and _BINDING.match(cookie) else None


def _key(request: Request) -> bytes:
    key: bytes = request.app.state.site.csrf_key
    return key


def form_token(request: Request) -> str:
    """The token to put in a form of this page; pair it with `remember_binding` on the response."""
    binding = _binding(request)
    if binding is None:
        state = request.scope.setdefault("state", {})
        binding = state.get("new_csrf_binding") or new_csrf_token()
        state["new_csrf_binding"] = binding
    return sign_binding(_key(request), binding)


def remember_binding(request: Request, response: Response) -> None:
    """Set the CSRF cookie when `form_token` had to make a binding for this browser."""
    binding = request.scope.get("state", {}).get("new_csrf_binding")
    if binding:
        response.set_cookie(
            CSRF_COOKIE,
            binding,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


def csrf_matches(request: Request, submitted: str | None) -> bool:
    """Whether a posted form's token is the one this server made for this browser. A request signed in by
    its Authorization header (an API client) carries no cookie another site could ride: it passes."""
    if request.scope.get("state", {}).get("by_header"):
        return True
    binding = _binding(request)
    if not binding or not submitted:
        return False
    return hmac.compare_digest(sign_binding(_key(request), binding).encode(), str(submitted).encode())


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post whose hidden token is not the one this server made for this browser."""
    if not csrf_matches(request, submitted):
        raise CsrfError("the form has expired or did not come from this site; reload it and retry")


def same_origin(method: str, headers: dict[str, str]) -> bool:
    """Whether an unsafe request may come from where the browser says it comes from.

    Browsers send Sec-Fetch-Site and Origin with form posts; a page on another site or port gets
    "cross-site"/"same-site" and its own origin. Clients that send neither (curl, scripts with the token)
    are not browsers a page could drive, and pass."""
    if method.upper() in SAFE_METHODS:
        return True
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCHES:
        return False
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin.strip().lower() == "null":  # a sandboxed frame, a file: page, a redirect across sites...
        return fetch_site is not None and fetch_site.lower() == "same-origin"  # ...or a no-referrer page
    host = headers.get("host", "")  # a reverse proxy must pass the Host it was asked for (docs/security.md)
    try:
        netloc = urlsplit(origin.strip()).netloc.lower()
    except ValueError:
        return False
    return bool(netloc) and netloc == host.strip().lower()


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


class People(Protocol):
    """User accounts as the Guard needs them (the Site implements this over the Workspace)."""

    def accounts(self) -> bool:
        """Whether any user exists: then every request must come from someone signed in."""
        ...

    def principal_of_token(self, token: str) -> str | None:
        """USER_PRINCIPAL + id of the user an API token belongs to, or None."""
        ...

    def user_of(self, principal: str) -> Any | None:
        """The user (with `may_edit`) of a principal, or None when the account is gone."""
        ...

    def acting_as(self, user: Any | None) -> AbstractContextManager[None]:
        """Everything inside runs as this user (what they may see)."""
        ...

    def record_change(self, method: str, path: str, status: int) -> None:
        """Write a change made through the web into the audit log (as the user acting)."""
        ...


class Guard:
    """ASGI middleware: host check, cross-site check, token or session check, security headers.

    `sessions` maps a session cookie to its principal (None: unknown, expired or revoked); it is called
    in a worker thread, as it reads the database."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        allowed_hosts: Iterable[str] | None,
        sessions: Callable[[str], str | None] | None = None,
        people: People | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.sessions = sessions
        self.people = people
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
        if not same_origin(scope["method"], headers):
            await _plain(
                send_with_headers,
                403,
                "refused: this form was sent from another site or port; use the app's own pages",
            )
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        people = self.people
        # With user accounts, everyone signs in, on loopback too: the laptop's no-login mode ends there.
        accounts = people is not None and await anyio.to_thread.run_sync(people.accounts)
        state["accounts"] = accounts
        required = self.token is not None or accounts
        authorized = not required or await self._authorized(headers, state)
        user = None
        principal = str(state.get("principal") or "")
        if authorized and people is not None and principal.startswith(USER_PRINCIPAL):
            user = await anyio.to_thread.run_sync(people.user_of, principal)
            authorized = user is not None  # an account removed since: its sessions and tokens stop
        state["authorized"] = authorized
        state["user"] = user
        if not authorized and not self._public(scope["path"]):
            await self._refuse(scope, headers, send_with_headers)
            return
        unsafe = scope["method"].upper() not in SAFE_METHODS
        if user is not None and unsafe and not user.may_edit and scope["path"] not in ("/login", "/logout"):
            await _plain(send_with_headers, 403, "refused: a viewer can read but not change anything")
            return
        if people is None:
            await self.app(scope, receive, send_with_headers)
            return
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send_with_headers(message)

        with people.acting_as(user):
            await self.app(scope, receive, send_noting_status)
            if required and unsafe and status < 400 and scope["path"] != "/login":
                # Every change through the web, by whom and when, besides the workspace's own entries.
                await anyio.to_thread.run_sync(
                    people.record_change, scope["method"].upper(), scope["path"], status
                )

    @staticmethod
    def _public(path: str) -> bool:
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

    async def _authorized(self, headers: dict[str, str], state: dict[str, Any]) -> bool:
        given = headers.get(TOKEN_HEADER)
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if given is not None:
            if self.token is not None and token_matches(given, self.token):
                state["principal"] = TOKEN_PRINCIPAL
                state["by_header"] = True
                return True
            if self.people is None:
                return False
            principal = await anyio.to_thread.run_sync(self.people.principal_of_token, given)
            state["principal"] = principal
            state["by_header"] = principal is not None
            return principal is not None
        cookie = _cookies(headers).get(SESSION_COOKIE)
        if not cookie or self.sessions is None:
            return False
        principal = await anyio.to_thread.run_sync(self.sessions, cookie)
        if principal is None:
            return False
        state["session_id"] = cookie
        state["principal"] = principal
        return True

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
        body = json.dumps(
            {"error": "sign in first: send Authorization: Bearer TOKEN (your API token), or log in"}
        ).encode()
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
