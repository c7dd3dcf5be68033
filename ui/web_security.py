"""Web origin safety for the HTTP servers of ``rag``: ``rag ui`` (Gradio) now, ``rag serve`` later.

The pieces, each usable on its own:

- :class:`HostPolicy`: the host names this server answers to. A request whose
  ``Host`` names anything else is refused (421), which defeats DNS rebinding: a
  hostile page whose name the attacker re-points at 127.0.0.1 still sends its own
  name in ``Host``.
- :class:`WebSecurityMiddleware`: pure ASGI middleware (no Starlette needed) that
  applies the policy, refuses cross-origin state-changing requests (403), never
  lets an ``Access-Control-Allow-*`` header out (no CORS at all: the UI is
  same-origin), and adds the security headers to every response.
- :class:`LoginLimiter` and :class:`PasswordLogin`: the password check Gradio's
  ``auth=`` gets, constant-time, with a per-client failure limit and delay.
- :func:`resolve_password` and :func:`check_exposure`: where the password comes
  from (``--password-file``, ``--password``, ``RAG_UI_PASSWORD``) and the rule that
  a server other machines can reach must have one.

Where the middleware goes. For a FastAPI/Starlette app of our own (``rag serve``),
``app.add_middleware(WebSecurityMiddleware, policy=policy)`` puts it in front of
every route. Gradio's ``launch()`` is different: ``App.create_app`` inserts its own
``CustomCORSMiddleware`` (which echoes ``Origin`` back with
``Access-Control-Allow-Credentials: true`` whenever ``Host`` is not a localhost
name, and answers preflight requests itself) *in front of* any
``app_kwargs["middleware"]``, and it only steps aside for a ``CORSMiddleware`` in a
*parent* app's middleware (``mount_gradio_app``), never under ``launch()`` (checked
in gradio 6.31.0, ``routes.py`` ``create_app`` and ``route_utils.py``
``CustomCORSMiddleware.parent_configures_cors``). So for ``launch()``,
:func:`gradio_lifespan` wraps the finished middleware stack at start-up, before the
server accepts its first connection, and :func:`is_installed` lets the caller check
that it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import ipaddress
import os
import socket
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from rag import RagError, ServeSettings, env_value

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "LOGIN_USER",
    "PASSWORD_ENV",
    "WebSecurityError",
    "HostPolicy",
    "WebSecurityMiddleware",
    "LoginLimiter",
    "PasswordLogin",
    "client_address",
    "parse_host",
    "is_loopback",
    "is_wildcard",
    "resolve_password",
    "check_exposure",
    "gradio_lifespan",
    "is_installed",
]

LOGIN_USER = "rag"
"""The one user name of the login."""
PASSWORD_ENV = "RAG_UI_PASSWORD"
"""The environment variable that holds the password (not visible in the process list, unlike ``--password``)."""

# Login rate limit: the login_* knobs of Settings.serve (rag/settings.py says why each value). After
# login_max_failures wrong passwords from one client address within login_window_s seconds, that address's
# attempts are refused, even with the right password, until the oldest of those failures is a window old.
# Each failure also waits before it is answered (login_delay_step_s, doubling, at most login_delay_max_s);
# a refused attempt waits the most. The wait is an asyncio sleep, so it holds no thread. Behind a reverse
# proxy every client has the proxy's address and shares one limit.
PASSWORD_FILE_MAX_BYTES = 4096

# What the page may load and run. Everything comes from the app itself: no CDN, no web font, no
# analytics (docs/UI.md), so 'self' is the whole allowlist. Gradio 6 needs three relaxations, all
# checked in the real browser (tests/test_ui_browser.py fails on any CSP violation):
#   script-src 'unsafe-inline': Gradio's page template hands the app its config in inline <script>
#     blocks (window.gradio_config = ...), and our own marker-click script (ui/assets.py HEAD) is inline.
#   script-src 'unsafe-eval': every gr.HTML component (the whole page here) renders its value through
#     an html_template compiled with Function(...) in the browser; without it they stay empty
#     ("Error evaluating template: EvalError"). The value is passed as an argument, not as code.
#   style-src 'unsafe-inline': Gradio's components and theme set inline styles and <style> blocks.
# So the CSP does not stop an inline script by itself; ui/render.py escaping does that. What it adds:
# nothing loads from, connects to or posts to another origin (no exfiltration by fetch, image or
# form), no plugin runs, <base> cannot be moved, and nothing can frame the app.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
)
"""Added to every response, refusals included (lower-case names, as ASGI sends them)."""

_SAFE_METHODS = frozenset({"GET", "HEAD"})
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_")

_client: contextvars.ContextVar[str] = contextvars.ContextVar("rag_web_client", default="unknown")


def client_address() -> str:
    """The address of the client whose request is being handled (set by :class:`WebSecurityMiddleware`).

    "unknown" outside a request, or when the middleware is not in front: then every caller shares
    one login limit, which fails safe.
    """
    return _client.get()


class WebSecurityError(RagError):
    """A refused server configuration (no password for an exposed server, an unreadable password file...)."""

    exit_code = 2  # a usage error: the command line asks for something unsafe or impossible


# ---- host names ----------------------------------------------------------------------------------
def _normal_ip(text: str) -> str | None:
    """The canonical text of an IP address (an IPv4-mapped IPv6 address as IPv4), None if not one."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.compressed


def _normal_name(text: str) -> str | None:
    """A host name or address as compared: lower case, no trailing dot, IPs canonical; None if malformed."""
    name = text.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
        return _normal_ip(name) if ":" in name else None
    if ":" in name:  # a bare IPv6 address (as --host or an interface address gives it)
        return _normal_ip(name)
    name = name.rstrip(".") if name != "." else ""
    if not name or len(name) > 253 or not set(name) <= _NAME_CHARS:
        return None
    return _normal_ip(name) or name


def parse_host(value: str | None) -> tuple[str, int | None] | None:
    """``(name, port)`` from a ``Host`` header or the host part of an ``Origin``; None when malformed.

    ``"LocalHost.:7860"`` -> ``("localhost", 7860)``, ``"[::1]:80"`` -> ``("::1", 80)``,
    ``"example.org"`` -> ``("example.org", None)``.
    """
    if not value:
        return None
    value = value.strip()
    port_text = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[:end + 1], value[end + 1:]
        if rest:
            if not rest.startswith(":"):
                return None
            port_text = rest[1:]
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    elif ":" in value:  # an IPv6 address must be in brackets in a Host header
        return None
    else:
        host = value
    port = None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    name = _normal_name(host)
    return (name, port) if name else None


def is_wildcard(host: str) -> bool:
    """True for a bind on every address of the machine (0.0.0.0, ::)."""
    return host.strip() in ("", "0.0.0.0", "::", "[::]")


def is_loopback(host: str) -> bool:
    """True when a server bound to ``host`` only accepts connections from this machine."""
    name = _normal_name(host)
    if name == "localhost":
        return True
    try:
        return name is not None and ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _resolve(name: str) -> set[str]:
    """The addresses ``name`` resolves to on this machine (empty if it does not); never raises."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return set()
    return {a for a in (_normal_ip(str(info[4][0])) for info in infos) if a}


@dataclass(frozen=True)
class HostPolicy:
    """The host names (and IP addresses) a server answers to; see :meth:`for_bind` for the rule.

    Besides ``names``, a ``Host`` that is the IP address the connection actually arrived on is
    always accepted: the browser typed that address, so no other site's name is involved.
    """

    names: frozenset[str]
    bind: str = "127.0.0.1"

    @classmethod
    def for_bind(cls, host: str, allow_hosts: Iterable[str] = ()) -> "HostPolicy":
        """The policy of a server bound to ``host``, plus the names given with ``--allow-host``.

        - loopback (127.0.0.1, ::1, localhost): localhost, 127.0.0.1 and [::1];
        - one address or name (192.168.1.20, mybox.lan): that address or name, and the addresses
          the name resolves to;
        - every address (0.0.0.0, ::): localhost, 127.0.0.1, [::1], this machine's host name and
          the addresses it resolves to, and whichever of the machine's addresses a connection
          arrives on (so http://192.168.1.20:7860/ works from the LAN). A DNS name of the machine
          other than its host name, or a reverse proxy's name, must be given with ``--allow-host``.

        Raises :class:`WebSecurityError` for an ``allow_hosts`` entry that is not a plain host name.
        """
        names: set[str] = set()
        for raw in allow_hosts:
            parsed = parse_host(raw)
            if parsed is None or parsed[1] is not None or "/" in raw:
                raise WebSecurityError(f"--allow-host {raw!r} is not a host name; give a name or address "
                                       "without scheme or port, e.g. --allow-host rag.example.org")
            names.add(parsed[0])
        if is_wildcard(host):
            names.update(_LOOPBACK_NAMES)
            own = _normal_name(socket.gethostname())
            if own:
                names.add(own)
                names.update(_resolve(own))
        elif is_loopback(host):
            names.update(_LOOPBACK_NAMES)
        else:
            bound = _normal_name(host)
            if bound is None:
                raise WebSecurityError(f"--host {host!r} is not a host name or address")
            names.add(bound)
            if _normal_ip(bound) is None:
                names.update(_resolve(bound))
        return cls(frozenset(names), host)

    def allows_name(self, name: str, local_address: str | None = None) -> bool:
        """True for a normalised host name this server answers to (``local_address``: where the connection arrived)."""
        if name in self.names:
            return True
        local = _normal_ip(local_address) if local_address else None
        return local is not None and name == local

    def allows_host(self, host_header: str | None, local_address: str | None = None) -> bool:
        """True when a request's ``Host`` header names this server."""
        parsed = parse_host(host_header)
        return parsed is not None and self.allows_name(parsed[0], local_address)

    def allows_origin(self, origin: str | None, host_header: str | None, local_address: str | None = None) -> bool:
        """True when ``origin`` is this server: an allowed host name, on the port the request was sent to.

        ``null`` (sandboxed frames, local files) and anything that is not a plain http(s) origin are
        not this server.
        """
        if not origin:
            return False
        try:
            parts = urlsplit(origin.strip())
        except ValueError:
            return False
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or parts.path not in ("", "/") or parts.query or "@" in parts.netloc:
            return False
        origin_host = parse_host(parts.netloc)
        request_host = parse_host(host_header)
        if origin_host is None or request_host is None:
            return False
        default = _DEFAULT_PORTS[scheme]
        same_port = (origin_host[1] or default) == (request_host[1] or default)
        return same_port and self.allows_name(origin_host[0], local_address)


# ---- the middleware ------------------------------------------------------------------------------
CORS_MAX_AGE_S = 600
"""Seconds a browser may cache a preflight answer for a configured CORS origin."""


def normal_origin(origin: str) -> str:
    """``origin`` as compared: lower case, no trailing slash, the scheme's default port left out."""
    text = origin.strip().lower().rstrip("/")
    for scheme, port in (("http", 80), ("https", 443)):
        if text.startswith(f"{scheme}://") and text.endswith(f":{port}"):
            text = text[: -len(f":{port}")]
    return text


def _plain_response(status: int, text: str) -> tuple[dict, dict]:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS]
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body})


class WebSecurityMiddleware:
    """ASGI middleware: Host allowlist, same-origin only, no CORS headers out, security headers on every response.

    - ``Host`` not allowed by the policy (or missing): 421 with a one-line plain-text body.
    - ``Origin`` present and not this server: 403 for every method but GET and HEAD (and for a
      WebSocket); a GET is answered, but without any ``Access-Control-Allow-*`` header the
      browser does not let the other page read it.
    - Every ``Access-Control-*`` header the app sets is removed (Gradio echoes origins).
    - :data:`SECURITY_HEADERS` are set on every response, replacing the app's own.
    - The client's address is available to the login check as :func:`client_address`.
    """

    def __init__(self, app, policy: HostPolicy, cors_origins: Iterable[str] = ()) -> None:
        """``cors_origins``: origins (``https://tool.example:8443``) whose pages may call this server
        (``rag serve --cors-origin``): they pass the same-origin rule and get CORS headers. None by default."""
        self.app = app
        self.policy = policy
        self.cors_origins = frozenset(normal_origin(o) for o in cors_origins)
        self._security = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS]
        self._replaced = {k for k, _ in self._security}

    async def __call__(self, scope, receive, send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = origin = None
        for key, value in scope.get("headers") or ():
            key = key.lower()
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"origin":
                origin = value.decode("latin-1")
        local = (scope.get("server") or (None, None))[0]
        if not self.policy.allows_host(host, local):
            await self._refuse(kind, send, 421, "Misdirected request: this server does not answer to that host name "
                                                "(--allow-host NAME adds one).\n")
            return
        method = scope.get("method", "GET").upper()
        unsafe = kind == "websocket" or method not in _SAFE_METHODS
        cors = kind == "http" and origin is not None and normal_origin(origin) in self.cors_origins
        if cors and method == "OPTIONS":
            await self._preflight(send, origin)
            return
        if origin is not None and unsafe and not cors and not self.policy.allows_origin(origin, host, local):
            await self._refuse(kind, send, 403, "Forbidden: cross-origin request refused.\n")
            return
        client = scope.get("client")
        token = _client.set(str(client[0]) if client else "unknown")
        try:
            await self.app(scope, receive, self._sender(send, origin if cors else None))
        finally:
            _client.reset(token)

    def _sender(self, send, cors_origin: str | None = None):
        allowed = [(b"access-control-allow-origin", cors_origin.encode("latin-1")), (b"vary", b"Origin"),
                   (b"access-control-expose-headers", b"retry-after, x-conversation-id")] if cors_origin else []

        async def wrapped(message) -> None:
            if message.get("type") in ("http.response.start", "websocket.http.response.start"):
                kept = [(k, v) for k, v in message.get("headers") or ()
                        if not k.lower().startswith(b"access-control-") and k.lower() not in self._replaced]
                message = {**message, "headers": kept + self._security + allowed}
            await send(message)

        return wrapped

    async def _preflight(self, send, origin: str) -> None:
        """The answer to a CORS preflight from a configured origin: the methods and headers the API takes."""
        start, body = _plain_response(204, "")
        start["headers"] += [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin"),
                             (b"access-control-allow-methods", b"GET, POST, DELETE"),
                             (b"access-control-allow-headers", b"authorization, content-type"),
                             (b"access-control-max-age", str(CORS_MAX_AGE_S).encode())]
        await send(start)
        await send(body)

    @staticmethod
    async def _refuse(kind: str, send, status: int, text: str) -> None:
        if kind == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        start, body = _plain_response(status, text)
        await send(start)
        await send(body)


def gradio_lifespan(policy: HostPolicy):
    """A lifespan for ``demo.launch(app_kwargs={"lifespan": ...})`` that puts the middleware in front of everything.

    It runs at start-up, before the server accepts connections, when Gradio's middleware stack
    (its CORS and Brotli middleware included) is built: the stack is wrapped once.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app):
        stack = getattr(app, "middleware_stack", None)
        if stack is None:
            stack = app.middleware_stack = app.build_middleware_stack()
        if not isinstance(stack, WebSecurityMiddleware):
            app.middleware_stack = WebSecurityMiddleware(stack, policy)
        yield

    return lifespan


def is_installed(app) -> bool:
    """True when a Starlette app's requests all pass through :class:`WebSecurityMiddleware` first."""
    return isinstance(getattr(app, "middleware_stack", None), WebSecurityMiddleware)


# ---- login ---------------------------------------------------------------------------------------
class LoginLimiter:
    """Failed logins per client address in a sliding window (the ``login_*`` knobs of ``Settings.serve``).

    Thread-safe. The limits are plain attributes: a test may shorten them on a running server's limiter.
    """

    def __init__(self, serve: ServeSettings | None = None, *, clock=time.monotonic, **limits) -> None:
        """``serve``: the Settings group the limits come from (default: its defaults); ``limits``: some of them
        changed by name (``max_failures``, ``window_s``, ``delay_step_s``, ``delay_max_s``, ``max_clients``)."""
        serve = serve or ServeSettings()
        self.max_failures: int = limits.pop("max_failures", serve.login_max_failures)
        self.window_s: float = limits.pop("window_s", serve.login_window_s)
        self.delay_step_s: float = limits.pop("delay_step_s", serve.login_delay_step_s)
        self.delay_max_s: float = limits.pop("delay_max_s", serve.login_delay_max_s)
        self.max_clients: int = limits.pop("max_clients", serve.login_max_clients)
        if limits:
            raise TypeError(f"unknown login limits: {', '.join(sorted(limits))}")
        self._clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(client, ()) if now - t < self.window_s]
        if times:
            self._failures[client] = times
        else:
            self._failures.pop(client, None)
        return times

    def blocked(self, client: str) -> bool:
        """True while ``client`` has used up its failures in the window: its attempts are refused unchecked."""
        with self._lock:
            return len(self._recent(client, self._clock())) >= self.max_failures

    def failed(self, client: str) -> float:
        """Record a wrong password; returns how long to wait before answering."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now) + [now]
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
            return min(self.delay_step_s * 2 ** (len(times) - 1), self.delay_max_s)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


class PasswordLogin:
    """The login check for Gradio's ``auth=``: pass ``PasswordLogin(password).check``.

    ``check`` is a coroutine function, so Gradio awaits it on the event loop and the failure delay
    holds no thread. User name and password are compared in constant time.
    """

    def __init__(self, password: str, user: str = LOGIN_USER, limiter: LoginLimiter | None = None) -> None:
        if not password:
            raise ValueError("an empty password protects nothing")
        self._password = password.encode("utf-8")
        self._user = user.encode("utf-8")
        self.limiter = limiter or LoginLimiter()

    def verify(self, username: str, password: str) -> bool:
        """The credentials alone, no limit: constant-time on both (no early exit on a wrong user name)."""
        user_ok = hmac.compare_digest(str(username).encode("utf-8"), self._user)
        password_ok = hmac.compare_digest(str(password).encode("utf-8"), self._password)
        return user_ok and password_ok

    async def check(self, username: str, password: str) -> bool:
        client = client_address()
        if self.limiter.blocked(client):
            await asyncio.sleep(self.limiter.delay_max_s)
            return False
        if self.verify(username, password):
            self.limiter.succeeded(client)
            return True
        await asyncio.sleep(self.limiter.failed(client))
        return False


# ---- where the password comes from, and when one is required ---------------------------------------
def _read_password_file(path: str) -> tuple[str, list[str]]:
    file = Path(path).expanduser()
    try:
        with file.open("rb") as handle:
            first = handle.readline(PASSWORD_FILE_MAX_BYTES)
            mode = os.fstat(handle.fileno()).st_mode
    except FileNotFoundError:
        raise WebSecurityError(f"--password-file {path}: no such file") from None
    except IsADirectoryError:
        raise WebSecurityError(f"--password-file {path} is a folder, not a file") from None
    except OSError as exc:
        raise WebSecurityError(f"--password-file {path} cannot be read: {exc.strerror or exc}") from None
    try:
        password = first.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise WebSecurityError(f"--password-file {path}: the first line is not UTF-8 text") from None
    if not password.strip():
        raise WebSecurityError(f"--password-file {path}: the first line is empty; write the password on it")
    warnings = []
    if stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(f"--password-file {path} can be read by other users of this machine (chmod 600 it)")
    return password, warnings


def resolve_password(password: str | None = None, password_file: str | None = None,
                     environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None, list[str]]:
    """``(password, source, warnings)``: the password the server requires, where it came from, what to warn about.

    Precedence: ``--password-file PATH``, then ``--password SECRET`` (the command line lets only one
    of the two be given), then the ``RAG_UI_PASSWORD`` environment variable; an empty variable is
    unset. ``source`` is "--password-file", "--password", "RAG_UI_PASSWORD" or None (no password).
    Raises :class:`WebSecurityError` for a missing, unreadable or empty password file.
    """
    if password_file is not None:
        secret, warnings = _read_password_file(password_file)
        return secret, "--password-file", warnings
    if password is not None:
        if not password:
            raise WebSecurityError("--password is empty")
        return password, "--password", ["--password can be read by every user of this machine in the process "
                                        f"list; prefer {PASSWORD_ENV} or --password-file PATH"]
    secret = env_value(PASSWORD_ENV, environ)
    return secret, (PASSWORD_ENV if secret else None), []


def check_exposure(host: str, password: str | None, source: str | None = None) -> None:
    """Refuse (:class:`WebSecurityError`, exit 2) to serve other machines without a password, or with one on argv."""
    if is_loopback(host):
        return
    if not password:
        raise WebSecurityError(f"--host {host} lets other machines reach the app, so it needs a password "
                               f"(user '{LOGIN_USER}'): set {PASSWORD_ENV} or give --password-file PATH")
    if source == "--password":
        raise WebSecurityError(f"--password can be read by every user of this machine in the process list; with "
                               f"--host {host} give it in {PASSWORD_ENV} or --password-file PATH")
