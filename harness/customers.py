"""Test customers: the people a certification run shops as, read from a test-customers file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any


class CustomersFileError(Exception):
    """The test-customers file is missing or malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Account:
    account_number: int
    status: str
    available_credit: Decimal
    activated: bool = True

    @property
    def last4(self) -> str:
        return str(self.account_number)[-4:]


@dataclass(frozen=True)
class SecurityQuestion:
    question: str
    answer: str


@dataclass(frozen=True)
class Customer:
    role: str
    customer_id: str
    first_name: str
    last_name: str
    dob: str
    postal_code: str
    email: str
    phone_number: str
    account_type: str
    sms_code: str | None
    email_code: str | None
    security_question: SecurityQuestion | None
    accounts: tuple[Account, ...]
    purchase_blocked: bool = False

    def mfa_answer(self, option: str) -> str:
        """The code or answer that passes verification by `option` (sms, email, security_question)."""
        answers = {
            "sms": self.sms_code,
            "email": self.email_code,
            "security_question": self.security_question.answer if self.security_question else None,
        }
        if option not in answers:
            raise ValueError(f"unknown MFA option {option!r}; expected one of {sorted(answers)}")
        answer = answers[option]
        if answer is None:
            raise CustomersFileError(f"customer {self.role!r} has no known answer for MFA option {option!r}")
        return answer

    def secrets(self) -> list[str]:
        """Values that must never appear unmasked in reports or logs."""
        found = [self.sms_code, self.email_code]
        if self.security_question:
            found.append(self.security_question.answer)
        return [value for value in found if value]


def _required(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise CustomersFileError(f"{where}: missing field {key!r}")
    return entry[key]


def _customer(role: str, entry: dict[str, Any], path: Path) -> Customer:
    where = f"{path} customers.{role}"
    mfa = entry.get("mfa") or {}
    question = mfa.get("security_question")
    accounts = tuple(
        Account(
            account_number=int(_required(account, "account_number", f"{where}.accounts[{index}]")),
            status=str(account.get("status", "N")),
            available_credit=Decimal(str(account.get("available_credit", "0"))),
            activated=bool(account.get("activated", True)),
        )
        for index, account in enumerate(entry.get("accounts", []))
    )
    return Customer(
        role=role,
        customer_id=str(entry.get("customer_id", "")),
        first_name=_required(entry, "first_name", where),
        last_name=_required(entry, "last_name", where),
        dob=_required(entry, "dob", where),
        postal_code=_required(entry, "postal_code", where),
        email=entry.get("email", ""),
        phone_number=str(entry.get("phone_number", "")),
        account_type=entry.get("account_type", "consumer"),
        sms_code=mfa.get("sms"),
        email_code=mfa.get("email"),
        security_question=SecurityQuestion(question["question"], question["answer"]) if question else None,
        accounts=accounts,
        purchase_blocked=bool(entry.get("purchase_blocked", False)),
    )


def load_customers(path: Path) -> dict[str, Customer]:
    """Read a test-customers file; every error names the file and the field at fault."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CustomersFileError(f"test-customers file not found: {path}") from None
    except json.JSONDecodeError as error:
        raise CustomersFileError(f"{path} is not valid JSON: {error}") from None
    entries = raw.get("customers") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise CustomersFileError(f"{path}: expected an object with a non-empty 'customers' mapping")
    return {role: _customer(role, entry, path) for role, entry in entries.items()}


@dataclass(frozen=True)
class Applicant:
    """A credit applicant; in Training, MI and the sandbox the middle name picks Flexiti's decision."""

    first_name: str
    middle_name: str
    last_name: str
    dob: str
    postal_code: str
    email: str
    phone_number: str
    address_1: str
    city: str
    province: str
    account_type: str = "consumer"

    def personal_information(self) -> dict[str, str]:
        return {"first_name": self.first_name, "middle_name": self.middle_name, "last_name": self.last_name,
                "dob": self.dob, "postal_code": self.postal_code}


@dataclass(frozen=True)
class Applicants:
    pin: str
    decisions: dict[str, str]  # outcome ("approved", "pending", "declined", "retry") -> middle name
    base: dict[str, str]

    def deciding(self, outcome: str) -> Applicant:
        """An applicant whose application ends in `outcome`."""
        if outcome not in self.decisions:
            raise CustomersFileError(
                f"no applicant middle name for outcome {outcome!r}; known: {sorted(self.decisions)}")
        return Applicant(middle_name=self.decisions[outcome], **self.base)

    def already_customer(self, customer: Customer) -> Applicant:
        """An application from someone who already is this Flexiti customer (their name, birth date and contact);
        Flexiti answers it from their existing account instead of deciding a new one."""
        return Applicant(**{**self.base, "middle_name": "", "first_name": customer.first_name,
                            "last_name": customer.last_name, "dob": customer.dob, "postal_code": customer.postal_code,
                            "email": customer.email, "phone_number": customer.phone_number})


def load_applicants(path: Path) -> Applicants | None:
    """The file's applicants section, or None when the file has none (then apply tests cannot run)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    entry = raw.get("applicants")
    if not entry:
        return None
    where = f"{path} applicants"
    base = _required(entry, "base", where)
    for key in ("first_name", "last_name", "dob", "postal_code", "email", "phone_number", "address_1", "city",
                "province"):
        _required(base, key, f"{where}.base")
    return Applicants(pin=str(_required(entry, "pin", where)), decisions=dict(_required(entry, "decisions", where)),
                      base=dict(base))
