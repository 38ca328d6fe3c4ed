"""Faults the recording proxy answers in Flexiti's place: the sandbox simulator's vocabulary (endpoint, status,
error, timeout, times), so one test drives either. Kept free of pytest: the proxy runs beside a merchant backend."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, TypedDict

# Where faults are set: POST adds one, DELETE clears them all, GET lists them (as the simulator serves its own).
FAULTS_PATH = "/__sandbox/faults"


class ErrorAnswer(TypedDict):
    """An error as Flexiti answers it: the HTTP status, the error code and its message."""

    status: int
    error: str
    message: str


# How Flexiti answers a call on an expired access token (or a used or expired refresh token).
EXPIRED_TOKEN: ErrorAnswer = {
    "status": 401, "error": "invalid_token", "message": "The access token is unknown or expired",
}


class FaultError(ValueError):
    """A fault request the proxy cannot carry out; the message names the field at fault."""


@dataclass
class Fault:
    """The next `times` calls whose path ends with `endpoint` get `status` and a Flexiti error body, or (timeout) are
    held until the caller gives up."""

    endpoint: str
    status: int = 500
    error: str = "general_error"
    timeout: bool = False
    times: int = 1
    message: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise FaultError("a fault is a JSON object such as {\"endpoint\": \"widget/init\", \"status\": 500}")
        unknown = set(data) - {"endpoint", "status", "error", "timeout", "times", "message"}
        if unknown:
            raise FaultError(f"unknown fault field(s) {sorted(unknown)}; known: endpoint, status, error, timeout, "
                             "times, message")
        if "endpoint" not in data:
            raise FaultError("endpoint is missing: name the end of a POS API path, e.g. \"widget/init\"")
        fault = cls(**data)
        if not isinstance(fault.endpoint, str) or not fault.endpoint.strip("/"):
            raise FaultError("endpoint must name the end of a POS API path, e.g. \"widget/init\" or \"/authorization\"")
        if not isinstance(fault.status, int) or isinstance(fault.status, bool) or not 400 <= fault.status <= 599:
            raise FaultError(f"status {fault.status!r} must be an HTTP error status, 400 to 599")
        if not isinstance(fault.error, str) or not fault.error:
            raise FaultError("error must be a Flexiti error code such as \"general_error\"")
        if not isinstance(fault.timeout, bool):
            raise FaultError("timeout must be true or false")
        if not isinstance(fault.times, int) or isinstance(fault.times, bool) or fault.times < 1:
            raise FaultError(f"times {fault.times!r} must be a whole number, 1 or more")
        if fault.message is not None and not isinstance(fault.message, str):
            raise FaultError("message must be a string")
        return fault

    def body(self, path: str) -> dict[str, str]:
        """Flexiti's error shape for this fault."""
        return {"url": path, "message": self.message or f"injected fault: {self.status} {self.error}",
                "error": self.error}


class FaultTable:
    """Faults waiting for their calls, each used up by `times` calls; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> int:
        with self._lock:
            self._faults.append(fault)
            return len(self._faults)

    def take(self, path: str) -> Fault | None:
        """The first fault for this path, used up by one call."""
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and path.rstrip("/").endswith(fault.endpoint.rstrip("/")):
                    fault.times -= 1
                    return fault
            return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(fault).copy() for fault in self._faults if fault.times > 0]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
