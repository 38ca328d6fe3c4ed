"""Fault injection for a test, wherever it runs: the embedded simulator's own faults in the sandbox, the recording
proxy's on a merchant's staging site, and "not observable" (with the setting to add) where there is neither.

One vocabulary for all three (the sandbox's): `inject(endpoint, *, status=500, error="general_error", timeout=False,
times=1)`, plus `expire_token=True` for Flexiti's answer to an expired token (401 invalid_token)."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

import httpx

from harness.proof import NotObservable
from harness.proxy_faults import EXPIRED_TOKEN, FAULTS_PATH

CONTROL_TIMEOUT_SECONDS = 10.0


class FaultControlError(RuntimeError):
    """The proxy refused or did not answer a fault request: a harness error, never an item's failure."""


class _SandboxControls(Protocol):
    def inject_fault(self, endpoint: str, *, status: int = ..., error: str = ..., timeout: bool = ...,
                     times: int = ...) -> None: ...


class Faults(Protocol):
    """What a test calls to make Flexiti misbehave for its next calls to an endpoint."""

    def inject(self, endpoint: str, *, status: int = 500, error: str = "general_error", timeout: bool = False,
               times: int = 1, expire_token: bool = False) -> None: ...

    def reset(self) -> None: ...


def _expired(status: int, error: str, expire_token: bool) -> tuple[int, str, str | None]:
    if expire_token:
        return EXPIRED_TOKEN["status"], EXPIRED_TOKEN["error"], EXPIRED_TOKEN["message"]
    return status, error, None


class SandboxFaults:
    """The embedded simulator's faults; the sandbox clears them before every test."""

    def __init__(self, sandbox: _SandboxControls) -> None:
        self.sandbox = sandbox

    def inject(self, endpoint: str, *, status: int = 500, error: str = "general_error", timeout: bool = False,
               times: int = 1, expire_token: bool = False) -> None:
        status, error, _ = _expired(status, error, expire_token)
        self.sandbox.inject_fault(endpoint, status=status, error=error, timeout=timeout, times=times)

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
        status, error, message = _expired(status, error, expire_token)
        fault: dict[str, object] = {"endpoint": endpoint, "status": status, "error": error, "timeout": timeout,
                                    "times": times}
        if message:
            fault["message"] = message
        self._send("POST", fault)

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
