"""A recording proxy: the merchant's staging backend uses it as its Flexiti base URL, so the calls it makes to a real
Flexiti environment are journaled as the embedded sandbox journals them, secrets masked.

`python -m harness.proxy --env training` forwards to that environment's POS API base (FLEXITI_API_BASE, default the
documented host) and masks its FLEXITI_CLIENT_SECRET, both read as the suite reads them (`.env.training`, the process
environment); `--upstream https://posapi-training.flexiti.fi` names the upstream directly, with the secret taken
from the variable --secret-env names. It prints the base URL for the merchant backend and the journal URL.

The journal is served at `JOURNAL_PATH` (`/__sandbox/journal`, as the simulator serves it), so
`harness.journal.Journal(proxy.journal_url)` reads it unchanged; DELETE on the same path clears it.

It listens on loopback only (it sees the client secret and tokens), so it runs on the staging backend's own host, and
the test machine reads the journal through an SSH tunnel: `ssh -N -L 8765:127.0.0.1:8765 staging-host`.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import threading
import traceback
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.masking import Masker
from harness.recording import JOURNAL_PATH, CallRecorder, call_entry
from harness.settings import ROOT, Environment, SettingsError, load_settings
from sandbox.servers import ThreadedServer

API_PATH = "/flexiti/pos-api"
DEFAULT_PORT = 8765
DEFAULT_SECRET_ENV = "FLEXITI_CLIENT_SECRET"
# What --env needs: the secret to mask. No storefront or test customers: the proxy runs beside the backend.
REQUIRED_FOR_PROXY = ("FLEXITI_CLIENT_SECRET",)
# Longer than a merchant backend's own timeout, so the backend gives up first and the proxy still journals the end.
DEFAULT_TIMEOUT_SECONDS = 30.0
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
               "trailer", "transfer-encoding", "upgrade"}
# httpx sets Host and Content-Length for the upstream request itself.
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length"}
# The body is relayed decoded, so its encoding and length headers no longer apply; uvicorn adds its own Date and Server.
_NOT_RELAYED = _HOP_BY_HOP | {"content-encoding", "content-length", "date", "server"}


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
    since the journal's paths must be the ones Flexiti receives."""
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
            or parts.path.rstrip("/") not in ("", API_PATH)):
        raise ValueError(f"--upstream {url!r} must be an http(s) origin such as https://posapi-training.flexiti.fi "
                         f"(or that origin followed by {API_PATH}/)")
    return f"{parts.scheme}://{parts.netloc}"


def _upstream_failure(request: Request, status: int, message: str) -> JSONResponse:
    """Upstream did not answer: Flexiti's error shape, so the merchant backend handles it as a Flexiti error."""
    return JSONResponse({"url": request.url.path, "message": message, "error": "proxy_upstream_unreachable"},
                        status_code=status)


def _cause(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class RecordingProxy:
    """Forwards every call to `upstream` with one shared client and journals it, masking `secrets` and tokens."""

    def __init__(self, upstream: str, secrets: Iterable[str] = (), *, host: str = "127.0.0.1", port: int = 0,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.upstream = upstream_origin(upstream)
        address = loopback_address(host)
        self.timeout = timeout
        self.recorder = CallRecorder(Masker(hidden=secrets))
        self.errors: list[str] = []  # the proxy's own crashes, served with the journal as the simulator serves its own
        app = Starlette(routes=[
            Route(JOURNAL_PATH, self.read_journal, methods=["GET"]),
            Route(JOURNAL_PATH, self.clear_journal, methods=["DELETE"]),
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

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self._http.aclose()  # on the server's own event loop, where its connections live

    async def forward(self, request: Request) -> Response:
        raw = await request.body()
        try:
            response = await self._relay(request, raw)
        except httpx.TimeoutException as error:
            response = _upstream_failure(
                request, 504, f"{self.upstream} did not answer within {self.timeout:g}s ({_cause(error)})")
        except httpx.TransportError as error:
            response = _upstream_failure(request, 502, f"cannot reach {self.upstream}: {_cause(error)}")
        except Exception:  # noqa: BLE001 - a proxy bug is journaled as a call and kept, not lost in a log
            self.errors.append(f"{request.method} {request.url.path}\n{traceback.format_exc()}")
            response = JSONResponse({"url": request.url.path, "message": "the recording proxy crashed",
                                     "error": "proxy_error"}, status_code=500)
        self.recorder.record(call_entry(request, raw, response.status_code, bytes(response.body)))
        return response

    async def _relay(self, request: Request, raw: bytes) -> Response:
        target = self.upstream + request.scope["raw_path"].decode("latin-1")
        if request.url.query:
            target += "?" + request.url.query
        connection_scoped = {name.strip().lower() for name in request.headers.get("connection", "").split(",")}
        headers = [(name, value) for name, value in request.headers.items()
                   if name not in _NOT_FORWARDED and name not in connection_scoped]
        upstream = await self._http.request(request.method, target, headers=headers, content=raw)
        response = Response(upstream.content, status_code=upstream.status_code)
        response.raw_headers.extend(
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in upstream.headers.multi_items() if name.lower() not in _NOT_RELAYED
        )
        return response

    async def read_journal(self, request: Request) -> Response:
        return JSONResponse({"calls": self.recorder.calls(), "errors": list(self.errors)})

    async def clear_journal(self, request: Request) -> Response:
        self.recorder.clear()
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
    """Where the command forwards and which secret it masks."""

    upstream: str
    secret: str  # "" when none is known
    secret_name: str  # where the secret comes from, for the warning when it is missing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", choices=[e.value for e in Environment],
                        help="forward to this environment's FLEXITI_API_BASE and mask its FLEXITI_CLIENT_SECRET, read "
                             "from .env.<env> and the environment as the suite reads them")
    target.add_argument("--upstream",
                        help="the Flexiti environment, e.g. https://posapi-training.flexiti.fi "
                             "(its POS API base works too)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free one")
    parser.add_argument("--secret-env", default=None,
                        help=f"with --upstream: environment variable holding the client secret to mask "
                             f"(default {DEFAULT_SECRET_ENV})")
    return parser


def proxy_config(args: argparse.Namespace, *, root: Path = ROOT, environ: Mapping[str, str] | None = None
                 ) -> ProxyConfig:
    """The upstream and secret from --env (that environment's settings) or --upstream and --secret-env.

    Raises SettingsError naming the setting at fault, and ValueError for a bad --upstream."""
    environ = os.environ if environ is None else environ
    if args.upstream:
        name = args.secret_env or DEFAULT_SECRET_ENV
        return ProxyConfig(upstream_origin(args.upstream), environ.get(name, ""), name)
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
                            f"to an origin, so the POS API base must be that origin followed by {API_PATH}") from None
    secret = settings.client_secret.reveal() if settings.client_secret else ""
    return ProxyConfig(upstream, secret, f"FLEXITI_CLIENT_SECRET (.env.{args.env})")


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
        proxy = RecordingProxy(config.upstream, secrets=[config.secret], host=args.host, port=args.port)
    except ValueError as error:
        parser.error(str(error))
    except OSError as error:
        parser.exit(1, f"{parser.prog}: cannot listen on {args.host} port {args.port}: {error}\n")
    if not config.secret:
        print(f"{parser.prog}: {config.secret_name} is not set; the client secret is masked only in client_secret "
              "fields", file=sys.stderr)
    with proxy:
        print(f"Flexiti base URL for the merchant backend: {proxy.api_base}   journal: {proxy.journal_url}   "
              f"(forwarding to {proxy.upstream})", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopping.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
