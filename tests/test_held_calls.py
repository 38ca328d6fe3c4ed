"""Injected timeouts cost a test a fraction of a second: the store gives up early on the held call only, and the
simulator lets the call go as soon as the store hangs up."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import httpx

from sandbox.servers import HELD_CALL_STORE_TIMEOUT_SECONDS, STORE_TIMEOUT_SECONDS, InFlight, Sandbox


def test_a_held_call_shortens_the_store_timeout_for_that_call_only_until_the_reset() -> None:
    with Sandbox() as sandbox:
        client = sandbox.store.flexiti
        sandbox.inject_fault("widget/init", timeout=True)
        sandbox.shorten_store_timeout("/authorization", 0.25, times=2)
        url = client._url("v2", "client/x/widget/init")

        first, second = client.timeout_for(url), client.timeout_for(url)
        sandbox.reset()
        after_reset = client.timeout_for(client._url("v2", "client/x/authorization"))

    assert (first, second) == (HELD_CALL_STORE_TIMEOUT_SECONDS, STORE_TIMEOUT_SECONDS)
    assert after_reset == STORE_TIMEOUT_SECONDS


def test_the_simulator_lets_a_held_call_go_when_its_caller_hangs_up() -> None:
    with Sandbox() as sandbox:
        journaled = threading.Event()
        record = sandbox.state.record

        def record_and_tell(entry: dict[str, Any], epoch: int | None = None) -> None:
            record(entry, epoch)
            journaled.set()

        sandbox.state.record = record_and_tell  # type: ignore[method-assign]
        sandbox.inject_fault("oauth/token", timeout=True, store_timeout=None)
        with httpx.Client(timeout=0.3) as http, contextlib.suppress(httpx.TimeoutException):
            http.post(f"{sandbox.urls.api_base}/v2.5/oauth/token", data={"grant_type": "client_credentials"})
        # The held call is journaled when it is let go; held its full 8 s, it would not be within 3.
        released = journaled.wait(timeout=3.0)
        [call] = sandbox.state.journal.calls()

    assert released, "the simulator still held the call after its caller had hung up"
    assert call["status"] == 504 and call["path"].endswith("oauth/token"), call


def test_a_reset_waits_for_the_store_to_finish_the_previous_tests_requests() -> None:
    # A closed page's last event may still be calling Flexiti: a reset before it ends would journal that call in the
    # next test (once seen as a stray /authorization in an EVT-03 test).
    release, entered = asyncio.Event(), threading.Event()

    async def slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        entered.set()
        await release.wait()

    serving = InFlight(slow_app)
    loop = asyncio.new_event_loop()
    worker = threading.Thread(target=loop.run_until_complete, args=(serving({"type": "http"}, None, None),))
    worker.start()
    try:
        assert entered.wait(5)
        assert serving.wait_idle(0) is False
    finally:
        loop.call_soon_threadsafe(release.set)
        worker.join(5)
    assert serving.wait_idle(0) is True
