"""After-the-fact checks with the merchant's credentials, against authorizations made in the running simulator."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from harness.back_office import BackOffice, BackOfficeError, BackOfficeMismatch
from harness.journal import Journal
from harness.recording import JOURNAL_PATH
from sandbox.servers import Sandbox
from tests import simulator_client as api
from tests.simulator_client import SINGLE_ACCOUNT


@pytest.fixture
def back_office(sandbox: Sandbox) -> Iterator[BackOffice]:
    with BackOffice(sandbox.urls.api_base, sandbox.client_id, sandbox.client_secret) as office:
        yield office


def _authorize(sandbox: Sandbox, token: str, sid: str, reference: str, amount: float) -> dict[str, Any]:
    body = {"account_number": SINGLE_ACCOUNT, "reference": reference, "amount": amount, "widget_session_id": sid,
            "auto_capture": False, "financing_option": {"transaction_type": "regular_purchase"}}
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization"
    response = httpx.post(url, headers=api.headers(token), json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _purchase(sandbox: Sandbox, reference: str, amount: float) -> dict[str, Any]:
    """A verified purchase authorized the way the merchant's server does it; Flexiti's answer."""
    token = api.token(sandbox)
    return _authorize(sandbox, token, api.verified_session(sandbox, token), reference, amount)


@pytest.mark.parametrize("amount", [123.45, Decimal("123.45")])
def test_confirm_returns_the_orders_authorization(sandbox: Sandbox, back_office: BackOffice,
                                                  amount: float | Decimal) -> None:
    _purchase(sandbox, "ORDER-OTHER", 10.0)
    authorized = _purchase(sandbox, "ORDER-100", 123.45)

    confirmed = back_office.confirm("ORDER-100", amount)

    assert confirmed == authorized


def test_confirm_with_another_amount_names_reference_and_both_amounts(sandbox: Sandbox,
                                                                       back_office: BackOffice) -> None:
    authorized = _purchase(sandbox, "ORDER-101", 123.45)

    with pytest.raises(BackOfficeMismatch) as mismatch:
        back_office.confirm("ORDER-101", 123.46)

    message = str(mismatch.value)
    assert "'ORDER-101'" in message and authorized["authorization_id"] in message
    assert "is 123.45 with status 'approved'; expected 123.46 approved" in message


def test_confirm_of_an_unknown_reference_says_flexiti_has_none(sandbox: Sandbox, back_office: BackOffice) -> None:
    _purchase(sandbox, "ORDER-102", 50.0)

    with pytest.raises(BackOfficeMismatch, match="no authorization with reference 'ORDER-404'; expected one of 50.00"):
        back_office.confirm("ORDER-404", 50.0)


def test_confirm_of_an_order_authorized_twice_lists_both(sandbox: Sandbox, back_office: BackOffice) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)
    first = _authorize(sandbox, token, sid, "ORDER-103", 20.0)
    second = _authorize(sandbox, token, sid, "ORDER-103", 20.0)

    with pytest.raises(BackOfficeMismatch, match="2 authorizations with reference 'ORDER-103'") as mismatch:
        back_office.confirm("ORDER-103", 20.0)

    assert first["authorization_id"] in str(mismatch.value) and second["authorization_id"] in str(mismatch.value)


def test_wrong_credentials_name_the_token_url_and_status_without_the_secret(sandbox: Sandbox) -> None:
    wrong_secret = "sbx-not-the-merchants-secret"
    token_url = f"{sandbox.urls.api_base}/v2.5/oauth/token"

    with BackOffice(sandbox.urls.api_base, sandbox.client_id, wrong_secret) as office:
        with pytest.raises(BackOfficeError) as refused:
            office.authorizations()

    assert str(refused.value) == f"POST {token_url} answered 400 invalid_client: Bad client credentials"
    assert (refused.value.url, refused.value.status) == (token_url, 400)


def test_a_token_flexiti_no_longer_accepts_is_replaced_once(sandbox: Sandbox, back_office: BackOffice) -> None:
    _purchase(sandbox, "ORDER-104", 75.0)
    assert back_office.authorizations("ORDER-104")
    sandbox.advance_clock(1300)  # past the token's 1200 s lifetime

    back_office.confirm("ORDER-104", 75.0)

    journal = Journal(sandbox.urls.flexiti + JOURNAL_PATH)
    assert [c.status for c in journal.to("/authorizations")] == [200, 401, 200]
    assert [c.body.get("scope") for c in journal.to("oauth/token")] == [None, "merchant", "merchant"]


def test_unreachable_flexiti_names_the_url_and_cause() -> None:
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        api_base = f"http://127.0.0.1:{refusing.getsockname()[1]}/flexiti/pos-api"
        with BackOffice(api_base, "merchant", "secret-value") as office:
            with pytest.raises(BackOfficeError) as unreachable:
                office.authorization("AUTH-1")

    assert str(unreachable.value).startswith(f"POST {api_base}/v2.5/oauth/token failed: ConnectError")
    assert unreachable.value.status is None
