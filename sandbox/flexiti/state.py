"""The simulator's state: token grants, widget sessions, authorizations and the call journal."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.customers import Applicants, Customer, load_applicants, load_customers
from harness.masking import Masker
from harness.recording import CallRecorder

CUSTOMERS_FILE = Path(__file__).with_name("customers.json")
DEFAULT_TOKEN_LIFETIME = 1200  # seconds, as Flexiti documents
MAX_MFA_ATTEMPTS = 3


@dataclass
class Grant:
    """One token lineage: a client_credentials grant and every refresh of it share `lineage`."""

    lineage: str
    client_id: str
    scope: str
    access_token: str
    refresh_token: str
    created: float
    expires_in: int

    def expired(self, now: float) -> bool:
        return now >= self.created + self.expires_in


@dataclass
class WidgetSession:
    """One opening of the widget; `access_token` is the exact token of its widget/init, the flow's reference."""

    session_id: str
    access_token: str
    client_id: str
    flow: str
    customer: Customer | None
    mfa_option: str | None = None
    attempts: int = 0
    verified: bool = False
    finished: bool = False
    account_number: int | None = None
    application: dict[str, Any] | None = None  # the widget/init body of an apply flow
    action: str | None = None  # the flx-success action the session ended with
    lang: str = "en"  # widget/init's lang: the language the widget speaks


@dataclass
class Fault:
    """A failure injected for one test: calls whose path ends with `endpoint` fail `times` times."""

    endpoint: str
    status: int = 500
    error: str = "general_error"
    timeout: bool = False  # hold the call past the caller's timeout instead of answering
    times: int = 1


@dataclass
class Authorization:
    authorization_id: str
    account_number: int
    reference: str | None  # documented optional on /authorization
    amount: Decimal
    widget_session_id: str
    status: str = "approved"  # "released" once released; captures do not change it (sandbox choice)
    auto_capture: bool = False
    transaction_type: str = "regular_purchase"
    captured: Decimal = Decimal(0)
    released: Decimal = Decimal(0)

    @property
    def open_amount(self) -> Decimal:
        """What can still be captured."""
        return Decimal(0) if self.status == "released" else self.amount - self.captured - self.released


@dataclass
class Capture:
    capture_id: str
    authorization_id: str
    account_number: int
    reference: str | None
    amount: Decimal
    created: float
    returned: Decimal = Decimal(0)


RETURN_WINDOW_DAYS = 100  # documented: returns are allowed up to 100 days after the capture


@dataclass
class SimulatorState:
    """Everything the simulator knows; `reset()` returns it to a clean start between tests."""

    client_id: str
    client_secret: str
    customers: dict[str, Customer] = field(default_factory=lambda: load_customers(CUSTOMERS_FILE))
    applicants: Applicants | None = field(default_factory=lambda: load_applicants(CUSTOMERS_FILE))
    default_trust_url: str | None = None  # the merchant's Trust URL, as registered in the Developer Portal
    trust_url: str | None = None  # what is in force now; a test may change it, reset() restores the default
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    grants: dict[str, Grant] = field(default_factory=dict)  # by access token
    refresh_index: dict[str, str] = field(default_factory=dict)  # refresh token -> access token
    sessions: dict[str, WidgetSession] = field(default_factory=dict)
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    spent: dict[int, Decimal] = field(default_factory=dict)  # credit used per account
    captures: dict[str, Capture] = field(default_factory=dict)
    returns: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    journal: CallRecorder = field(init=False)
    errors: list[str] = field(default_factory=list)  # exceptions raised while serving, for the test to see
    clock_offset: float = 0.0  # seconds added to the real clock; tests advance it instead of sleeping
    epoch: int = 0  # bumped by reset(): a call that began before the last reset is not journaled
    token_seed: str | None = None  # tokens derived from a seed are predictable: only for tests that hunt them
    tokens_issued: int = 0
    faults: list[Fault] = field(default_factory=list)
    retried_applicants: set[str] = field(default_factory=set)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    # x-idempotency-key: the first successful /authorization answer per (client id, key)
    idempotent: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    masker: Masker = field(default_factory=Masker)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.trust_url = self.default_trust_url
        self.journal = CallRecorder(self.masker)
        self._mask_static_secrets()

    def _mask_static_secrets(self) -> None:
        self.masker.hide(self.client_secret)
        for customer in self.customers.values():
            self.masker.hide(*customer.secrets())
        if self.applicants:
            self.masker.hide(self.applicants.pin)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def reset(self) -> None:
        with self.lock:
            self.epoch += 1
            self.clock_offset = 0.0
            self.trust_url = self.default_trust_url
            self.token_lifetime = DEFAULT_TOKEN_LIFETIME
            self.grants.clear()
            self.refresh_index.clear()
            self.sessions.clear()
            self.authorizations.clear()
            self.spent.clear()
            self.captures.clear()
            self.returns.clear()
            self.refunds.clear()
            self.journal.clear()
            self.errors.clear()
            self.faults.clear()
            self.retried_applicants.clear()
            self.applications.clear()
            self.idempotent.clear()
            self.masker.forget()
            self._mask_static_secrets()

    # -- tokens -------------------------------------------------------------------------------
    def issue_grant(self, client_id: str, scope: str, lineage: str | None = None) -> Grant:
        with self.lock:
            grant = Grant(
                lineage=lineage or uuid.uuid4().hex,
                client_id=client_id,
                scope=scope,
                access_token=self._new_token(),
                refresh_token=self._new_token(),
                created=self.now(),
                expires_in=self.token_lifetime,
            )
            self.grants[grant.access_token] = grant
            self.refresh_index[grant.refresh_token] = grant.access_token
            self.masker.token(grant.access_token, grant.refresh_token)
            return grant

    def _new_token(self) -> str:
        self.tokens_issued += 1
        if self.token_seed is None:
            return secrets.token_urlsafe(32)
        return seeded_token(self.token_seed, self.tokens_issued)

    def refresh(self, refresh_token: str) -> Grant | None:
        """A new access token in the same lineage; the old one stops working. None if not refreshable."""
        with self.lock:
            access_token = self.refresh_index.pop(refresh_token, None)
            old = self.grants.get(access_token or "")
            if old is None or old.expired(self.now()):
                return None
            del self.grants[old.access_token]
            return self.issue_grant(old.client_id, old.scope, lineage=old.lineage)

    def grant_for(self, access_token: str) -> Grant | None:
        with self.lock:
            grant = self.grants.get(access_token)
            if grant is None or grant.expired(self.now()):
                return None
            return grant

    def take_fault(self, path: str) -> Fault | None:
        """The first injected fault for this path, used up by one call."""
        with self.lock:
            for fault in self.faults:
                if path.rstrip("/").endswith(fault.endpoint) and fault.times > 0:
                    fault.times -= 1
                    return fault
            return None

    # -- customers ----------------------------------------------------------------------------
    def find_customer(self, identification: dict[str, Any]) -> Customer | None:
        personal = identification.get("personal_information")
        for customer in self.customers.values():
            if identification.get("account_number"):
                if any(str(a.account_number) == str(identification["account_number"]) for a in customer.accounts):
                    return customer
            elif personal and (
                customer.first_name.lower() == str(personal.get("first_name", "")).lower()
                and customer.last_name.lower() == str(personal.get("last_name", "")).lower()
                and customer.dob == personal.get("dob")
                and customer.postal_code.replace(" ", "").upper()
                == str(personal.get("postal_code", "")).replace(" ", "").upper()
            ):
                return customer
        return None

    # -- journal ------------------------------------------------------------------------------
    def record(self, entry: dict[str, Any], epoch: int | None = None) -> None:
        """Journal a call; one that began before the last reset belongs to an earlier test and is dropped."""
        with self.lock:
            if epoch is not None and epoch != self.epoch:
                return
            self.journal.record(entry)


def seeded_token(seed: str, number: int) -> str:
    """The `number`-th token (from 1) a sandbox with `token_seed=seed` issues."""
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
