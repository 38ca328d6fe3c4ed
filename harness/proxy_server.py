"""One ASGI app served by uvicorn in a thread on a loopback socket: the plumbing the recording proxy and the embedded
sandbox share. It lives in harness/ because the proxy runs beside a merchant's backend without the sandbox."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn


class ServerStartError(RuntimeError):
    """A server did not start; the message says which one and why."""


class _Server(uvicorn.Server):
    """A uvicorn server that tells a waiting thread when it is ready, or that it failed."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    def install_signal_handlers(self) -> None:  # the process that starts the thread owns its signals
        pass


class ThreadedServer:
    """One ASGI app on a loopback socket (a free port unless one is given); `url` is known before it serves."""

    def __init__(self, name: str, app: Any, url_host: str, bind_host: str = "127.0.0.1", port: int = 0) -> None:
        self.name = name
        family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on connections of a socket that says it is TCP,
        # and without it every keep-alive response waits ~40 ms for a delayed ACK.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((bind_host, port))
        except OSError:
            self.socket.close()
            raise
        self.port = self.socket.getsockname()[1]
        self.url = f"http://{url_host}:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2,
                                timeout_keep_alive=30)  # well past any client's keep-alive: see FlexitiClient
        self.server = _Server(config)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"server-{name}", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.socket]))
        except BaseException as error:  # noqa: BLE001 - reported by start()
            self.error = error
        finally:
            self.server.ready.set()

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        if not self.server.ready.wait(timeout) or self.error or not self.server.started:
            raise ServerStartError(f"the {self.name} did not start on {self.url}: {self.error or 'timed out'}")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
