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
