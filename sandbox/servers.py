"""Start the simulator and the store on free loopback ports, each in its own thread."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from harness.proxy_server import ServerStartError, ThreadedServer
from sandbox.flexiti.app import CUSTOMER_PORTAL, Simulator
from sandbox.flexiti.state import SimulatorState
from sandbox.store.choices import CHOICES, StoreKind
from sandbox.store.defective import DefectiveStore
from sandbox.store.flexiti_client import FlexitiConfig

# Two loopback host names make two sites, so the widget iframe is cross-site (an out-of-process
# frame), as it is in production where the widget comes from Flexiti's host.
FLEXITI_HOST = "127.0.0.1"
STORE_HOST = "localhost"
SANDBOX_CLIENT_ID = "sandbox-merchant"
# The reference store's timeout for its Flexiti calls. An injected timeout (the simulator holds the call for
# FAULT_HOLD_SECONDS) costs a test this long. It was 2 s. A CI run once failed INIT-01 for a correct store, and the
# likely cause (never reproduced here) is a busy two-worker box letting an ordinary loopback token + widget/init
# take longer than that, so the store showed an error.
STORE_TIMEOUT_SECONDS = 5.0
# The store's timeout on a call a test made Flexiti hold (inject_fault(timeout=True)): the held call is the only one
# it applies to, so ordinary calls keep STORE_TIMEOUT_SECONDS however busy the machine is.
HELD_CALL_STORE_TIMEOUT_SECONDS = 0.5


class CrashRecorder:
    """ASGI wrapper: an exception inside the app is kept for the test that caused it, then re-raised."""

    def __init__(self, app: Any, name: str, errors: list[str]) -> None:
        self.app, self.name, self.errors = app, name, errors

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            self.errors.append(
                f"{self.name}: {scope.get('method', '')} {scope.get('path', '')}\n{traceback.format_exc()}")
            raise


class InFlight:
    """ASGI wrapper counting the requests being served, so a reset can wait until the previous test's are done."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._serving = 0
        self._changed = threading.Condition()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._changed:
            self._serving += 1
        try:
            await self.app(scope, receive, send)
        finally:
            with self._changed:
                self._serving -= 1
                self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being served (at most `timeout` seconds); False if one still is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._serving == 0, timeout)


@dataclass(frozen=True)
class SandboxUrls:
    store: str
    flexiti: str  # the simulator's origin: POS API host and widget origin

    @property
    def api_base(self) -> str:
        return f"{self.flexiti}/flexiti/pos-api"


class Sandbox:
    """The simulator and a correct store (the reference one, or the alternative: sandbox/store/choices.py), wired
    together with sandbox credentials."""

    def __init__(self, client_id: str = SANDBOX_CLIENT_ID, client_secret: str | None = None,
                 store_defects: Iterable[str] = frozenset(), token_seed: str | None = None,
                 store: str = StoreKind.REFERENCE) -> None:
        self.client_id = client_id
        # A fresh secret per run unless one is given: no secret is ever committed or reused.
        self.client_secret = client_secret or "sbx-" + secrets.token_urlsafe(24)
        self.state = SimulatorState(client_id=self.client_id, client_secret=self.client_secret, token_seed=token_seed)
        self._flexiti = ThreadedServer("Flexiti simulator", Simulator(self.state).app, FLEXITI_HOST)
        config = FlexitiConfig(
            api_base=f"{self._flexiti.url}/flexiti/pos-api",
            client_id=self.client_id,
            client_secret=self.client_secret,
            widget_origin=self._flexiti.url,
            customer_portal_url=f"{self._flexiti.url}{CUSTOMER_PORTAL}",
            timeout=STORE_TIMEOUT_SECONDS,
        )
        # The store reads the simulator's clock, so moving it forward ages the store's tokens too.
        choices = CHOICES[StoreKind(store)]
        self.store = DefectiveStore(config, sdk_url=f"{self._flexiti.url}/sdk/flexiti-sdk.js", clock=self.state.now,
                                    defects=store_defects, choices=choices)
        self._store_serving = InFlight(self.store.app)
        store_app = CrashRecorder(self._store_serving, choices.name, self.state.errors)
        self._store = ThreadedServer(choices.name, store_app, STORE_HOST)
        self.urls = SandboxUrls(store=self._store.url, flexiti=self._flexiti.url)
        self._admin = httpx.Client(base_url=self._flexiti.url, timeout=10)  # one client: no set-up per call
        self.store_defects = self.store.defects  # the run's own; a test may switch others on until the next reset
        self._set_trust_url()

    def start(self) -> Sandbox:
        self._flexiti.start()
        try:
            self._store.start()
        except ServerStartError:
            self._flexiti.stop()
            raise
        return self

    def stop(self) -> None:
        self._admin.close()
        self._store.stop()
        self._flexiti.stop()

    def _set_trust_url(self) -> None:
        # The Trust URL the merchant registered in the Developer Portal.
        self.state.default_trust_url = self.state.trust_url = self.store.registered_trust_url(self._store.url)

    def set_store_defects(self, defects: Iterable[str]) -> None:
        """Switch the reference store's defects for one test (detection runs); the next reset restores the run's."""
        self.store.set_defects(defects)
        self._set_trust_url()

    def settle(self) -> bool:
        """Wait until the store has finished serving (a closed page's last event may still be calling Flexiti),
        so none of a test's calls lands in the next test's journal; False if the store is still busy after the
        longest two Flexiti calls it could be making."""
        return self._store_serving.wait_idle(2 * STORE_TIMEOUT_SECONDS + 1)

    def reset(self) -> None:
        """Forget every token, session, order and journal entry, and restore the run's store defects: each test
        starts clean (after the previous test's requests are done)."""
        self.settle()
        if self.store.defects != self.store_defects:
            self.set_store_defects(self.store_defects)
        self.state.reset()
        self.store.state.reset()
        self.store.flexiti.short_timeouts.clear()

    def route_store_through(self, api_base: str) -> None:
        """Point the store's POS API calls at `api_base` (a recording proxy in front of the simulator), the way
        a merchant points their staging backend at the proxy."""
        self.store.flexiti.config = dataclasses.replace(self.store.flexiti.config, api_base=api_base.rstrip("/"))

    def take_errors(self) -> list[str]:
        """Exceptions the simulator or the store raised while serving since the last call."""
        errors = list(self.state.errors)
        self.state.errors.clear()
        return errors

    def set_token_lifetime(self, seconds: int) -> None:
        self._admin.post("/__sandbox/config", json={"token_lifetime": seconds}).raise_for_status()

    def inject_fault(self, endpoint: str, *, status: int = 500, error: str = "general_error",
                     timeout: bool = False, times: int = 1,
                     store_timeout: float | None = HELD_CALL_STORE_TIMEOUT_SECONDS) -> None:
        """Make the next `times` calls whose path ends with `endpoint` fail (or hang past the caller's timeout).

        A timeout also shortens the reference store's timeout on those calls to `store_timeout` (None keeps the
        store's own), and the simulator lets a held call go once the store hangs up: the test waits that long."""
        fault = {"endpoint": endpoint, "status": status, "error": error, "timeout": timeout, "times": times}
        if timeout and store_timeout is not None:
            self.shorten_store_timeout(endpoint, store_timeout, times=times)
        self._admin.post("/__sandbox/faults", json=fault).raise_for_status()

    def shorten_store_timeout(self, endpoint: str, seconds: float, *, times: int = 1) -> None:
        """The reference store gives up on its next `times` calls to `endpoint` after `seconds`; until the next
        reset (each test's start)."""
        self.store.flexiti.short_timeouts[endpoint] = [seconds, times]

    def set_trust_url(self, url: str) -> None:
        self._admin.post("/__sandbox/config", json={"trust_url": url}).raise_for_status()

    def advance_clock(self, seconds: float) -> None:
        """Move the simulator's clock forward, e.g. past a token's expiry, without waiting."""
        self._admin.post("/__sandbox/clock", json={"seconds": seconds}).raise_for_status()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
