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

    with pytest.raises(BackOfficeMismatch, match=r"no authorization with reference 'ORDER-404'; expected one of 50.00"):
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


# -- back-office endpoints: contract tests (merchant scope; documented errors) ------------------------

def _customer_token(sandbox: Sandbox) -> str:
    response = httpx.post(api.token_url(sandbox), data=api.credentials(sandbox, scope="customer"))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "authorizations", None),
    ("GET", "authorization/AUTH-1", None),
    ("GET", "captures", None),
    ("POST", "authorization/AUTH-1/capture", {"amount": 1.0, "reference": "R"}),
    ("POST", "authorization/AUTH-1/release", {}),
    ("POST", "capture/CAP-1/return", {"full_return": True}),
    ("POST", f"accounts/{SINGLE_ACCOUNT}/refund", {"amount": 1.0, "reference": "R"}),
])
def test_back_office_refuses_a_customer_scope_token_with_insufficient_scope(
    sandbox: Sandbox, method: str, path: str, body: dict[str, Any] | None,
) -> None:
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/{path}"

    response = httpx.request(method, url, headers=api.headers(_customer_token(sandbox)), json=body)

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "insufficient_scope"
    assert response.json()["message"] == "Insufficient scope: authorized scope is insufficient"


def test_capture_in_parts_then_release_the_rest_gives_the_credit_back(sandbox: Sandbox,
                                                                      back_office: BackOffice) -> None:
    authorization = _purchase(sandbox, "ORDER-200", 100.0)["authorization_id"]

    first = back_office.capture(authorization, 60.0, "SHIP-1")
    released = back_office.release(authorization)

    assert first["amount"] == 60.0 and first["remaining_authorization_amount"] == 40.0
    assert released["status"] == "released" and released["released_amount"] == 40.0
    assert [c["capture_id"] for c in back_office.captures(authorization)] == [first["capture_id"]]
    with pytest.raises(BackOfficeError, match="409 authorization_ended"):
        back_office.capture(authorization, 1.0, "SHIP-2")
    _purchase(sandbox, "ORDER-201", 4940.0)  # 5000 of credit: the released 40 is available again


def test_capture_of_more_than_authorized_is_auth_amount_exceeded(sandbox: Sandbox, back_office: BackOffice) -> None:
    authorization = _purchase(sandbox, "ORDER-202", 50.0)["authorization_id"]

    with pytest.raises(BackOfficeError, match="409 auth_amount_exceeded"):
        back_office.capture(authorization, 50.01, "SHIP-1")


def test_capture_of_an_unknown_authorization_is_not_found(back_office: BackOffice) -> None:
    with pytest.raises(BackOfficeError, match="404 not_found"):
        back_office.capture("AUTH-NOPE", 1.0, "SHIP-1")


def test_auto_capture_captures_in_full_and_a_return_gives_back_part(sandbox: Sandbox,
                                                                    back_office: BackOffice) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization"
    body = {"account_number": SINGLE_ACCOUNT, "reference": "ORDER-203", "amount": 80.0, "widget_session_id": sid,
            "auto_capture": True, "financing_option": {"transaction_type": "regular_purchase"}}
    authorization = httpx.post(url, headers=api.headers(token), json=body).json()["authorization_id"]
    [capture] = back_office.captures(authorization)

    returned = back_office.return_capture(capture["capture_id"], 30.0)
    rest = back_office.return_capture(capture["capture_id"])

    assert capture["amount"] == 80.0
    assert returned["remaining_capture_amount"] == 50.0 and rest["amount"] == 50.0
    with pytest.raises(BackOfficeError, match="409 capture_amount_exceeded"):
        back_office.return_capture(capture["capture_id"], 1.0)


def test_return_after_100_days_is_refused(sandbox: Sandbox, back_office: BackOffice) -> None:
    authorization = _purchase(sandbox, "ORDER-204", 20.0)["authorization_id"]
    capture = back_office.capture(authorization, 20.0, "SHIP-1")
    sandbox.advance_clock(101 * 86400)

    with pytest.raises(BackOfficeError, match="409 return_date_exceeded"):
        back_office.return_capture(capture["capture_id"])


def test_refund_to_an_account_and_to_an_unknown_one(back_office: BackOffice) -> None:
    refunded = back_office.refund(SINGLE_ACCOUNT, 15.0, "GOODWILL-1")

    assert refunded["account_number"] == SINGLE_ACCOUNT and refunded["amount"] == 15.0
    with pytest.raises(BackOfficeError, match="404 not_found"):
        back_office.refund(49999999999999, 15.0, "GOODWILL-2")
