"""Fault injection for a test, wherever it runs: the embedded simulator's own faults in the sandbox, the recording
proxy's on a merchant's staging site, and "not observable" (with the setting to add) where there is neither.

One vocabulary for all three (the sandbox's): `inject(endpoint, *, status=500, error="general_error", timeout=False,
times=1)`; `expire_token=True` for Flexiti's answer to an expired token (401 invalid_token), given only where a token
issued before the fault is USED (never to a client_credentials grant, which uses none); and `refuse_widget_token()`,
which hands the next widget a token Flexiti refuses, so the widget itself reports the failure (flx-failure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from harness.proof import NotObservable
from harness.proxy_faults import EXPIRED_TOKEN, FAULTS_PATH, WIDGET_PAGE_FAULT

CONTROL_TIMEOUT_SECONDS = 10.0


class FaultControlError(RuntimeError):
    """The proxy refused or did not answer a fault request: a harness error, never an item's failure."""


class _Grant(Protocol):
    expires_in: int


class _SimulatorState(Protocol):
    @property
    def lock(self) -> Any: ...

    @property
    def grants(self) -> Mapping[str, _Grant]: ...


class _SandboxControls(Protocol):
    @property
    def state(self) -> _SimulatorState: ...

    def inject_fault(self, endpoint: str, *, status: int = ..., error: str = ..., timeout: bool = ...,
                     times: int = ...) -> None: ...


class Faults(Protocol):
    """What a test calls to make Flexiti misbehave for its next calls to an endpoint."""

    def inject(self, endpoint: str, *, status: int = 500, error: str = "general_error", timeout: bool = False,
               times: int = 1, expire_token: bool = False) -> None: ...

    def refuse_widget_token(self, *, times: int = 1) -> None:
        """The next `times` widgets are opened on a token Flexiti refuses: widget/init succeeds, and the widget's
        own calls are answered 401, so the widget reports the failure to the merchant page (flx-failure)."""

    def reset(self) -> None: ...


class SandboxFaults:
    """The embedded simulator's faults; the sandbox clears them before every test."""

    def __init__(self, sandbox: _SandboxControls) -> None:
        self.sandbox = sandbox

    def inject(self, endpoint: str, *, status: int = 500, error: str = "general_error", timeout: bool = False,
               times: int = 1, expire_token: bool = False) -> None:
        if expire_token:
            self._expire_tokens()
            return
        self.sandbox.inject_fault(endpoint, status=status, error=error, timeout=timeout, times=times)

    def _expire_tokens(self) -> None:
        """The simulator's faults match a path alone, so one on oauth/token would refuse a client_credentials grant
        too, which Flexiti never does. Instead every token the simulator has issued expires now, as it would on
        Flexiti's side: it is refused (401 invalid_token) wherever it is next used, at any endpoint, and a new grant
        works. The store keeps its own idea of the token's age, as a store whose clock disagrees with Flexiti's."""
        state = self.sandbox.state
        with state.lock:
            for grant in state.grants.values():
                grant.expires_in = 0

    def refuse_widget_token(self, *, times: int = 1) -> None:
        # The widget page takes this fault and has the widget use a token the simulator never issued.
        self.sandbox.inject_fault(WIDGET_PAGE_FAULT, status=EXPIRED_TOKEN["status"], error=EXPIRED_TOKEN["error"],
                                  times=times)

    def reset(self) -> None:
        """Nothing to do: the sandbox's own per-test reset clears its faults."""


def control_url(journal_url: str) -> str:
    """The proxy's fault endpoint, beside its journal (same origin: the one SSH tunnel reaches both)."""
    parts = urlsplit(journal_url)
    return f"{parts.scheme}://{parts.netloc}{FAULTS_PATH}"


class ProxyFaults:
    """The recording proxy's faults, set through its control plane with the control token."""

    def __init__(self, faults_url: str, token: str) -> None:
        self.url = faults_url
        self._http = httpx.Client(timeout=CONTROL_TIMEOUT_SECONDS, headers={"authorization": f"Bearer {token}"})

    def _send(self, method: str, json: dict[str, object] | None = None) -> None:
        try:
            response = self._http.request(method, self.url, json=json)
        except httpx.HTTPError as error:
            raise FaultControlError(f"cannot reach the recording proxy's faults at {self.url}: {error}") from error
        if response.status_code >= 400:
            try:
                reason = response.json().get("message", response.text)
            except ValueError:
                reason = response.text
            raise FaultControlError(f"the recording proxy refused {method} {self.url}: {response.status_code} "
                                    f"{reason[:300]}")

    def inject(self, endpoint: str, *, status: int = 500, error: str = "general_error", timeout: bool = False,
               times: int = 1, expire_token: bool = False) -> None:
        fault: dict[str, object] = {"endpoint": endpoint, "timeout": timeout, "times": times}
        if expire_token:  # the proxy answers as Flexiti does, and only to calls using a token issued before now
            fault["expire_token"] = True
        else:
            fault.update(status=status, error=error)
        self._send("POST", fault)

    def refuse_widget_token(self, *, times: int = 1) -> None:
        self._send("POST", {"endpoint": "widget/init", "refuse_widget_token": True, "times": times})

    def reset(self) -> None:
        self._send("DELETE")

    def close(self) -> None:
        self._http.close()


class NoFaults:
    """Neither the sandbox nor a recording proxy: the items that need Flexiti to misbehave cannot be observed."""

    def __init__(self, missing: str) -> None:
        self.missing = missing

    def inject(self, endpoint: str, *, status: int = 500, error: str = "general_error", timeout: bool = False,
               times: int = 1, expire_token: bool = False) -> None:
        raise NotObservable(f"nothing can make Flexiti fail here: {self.missing}")

    def refuse_widget_token(self, *, times: int = 1) -> None:
        raise NotObservable(f"nothing can hand Flexiti's widget a refused token here: {self.missing}")

    def reset(self) -> None:
        """Nothing was injected."""


def faults_for(sandbox: _SandboxControls | None, journal_url: str | None, token: str | None) -> Faults:
    """The sandbox's faults, else the recording proxy's (beside FLEXITI_JOURNAL_URL, with FLEXITI_PROXY_TOKEN),
    else a stand-in that reports the items not observable and names the setting to add."""
    if sandbox is not None:
        return SandboxFaults(sandbox)
    if not journal_url:
        return NoFaults("run the recording proxy (python -m harness.proxy) in front of the merchant backend and set "
                        "FLEXITI_JOURNAL_URL and FLEXITI_PROXY_TOKEN")
    if not token:
        return NoFaults("FLEXITI_PROXY_TOKEN is not set: the recording proxy's faults need its control token (the "
                        "proxy prints it when it starts)")
    return ProxyFaults(control_url(journal_url), token)
