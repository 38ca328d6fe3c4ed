"""A recording proxy: the merchant's staging backend uses it as its Flexiti base URL, so the calls it makes to a real
Flexiti environment are journaled as the embedded sandbox journals them, secrets masked, and a test can make Flexiti
misbehave (an error, an expired token, a call held until the caller gives up) on the merchant's own site.

`python -m harness.proxy --env training` forwards to that environment's POS API base (FLEXITI_API_BASE, default the
documented host) and masks its FLEXITI_CLIENT_SECRET, both read as the suite reads them (`.env.training`, the process
environment); `--upstream https://posapi-training.flexiti.fi` names the upstream directly, with the secret taken
from the variable --secret-env names. An upstream that is not on loopback must be https: the proxy forwards the
client secret. It prints the base URL for the merchant backend and the journal URL.

Control plane (only the harness may use it): the journal at /__sandbox/journal (GET reads, DELETE clears) and the
faults at /__sandbox/faults (POST adds one, GET lists, DELETE clears) need `Authorization: Bearer <token>`, the
control token: FLEXITI_PROXY_TOKEN from the environment (or .env.<env>; --token-env names another variable), else
one made for this run and printed once. Every request must name the proxy by a loopback host name (127.0.0.1,
localhost, [::1]) or its bound address in Host; anything else gets 403, a bad or missing token 401.

Bounds: a request body over --max-body bytes gets 413 and is not forwarded; the journal keeps the last
--journal-calls calls (older ones are dropped and counted) and replaces a body over --journal-body bytes, or one that
is not UTF-8, by a marker. Only paths under /flexiti/pos-api/ are forwarded, after dot segments are resolved; a path
that resolves outside it gets 400. Journal entries give the path exactly as upstream received it.

It listens on loopback only (it sees the client secret and tokens), so it runs on the staging backend's own host, and
the test machine reaches it through an SSH tunnel: `ssh -N -L 8765:127.0.0.1:8765 staging-host`. It logs one line
per call to stderr (method, path, status, time; never a body or a header) and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import ipaddress
import json
import logging
import os
import secrets as token_source
import signal
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.masking import Masker
from harness.proxy_faults import FAULTS_PATH, Fault, FaultTable, issued_tokens, refused_widget_url, used_token
from harness.proxy_journal import (
    DEFAULT_JOURNAL_BODY_BYTES,
    DEFAULT_JOURNAL_CALLS,
    BoundedRecorder,
    proxy_entry,
)
from harness.proxy_server import ThreadedServer
from harness.recording import JOURNAL_PATH
from harness.settings import ROOT, Environment, SettingsError, is_loopback, load_settings

API_PATH = "/flexiti/pos-api"
DEFAULT_PORT = 8765
DEFAULT_SECRET_ENV = "FLEXITI_CLIENT_SECRET"
DEFAULT_TOKEN_ENV = "FLEXITI_PROXY_TOKEN"
MIN_TOKEN_LENGTH = 16
# What --env needs: the secret to mask. No storefront or test customers: the proxy runs beside the backend.
REQUIRED_FOR_PROXY = ("FLEXITI_CLIENT_SECRET",)
# Longer than a merchant backend's own timeout, so the backend gives up first and the proxy still journals the end.
DEFAULT_TIMEOUT_SECONDS = 30.0
# POS API requests are a few kilobytes; anything near this is not a Flexiti call.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Flexiti's answers are small too; a larger one is refused rather than buffered.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
               "trailer", "transfer-encoding", "upgrade"}
# httpx sets Host and Content-Length for the upstream request itself.
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length"}
# The body is relayed decoded, so its encoding and length headers no longer apply; uvicorn adds its own Date and Server.
_NOT_RELAYED = _HOP_BY_HOP | {"content-encoding", "content-length", "date", "server"}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}

log = logging.getLogger("harness.proxy")


def loopback_address(host: str) -> str:
    """The address to listen on; anything but loopback is refused, since the proxy carries secrets and tokens."""
    address = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"--host {host!r} is not a loopback address: the proxy sees the client secret and tokens, "
                         "so it listens only on 127.0.0.1, ::1 or localhost")
    return address


def upstream_origin(url: str) -> str:
    """The Flexiti environment's origin, from the origin or the documented POS API base; any other path is refused,
    since the journal's paths must be the ones Flexiti receives, and so is plain http beyond loopback, since the
    client secret would cross the network in clear text."""
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
            or parts.path.rstrip("/") not in ("", API_PATH)):
        raise ValueError(f"--upstream {url!r} must be an http(s) origin such as https://posapi-training.flexiti.fi "
                         f"(or that origin followed by {API_PATH}/)")
    if parts.scheme != "https" and not is_loopback(parts.hostname):
        raise ValueError(f"--upstream {url!r} must use https: the proxy forwards the client secret and tokens, and "
                         "plain http is accepted only for a loopback upstream (a local simulator)")
    return f"{parts.scheme}://{parts.netloc}"


class PathRefused(ValueError):
    """A request path the proxy will not forward; the message says why."""


def forwarded_path(raw_path: str) -> str:
    """The path to send upstream, in its raw (percent-encoded) form: dot segments resolved (an encoded dot is a dot,
    RFC 3986 §2.3), and refused unless the result stays under the POS API base."""
    if "\\" in raw_path or any(code in raw_path.lower() for code in ("%2f", "%5c", "%00")):
        raise PathRefused(f"{raw_path!r} has an encoded slash, backslash or NUL; a POS API path never does")
    dotted = raw_path.replace("%2e", ".").replace("%2E", ".")
    segments: list[str] = []
    parts = dotted.split("/")[1:]
    for index, segment in enumerate(parts):
        last = index == len(parts) - 1
        if segment == "..":
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif segment == ".":
            if last:
                segments.append("")
        else:
            segments.append(segment)
    path = "/" + "/".join(segments)
    if not path.startswith(API_PATH + "/"):
        raise PathRefused(f"{raw_path!r} resolves to {path!r}, outside the POS API base {API_PATH}/: the proxy "
                          "forwards only POS API calls")
    return path


def host_name(header: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets, lower-cased."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _error(request: Request, status: int, error: str, message: str, **headers: str) -> JSONResponse:
    """Flexiti's error shape, so a merchant backend handles the proxy's own answers as Flexiti errors."""
    return JSONResponse({"url": request.url.path, "message": message, "error": error}, status_code=status,
                        headers=headers or None)


def _cause(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class RecordingProxy:
    """Forwards every POS API call to `upstream` with one shared client and journals it, masking `secrets` and
    tokens; answers injected faults itself; serves its journal and faults to holders of `control_token` only."""

    def __init__(self, upstream: str, secrets: Iterable[str] = (), *, host: str = "127.0.0.1", port: int = 0,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, control_token: str | None = None,
                 max_body: int = DEFAULT_MAX_BODY_BYTES, journal_calls: int = DEFAULT_JOURNAL_CALLS,
                 journal_body: int = DEFAULT_JOURNAL_BODY_BYTES) -> None:
        self.upstream = upstream_origin(upstream)
        address = loopback_address(host)
        if control_token is not None and len(control_token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the control token must be at least {MIN_TOKEN_LENGTH} characters")
        self.control_token = control_token or token_source.token_urlsafe(24)
        self.timeout = timeout
        self.max_body = max_body
        self.journal_body = journal_body
        masker = Masker(hidden=[*secrets, self.control_token])
        self.recorder = BoundedRecorder(masker, journal_calls)
        self.faults = FaultTable()
        self.errors: list[str] = []  # the proxy's own crashes, served with the journal as the simulator serves its own
        self.host_names = _LOOPBACK_NAMES | {address.lower()}
        app = Starlette(routes=[
            Route(JOURNAL_PATH, self.read_journal, methods=["GET"]),
            Route(JOURNAL_PATH, self.clear_journal, methods=["DELETE"]),
            Route(FAULTS_PATH, self.list_faults, methods=["GET"]),
            Route(FAULTS_PATH, self.add_fault, methods=["POST"]),
            Route(FAULTS_PATH, self.clear_faults, methods=["DELETE"]),
            Route("/{path:path}", self.forward, methods=_METHODS),
        ], lifespan=self._lifespan)
        self._server = ThreadedServer("recording proxy", app, f"[{address}]" if ":" in address else address,
                                      bind_host=address, port=port)
        self._http = httpx.AsyncClient(timeout=timeout)
        # httpx adds a User-Agent, Accept and Accept-Encoding of its own: upstream should see only the backend's.
        self._http.headers.clear()
        self.url = self._server.url
        self.api_base = self.url + API_PATH
        self.journal_url = self.url + JOURNAL_PATH
        self.faults_url = self.url + FAULTS_PATH

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self._http.aclose()  # on the server's own event loop, where its connections live

    # -- the gate: Host and control token ------------------------------------------------------------------------
    def _wrong_host(self, request: Request) -> Response | None:
        """A Host naming anything but this proxy is a page in a browser reaching it through a rebinding name."""
        name = host_name(request.headers.get("host", ""))
        if name in self.host_names:
            return None
        return _error(request, 403, "proxy_host_refused",
                      f"Host {request.headers.get('host', '')!r} is not this proxy: call it as 127.0.0.1, localhost "
                      "or [::1] (through the SSH tunnel from a test machine)")

    def _refused_control(self, request: Request) -> Response | None:
        wrong_host = self._wrong_host(request)
        if wrong_host is not None:
            return wrong_host
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.control_token.encode()):
            return _error(request, 401, "proxy_token_required",
                          "the journal and faults need the proxy's control token as 'Authorization: Bearer <token>' "
                          "(set FLEXITI_PROXY_TOKEN on the test machine to the token the proxy printed or was given)",
                          **{"www-authenticate": "Bearer"})
        return None

    # -- the data plane ------------------------------------------------------------------------------------------
    async def _read_body(self, request: Request) -> bytes:
        """The request body, refused (before buffering) once it passes `max_body`."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge(size)
            chunks.append(chunk)
        return b"".join(chunks)

    async def forward(self, request: Request) -> Response:
        started = time.perf_counter()
        wrong_host = self._wrong_host(request)
        if wrong_host is not None:
            self._log(request.method, request.url.path, wrong_host.status_code, started, "wrong Host")
            return wrong_host
        raw_path = request.scope["raw_path"].decode("latin-1")
        raw = b""
        note: str | None = None
        altered: str | None = None  # forwarded, then Flexiti's answer changed by an injected fault
        path = unquote(raw_path)
        try:
            sent = forwarded_path(raw_path)
            path = unquote(sent)
            raw = await self._read_body(request)
            fault = self.faults.take(sent, used_token(sent, request.headers, raw))
            if fault is not None and fault.refuse_widget_token:
                response, altered = self._refuse_widget_token(await self._relay(request, sent, raw))
            elif fault is not None:
                note = "injected fault"
                response = await self._fault(request, fault, path)
            else:
                response = await self._relay(request, sent, raw)
                if response.status_code == 200 and sent.rstrip("/").endswith("oauth/token"):
                    self.faults.issued(*issued_tokens(bytes(response.body)))
        except PathRefused as refused:
            note = "refused: path outside the POS API base"
            response = _error(request, 400, "proxy_path_refused", str(refused))
        except _TooLarge as too_large:
            note = f"refused: request body of {too_large.size} bytes or more, over --max-body"
            response = _error(request, 413, "proxy_request_too_large",
                              f"the request body ({too_large.size} bytes or more) is over the proxy's limit of "
                              f"{self.max_body} bytes (--max-body); a POS API call is a few kilobytes",
                              connection="close")
        except httpx.TimeoutException as error:
            response = _error(request, 504, "proxy_upstream_unreachable",
                              f"{self.upstream} did not answer within {self.timeout:g}s ({_cause(error)})")
        except httpx.TransportError as error:
            response = _error(request, 502, "proxy_upstream_unreachable",
                              f"cannot reach {self.upstream}: {_cause(error)}")
        except Exception:  # noqa: BLE001 - a proxy bug is journaled as a call and kept, not lost in a log
            self.errors.append(f"{request.method} {path}\n{traceback.format_exc()}")
            response = _error(request, 500, "proxy_error", "the recording proxy crashed")
        self._journal(request, path, raw, response, note, altered)
        self._log(request.method, path, response.status_code, started, note or altered)
        return response

    @staticmethod
    def _refuse_widget_token(response: Response) -> tuple[Response, str]:
        """widget/init's answer with the widget's token replaced by one Flexiti never issued, and the journal's
        note; an answer without a redirection_url is relayed as it came, the note saying why."""
        try:
            answer = json.loads(bytes(response.body))
        except ValueError:
            answer = None
        url = answer.get("redirection_url") if isinstance(answer, dict) else None
        refused = refused_widget_url(url) if response.status_code == 200 and isinstance(url, str) else None
        if refused is None:
            return response, (f"injected fault not applied: Flexiti answered {response.status_code} without a "
                              "redirection_url holding a widget token")
        rewritten = Response(json.dumps({**answer, "redirection_url": refused}).encode(),
                             status_code=response.status_code)
        rewritten.raw_headers.extend((name, value) for name, value in response.raw_headers
                                     if name.lower() != b"content-length")
        return rewritten, "injected fault: the widget's token in redirection_url replaced by one Flexiti never issued"

    async def _fault(self, request: Request, fault: Fault, path: str) -> Response:
        if fault.timeout:
            # Hold the call until the caller hangs up (its own timeout), never longer than the proxy's own timeout.
            with suppress(TimeoutError):
                await asyncio.wait_for(self._disconnected(request), timeout=self.timeout)
            return _error(request, 504, "timeout", "injected timeout: the call was held until the caller gave up")
        return JSONResponse(fault.body(path), status_code=fault.status)

    @staticmethod
    async def _disconnected(request: Request) -> None:
        while (await request.receive())["type"] != "http.disconnect":
            continue

    async def _relay(self, request: Request, sent: str, raw: bytes) -> Response:
        query = request.scope.get("query_string", b"")
        url = httpx.URL(self.upstream).copy_with(raw_path=sent.encode("latin-1") + (b"?" + query if query else b""))
        connection_scoped = {name.strip().lower() for name in request.headers.get("connection", "").split(",")}
        headers = [(name, value) for name, value in request.headers.items()
                   if name not in _NOT_FORWARDED and name not in connection_scoped]
        upstream_request = self._http.build_request(request.method, url, headers=headers, content=raw)
        upstream = await self._http.send(upstream_request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in upstream.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    return _error(request, 502, "proxy_upstream_too_large",
                                  f"{self.upstream} answered with more than {MAX_RESPONSE_BYTES} bytes")
                chunks.append(chunk)
        finally:
            await upstream.aclose()
        response = Response(b"".join(chunks), status_code=upstream.status_code)
        response.raw_headers.extend(
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in upstream.headers.multi_items() if name.lower() not in _NOT_RELAYED
        )
        return response

    def _journal(self, request: Request, path: str, raw: bytes, response: Response, note: str | None,
                 altered: str | None = None) -> None:
        try:
            entry = proxy_entry(request.method, path, dict(request.query_params),
                                {name.lower(): value for name, value in request.headers.items()}, raw,
                                response.status_code, bytes(response.body), response.headers.get("content-type", ""),
                                body_limit=self.journal_body, note=note, altered=altered)
            self.recorder.record(entry)
        except Exception:  # noqa: BLE001 - the call was answered; the journal keeps the cause instead of the entry
            self.errors.append(f"journaling {request.method} {path}\n{traceback.format_exc()}")

    def _log(self, method: str, path: str, status: int, started: float, note: str | None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.0f ms%s", method, self.recorder.masker.text(path), status, elapsed,
                 f" ({note})" if note else "")

    # -- the control plane ---------------------------------------------------------------------------------------
    async def read_journal(self, request: Request) -> Response:
        refused = self._refused_control(request)
        if refused is not None:
            return refused
        return JSONResponse({"calls": self.recorder.calls(), "errors": list(self.errors),
                             "dropped": self.recorder.dropped, "capacity": self.recorder.capacity})

    async def clear_journal(self, request: Request) -> Response:
        refused = self._refused_control(request)
        if refused is not None:
            return refused
        self.recorder.clear()
        return Response(status_code=204)

    async def list_faults(self, request: Request) -> Response:
        refused = self._refused_control(request)
        if refused is not None:
            return refused
        return JSONResponse({"faults": self.faults.pending()})

    async def add_fault(self, request: Request) -> Response:
        refused = self._refused_control(request)
        if refused is not None:
            return refused
        try:
            body: Any = await request.json()
            fault = Fault.from_json(body)
        except (ValueError, TypeError) as error:
            return _error(request, 400, "proxy_bad_fault", f"bad fault: {error}")
        return JSONResponse({"faults": self.faults.add(fault)})

    async def clear_faults(self, request: Request) -> Response:
        refused = self._refused_control(request)
        if refused is not None:
            return refused
        self.faults.clear()
        return Response(status_code=204)

    def start(self) -> RecordingProxy:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> RecordingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class ProxyConfig:
    """Where the command forwards, which secret it masks, and the control token (None: make one for this run)."""

    upstream: str
    secret: str  # "" when none is known
    secret_name: str  # where the secret comes from, for the warning when it is missing
    control_token: str | None = None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of 1 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", choices=[e.value for e in Environment],
                        help="forward to this environment's FLEXITI_API_BASE and mask its FLEXITI_CLIENT_SECRET, read "
                             "from .env.<env> and the environment as the suite reads them (FLEXITI_PROXY_TOKEN too)")
    target.add_argument("--upstream",
                        help="the Flexiti environment, e.g. https://posapi-training.flexiti.fi (its POS API base "
                             "works too); https unless it is on loopback")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free one")
    parser.add_argument("--secret-env", default=None,
                        help=f"with --upstream: environment variable holding the client secret to mask "
                             f"(default {DEFAULT_SECRET_ENV})")
    parser.add_argument("--token-env", default=DEFAULT_TOKEN_ENV,
                        help=f"environment variable holding the control token (default {DEFAULT_TOKEN_ENV}; at least "
                             f"{MIN_TOKEN_LENGTH} characters); unset, a token is made for this run and printed once")
    parser.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_SECONDS,
                        help=f"seconds to wait for upstream, and the longest an injected timeout holds a call "
                             f"(default {DEFAULT_TIMEOUT_SECONDS:g}); keep it above the backend's own timeout")
    parser.add_argument("--max-body", type=_positive_int, default=DEFAULT_MAX_BODY_BYTES,
                        help=f"largest request body forwarded, in bytes (default {DEFAULT_MAX_BODY_BYTES}); a larger "
                             "one gets 413 without being read")
    parser.add_argument("--journal-calls", type=_positive_int, default=DEFAULT_JOURNAL_CALLS,
                        help=f"calls the journal keeps (default {DEFAULT_JOURNAL_CALLS}); older ones are dropped and "
                             "counted in the journal's 'dropped'")
    parser.add_argument("--journal-body", type=_positive_int, default=DEFAULT_JOURNAL_BODY_BYTES,
                        help=f"largest body the journal keeps, in bytes (default {DEFAULT_JOURNAL_BODY_BYTES}); a "
                             "larger one is journaled as a marker with its size")
    return parser


def proxy_config(args: argparse.Namespace, *, root: Path = ROOT, environ: Mapping[str, str] | None = None
                 ) -> ProxyConfig:
    """The upstream, secret and control token from --env (that environment's settings) or --upstream,
    --secret-env and --token-env.

    Raises SettingsError naming the setting at fault, and ValueError for a bad --upstream."""
    environ = os.environ if environ is None else environ
    token_env = getattr(args, "token_env", DEFAULT_TOKEN_ENV)
    token = environ.get(token_env) or None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise SettingsError(f"{token_env} is shorter than {MIN_TOKEN_LENGTH} characters: use a random token, e.g. "
                            "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`")
    if args.upstream:
        name = args.secret_env or DEFAULT_SECRET_ENV
        return ProxyConfig(upstream_origin(args.upstream), environ.get(name, ""), name, token)
    if args.secret_env:
        raise SettingsError(f"--secret-env goes with --upstream; --env {args.env} masks FLEXITI_CLIENT_SECRET from "
                            f".env.{args.env} or the environment")
    settings = load_settings(args.env, root=root, environ=environ, required=REQUIRED_FOR_PROXY)
    source = settings.sources.get("FLEXITI_API_BASE", f"{args.env}'s documented host")
    if settings.api_base is None:
        raise SettingsError(f"FLEXITI_API_BASE is not set for --env {args.env}: the embedded simulator picks its port "
                            "per run, so set FLEXITI_API_BASE to the one `python -m sandbox` prints, or use --upstream")
    try:
        upstream = upstream_origin(settings.api_base)
    except ValueError:
        raise SettingsError(f"FLEXITI_API_BASE = {settings.api_base!r} (from {source}): the recording proxy forwards "
                            f"to an origin, so the POS API base must be that origin followed by {API_PATH}, over "
                            "https unless it is on loopback") from None
    secret = settings.client_secret.reveal() if settings.client_secret else ""
    if token is None:
        file_token = getattr(settings, "proxy_token", None)
        token = file_token.reveal() if file_token else None
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise SettingsError(f"FLEXITI_PROXY_TOKEN in .env.{args.env} is shorter than {MIN_TOKEN_LENGTH} characters")
    return ProxyConfig(upstream, secret, f"FLEXITI_CLIENT_SECRET (.env.{args.env})", token)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT stop the proxy whatever the process inherited: a background launch ignores SIGINT, and a
    parent may have blocked either signal."""
    def handle(number: int, frame: object) -> None:
        print(f"Stopping on {signal.Signals(number).name}.", file=sys.stderr, flush=True)
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, handle)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = proxy_config(args)
    except SettingsError as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    except ValueError as error:
        parser.error(str(error))
    try:
        proxy = RecordingProxy(config.upstream, secrets=[config.secret], host=args.host, port=args.port,
                               timeout=args.timeout, control_token=config.control_token, max_body=args.max_body,
                               journal_calls=args.journal_calls, journal_body=args.journal_body)
    except ValueError as error:
        parser.error(str(error))
    except OSError as error:
        parser.exit(1, f"{parser.prog}: cannot listen on {args.host} port {args.port}: {error}\n")
    if not config.secret:
        print(f"{parser.prog}: {config.secret_name} is not set; the client secret is masked only in client_secret "
              "fields", file=sys.stderr)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    stop = threading.Event()
    _stop_on_signals(stop)
    with proxy:
        print(f"Flexiti base URL for the merchant backend: {proxy.api_base}   journal: {proxy.journal_url}   "
              f"(forwarding to {proxy.upstream})", flush=True)
        if config.control_token is None:
            print(f"control token for this run (set FLEXITI_PROXY_TOKEN to it on the test machine): "
                  f"{proxy.control_token}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
