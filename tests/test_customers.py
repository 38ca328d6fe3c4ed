"""Unit tests for harness.customers: the sandbox file loads, broken files fail naming file and field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from harness.customers import CustomersFileError, load_customers
from sandbox.flexiti.state import CUSTOMERS_FILE


def test_load_customers_reads_sandbox_roles() -> None:
    customers = load_customers(CUSTOMERS_FILE)

    assert set(customers) >= {"single_account", "three_accounts"}
    assert len(customers["single_account"].accounts) == 1
    assert len(customers["three_accounts"].accounts) == 3
    assert customers["single_account"].accounts[0].available_credit == Decimal("5000.00")


@pytest.mark.parametrize(("option", "expected"),
                         [("sms", "314159"), ("email", "271828"), ("security_question", "Biscuit")])
def test_mfa_answer_returns_known_answer_for_option(option: str, expected: str) -> None:
    customer = load_customers(CUSTOMERS_FILE)["single_account"]

    answer = customer.mfa_answer(option)

    assert answer == expected


def test_mfa_answer_rejects_unknown_option() -> None:
    customer = load_customers(CUSTOMERS_FILE)["single_account"]

    with pytest.raises(ValueError, match="carrier_pigeon"):
        customer.mfa_answer("carrier_pigeon")


def test_load_customers_names_file_and_field_when_first_name_missing(tmp_path: Path) -> None:
    path = tmp_path / "customers.json"
    entry = {"last_name": "Lovelace", "dob": "1985-04-12", "postal_code": "M5V2T6"}
    path.write_text(json.dumps({"customers": {"single_account": entry}}), encoding="utf-8")

    with pytest.raises(CustomersFileError) as raised:
        load_customers(path)

    assert str(path) in str(raised.value)
    assert "'first_name'" in str(raised.value)


def test_load_customers_rejects_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "customers.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(CustomersFileError, match="is not valid JSON"):
        load_customers(path)


def test_load_customers_rejects_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    with pytest.raises(CustomersFileError, match="not found"):
        load_customers(path)
