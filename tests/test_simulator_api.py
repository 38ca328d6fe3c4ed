"""Contract tests for the Flexiti simulator's HTTP API, over real HTTP against the running sandbox."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from harness import checks
from harness.journal import Journal
from harness.masking import fingerprint
from harness.recording import JOURNAL_PATH
from sandbox.servers import Sandbox
from tests import simulator_client as api
from tests.simulator_client import OTHER_CUSTOMERS_ACCOUNT, REDIRECT, SINGLE, SINGLE_ACCOUNT


def _authorization_body(sid: str) -> dict[str, Any]:
    return {"account_number": SINGLE_ACCOUNT, "reference": "ORDER-1", "amount": 100.0, "widget_session_id": sid,
            "auto_capture": False, "financing_option": {"transaction_type": "regular_purchase"}}


def _authorize(sandbox: Sandbox, token: str, sid: str, left_out: frozenset[str] = frozenset(),
               **changes: Any) -> httpx.Response:
    body = {key: value for key, value in {**_authorization_body(sid), **changes}.items() if key not in left_out}
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization"
    return httpx.post(url, headers=api.headers(token), json=body)


def _error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"url", "message", "error"} <= set(body)
    assert body["error"] == error and body["url"] == response.request.url.path
    return body


def _params(body: dict[str, Any]) -> set[str]:
    return {entry["param"] for entry in body.get("field_errors", [])}


# -- token endpoint ---------------------------------------------------------------------------------

@api.fidelity("F-TOKEN-ENDPOINT")
def test_token_issues_bearer_for_client_credentials_form(sandbox: Sandbox) -> None:
    response = httpx.post(api.token_url(sandbox), data=api.credentials(sandbox, scope="customer"))

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 1200 and body["scope"] == "customer"
    assert body["access_token"] and body["refresh_token"]


@api.fidelity("F-TOKEN-FORM")
def test_token_rejects_json_body(sandbox: Sandbox) -> None:
    response = httpx.post(api.token_url(sandbox), json=api.credentials(sandbox))

    _error(response, 400, "invalid_request")


@api.fidelity("F-TOKEN-FORM")
def test_token_rejects_parameters_in_query_string(sandbox: Sandbox) -> None:
    response = httpx.post(api.token_url(sandbox), params=api.credentials(sandbox), data={"scope": "merchant"})

    _error(response, 400, "invalid_request")


@api.fidelity("F-TOKEN-CLIENT")
def test_token_rejects_wrong_secret(sandbox: Sandbox) -> None:
    response = httpx.post(api.token_url(sandbox), data=api.credentials(sandbox, client_secret="not-the-secret"))

    _error(response, 400, "invalid_client")


@api.fidelity("F-TOKEN-DEFAULTS", "F-TOKEN-BAD-GRANT")
def test_token_rejects_unknown_grant_type(sandbox: Sandbox) -> None:
    response = httpx.post(api.token_url(sandbox), data=api.credentials(sandbox, grant_type="bogus"))

    _error(response, 400, "invalid_request")


@api.fidelity("F-TOKEN-REFRESH")
def test_refresh_issues_new_token_and_revokes_old_one(sandbox: Sandbox) -> None:
    first = api.grant(sandbox)

    refreshed = httpx.post(api.token_url(sandbox), data=api.credentials(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]))

    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != first["access_token"]
    _error(api.init(sandbox, first["access_token"], api.purchase_body()), 401, "invalid_token")
    assert api.init(sandbox, refreshed.json()["access_token"], api.purchase_body()).status_code == 200


@api.fidelity("F-TOKEN-REFRESH")
def test_refresh_rejects_reused_refresh_token(sandbox: Sandbox) -> None:
    form = api.credentials(sandbox, grant_type="refresh_token", refresh_token=api.grant(sandbox)["refresh_token"])

    first, again = httpx.post(api.token_url(sandbox), data=form), httpx.post(api.token_url(sandbox), data=form)

    assert first.status_code == 200
    _error(again, 401, "invalid_token")


@api.fidelity("F-TOKEN-ENDPOINT", "F-INVALID-TOKEN")
def test_token_expires_after_configured_lifetime_when_clock_advances(sandbox: Sandbox) -> None:
    sandbox.set_token_lifetime(60)
    grant = api.grant(sandbox)

    sandbox.advance_clock(61)

    assert grant["expires_in"] == 60
    _error(api.init(sandbox, grant["access_token"], api.purchase_body()), 401, "invalid_token")


@api.fidelity("F-TOKEN-PASSWORD")
def test_password_grant_needs_username_and_password_then_issues_a_token(sandbox: Sandbox) -> None:
    form = api.credentials(sandbox, grant_type="password", scope="customer")

    refused = httpx.post(api.token_url(sandbox), data=form)
    granted = httpx.post(api.token_url(sandbox), data={**form, "username": "merchant-user", "password": "pw"})

    assert _params(_error(refused, 409, "wrong_inputs")) == {"username", "password"}
    assert granted.status_code == 200 and granted.json()["scope"] == "customer", granted.text


@api.fidelity("F-LOGIN")
def test_deprecated_merchants_login_is_answered_and_marked_deprecated(sandbox: Sandbox) -> None:
    url = f"{sandbox.urls.api_base}/v2.5/client-id/{sandbox.client_id}/merchants/login"
    body = {"merchant_username": "merchant-user", "merchant_password": "pw"}

    response = httpx.post(url, params={"lang": "en"}, headers=api.headers(api.token(sandbox)), json=body)

    assert response.status_code == 200, response.text
    assert response.headers["deprecation"] == "true"
    assert {"merchant_name", "merchant_id", "form_values"} <= set(response.json())
    [call] = Journal(sandbox.urls.flexiti + JOURNAL_PATH).to("merchants/login")
    assert call.status == 200 and call.body["merchant_password"] == "***"


@api.fidelity("F-TOKEN-DEFAULTS")
def test_token_defaults_to_client_credentials_and_merchant_scope(sandbox: Sandbox) -> None:
    form = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}

    response = httpx.post(api.token_url(sandbox), data=form, headers=api.headers(None))

    assert response.status_code == 200 and response.json()["scope"] == "merchant", response.text


@api.fidelity("F-TOKEN-REFRESH-BEFORE-EXPIRY")
def test_an_expired_token_cannot_be_refreshed(sandbox: Sandbox) -> None:
    first = api.grant(sandbox)
    sandbox.advance_clock(1201)

    response = httpx.post(api.token_url(sandbox), data=api.credentials(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]))

    _error(response, 401, "invalid_token")


@api.fidelity("F-SCOPE-CUSTOMER")
def test_a_customer_scope_token_opens_the_widget(sandbox: Sandbox) -> None:
    token = httpx.post(api.token_url(sandbox), data=api.credentials(sandbox, scope="customer")).json()["access_token"]

    assert api.init(sandbox, token, api.purchase_body()).status_code == 200


# -- widget/init --------------------------------------------------------------------------------------

@api.fidelity("F-SCOPE-MERCHANT", "F-BASE-PATH", "F-WIDGET-HOST", "F-INIT")
def test_widget_init_returns_redirection_url_for_purchase(sandbox: Sandbox) -> None:
    headers = api.headers(api.token(sandbox))
    url = f"{sandbox.urls.api_base}/v2.5/client-id/{sandbox.client_id}/widget/init"

    response = httpx.post(url, headers=headers, json=api.purchase_body())

    assert response.status_code == 200, response.text
    redirect = response.json()["redirection_url"]
    assert REDIRECT.match(redirect), redirect
    assert f"x-reference-id={headers['x-reference-id']}&" in redirect


@api.fidelity("F-INIT-FLOW")
@pytest.mark.parametrize("flow", [None, "refund"], ids=["missing", "invalid"])
def test_widget_init_rejects_bad_flow(sandbox: Sandbox, flow: str | None) -> None:
    body = {**api.purchase_body(), "flow": flow}

    response = api.init(sandbox, api.token(sandbox), body)

    assert "flow" in _params(_error(response, 409, "wrong_inputs"))


@api.fidelity("F-INIT-IDENTIFIERS-ONE-OR-MORE")
@pytest.mark.parametrize("identification", [
    {"account_number": SINGLE_ACCOUNT, "vcc_number": "1070015210367982", "personal_information": SINGLE},
    {"account_number": SINGLE_ACCOUNT, "personal_information": SINGLE},
    {"vcc_number": "1070015210367982", "personal_information": SINGLE},
], ids=["all three as in Flexiti's example", "account and personal", "card and personal"])
def test_widget_init_accepts_one_or_more_identifiers(sandbox: Sandbox, identification: dict[str, Any]) -> None:
    token = api.token(sandbox)

    response = api.init(sandbox, token, api.purchase_body(**identification))

    session = httpx.get(f"{sandbox.urls.flexiti}/widget-api/sessions/{api.session_of(response)}",
                        headers={"authorization": f"Bearer {token}"})
    assert session.json()["stage"] == "mfa" and session.json()["first_name"] == SINGLE["first_name"]


@api.fidelity("F-INIT-FORMATS")
def test_widget_init_checks_each_identifier_sent(sandbox: Sandbox) -> None:
    body = api.purchase_body(account_number=SINGLE_ACCOUNT, vcc_number="too-short")

    response = api.init(sandbox, api.token(sandbox), body)

    assert _params(_error(response, 409, "wrong_inputs")) == {"customer_identification.vcc_number"}


@api.fidelity("F-INIT-IDENTIFIERS-ONE-OR-MORE")
def test_widget_init_rejects_missing_identifier(sandbox: Sandbox) -> None:
    body = {"flow": "purchase", "lang": "en"}

    response = api.init(sandbox, api.token(sandbox), body)

    assert _params(_error(response, 409, "wrong_inputs")) == {"customer_identification"}


@api.fidelity("F-STATUSES", "F-INIT-APPLY", "F-INIT-ERRORS")
def test_widget_init_lists_missing_apply_fields(sandbox: Sandbox) -> None:
    body = {"flow": "apply", "lang": "en", "customer_identification": {"personal_information": SINGLE},
            "phone_number": "4165550101", "address_1": "1 King St W", "city": "Toronto", "province": "ON",
            "tos_agreement": False}

    response = api.init(sandbox, api.token(sandbox), body)

    assert _params(_error(response, 409, "wrong_inputs")) == {"email", "tos_agreement"}


@api.fidelity("F-INIT-LANG", "F-INIT-FORMATS")
@pytest.mark.parametrize(("changes", "param"), [
    ({"lang": "de"}, "lang"),
    ({"customer_identification": {"account_number": "40000000000011"}}, "customer_identification.account_number"),
    ({"customer_identification": {"account_number": 10 ** 14}}, "customer_identification.account_number"),
    ({"customer_identification": {"vcc_number": "5000"}}, "customer_identification.vcc_number"),
    ({"customer_identification": {"personal_information": {**SINGLE, "dob": "12/04/1985"}}},
     "customer_identification.personal_information.dob"),
])
def test_widget_init_checks_documented_formats(sandbox: Sandbox, changes: dict[str, Any], param: str) -> None:
    response = api.init(sandbox, api.token(sandbox), {**api.purchase_body(), **changes})

    assert param in _params(_error(response, 409, "wrong_inputs"))


@api.fidelity("F-INIT-APPLY")
def test_widget_init_rejects_an_unknown_account_type(sandbox: Sandbox) -> None:
    body = {"flow": "apply", "lang": "en", "customer_identification": {"personal_information": SINGLE},
            "email": "a@example.test", "phone_number": "4165550101", "address_1": "1 King St W", "city": "Toronto",
            "province": "ON", "tos_agreement": True, "account_type": "corporate"}

    response = api.init(sandbox, api.token(sandbox), body)

    assert _params(_error(response, 409, "wrong_inputs")) == {"account_type"}


@api.fidelity("F-INVALID-TOKEN")
def test_widget_init_rejects_missing_bearer(sandbox: Sandbox) -> None:
    response = api.init(sandbox, None, api.purchase_body())

    _error(response, 401, "invalid_token")


@api.fidelity("F-FOREIGN-CLIENT-ID")
def test_widget_init_rejects_foreign_client_id_in_path_as_a_wrong_token(sandbox: Sandbox) -> None:
    response = api.init(sandbox, api.token(sandbox), api.purchase_body(), client_id="someone-else")

    _error(response, 401, "invalid_token")


# -- authorization ------------------------------------------------------------------------------------

@api.fidelity("F-BASE-PATH", "F-EVT-P-VERIFIED", "F-AUTH", "F-AUTH-RESPONSE", "F-DATA-PURCHASE-PIN")
def test_authorization_approves_verified_session(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["authorization_id"].startswith("AUTH-")
    assert body["account_number"] == SINGLE_ACCOUNT and body["widget_session_id"] == sid


@api.fidelity("F-AUTH-ERR-IDENTITY")
def test_authorization_for_an_unverified_customer_is_customer_identity_not_found(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.session_id(sandbox, token)

    response = _authorize(sandbox, token, sid)

    _error(response, 404, "customer_identity_not_found")


@api.fidelity("F-ONE-TOKEN-PER-FLOW", "F-AUTH-ERR-NOT-VERIFIED")
def test_authorization_rejects_token_from_other_grant(sandbox: Sandbox) -> None:
    sid = api.verified_session(sandbox, api.token(sandbox))

    response = _authorize(sandbox, api.token(sandbox), sid)

    _error(response, 409, "not_verified")


@api.fidelity("F-ONE-TOKEN-PER-FLOW")
def test_authorization_rejects_a_refresh_of_the_widget_init_token(sandbox: Sandbox) -> None:
    first = api.grant(sandbox)
    sid = api.verified_session(sandbox, first["access_token"])
    refreshed = api.refreshed(sandbox, first["refresh_token"])

    response = _authorize(sandbox, refreshed, sid)

    _error(response, 409, "not_verified")


@api.fidelity("F-ONE-TOKEN-PER-FLOW")
def test_authorization_accepts_the_exact_widget_init_token_near_its_expiry(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)
    httpx.post(f"{sandbox.urls.flexiti}/__sandbox/clock", json={"seconds": 1200 - 30}).raise_for_status()

    assert _authorize(sandbox, token, sid).status_code == 200


@api.fidelity("F-AUTH-NO-VERIFICATION-CODE")
def test_authorization_rejects_verification_code(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid, verification_code="123456")

    assert "verification_code" in _params(_error(response, 409, "wrong_inputs"))


@api.fidelity("F-AUTH-REQUIRED-FIELDS", "F-AUTH-PLAN")
@pytest.mark.parametrize(("changes", "params"), [
    ({"auto_capture": None}, {"auto_capture"}),
    ({"auto_capture": "false"}, {"auto_capture"}),
    ({"financing_option": None}, {"financing_option"}),
    ({"financing_option": {}}, {"financing_option.transaction_type"}),
    ({"financing_option": {"transaction_type": "layaway"}}, {"financing_option.transaction_type"}),
    ({"financing_option": {"transaction_type": "promotional_purchase"}},
     {"financing_option.plan_id", "financing_option.term"}),
    ({"amount": "100.00"}, {"amount"}),
    ({"amount": True}, {"amount"}),
    ({"account_number": str(SINGLE_ACCOUNT)}, {"account_number"}),
    ({"account_number": 10 ** 14}, {"account_number"}),
])
def test_authorization_validates_required_fields_and_types(
    sandbox: Sandbox, changes: dict[str, Any], params: set[str],
) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)
    left_out = frozenset(key for key, value in changes.items() if value is None)
    sent = {key: value for key, value in changes.items() if value is not None}

    response = _authorize(sandbox, token, sid, left_out, **sent)

    assert _params(_error(response, 409, "wrong_inputs")) == params


@api.fidelity("F-AUTH-PLAN")
def test_authorization_accepts_a_promotional_plan_with_plan_id_and_term(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid, financing_option={
        "transaction_type": "promotional_purchase", "plan_id": "PLAN-12", "term": 12})

    assert response.status_code == 200, response.text


@api.fidelity("F-AUTH-ERR-NOT-FOUND")
def test_authorization_for_an_account_flexiti_does_not_know_is_not_found(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid, account_number=49999999999999)

    _error(response, 404, "not_found")


@api.fidelity("F-AUTH-ERR-CREDIT")
def test_authorization_rejects_amount_above_available_credit(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid, amount=5000.01)

    _error(response, 409, "credit_exceeded")


def test_authorization_rejects_account_of_another_customer(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid, account_number=OTHER_CUSTOMERS_ACCOUNT)

    _error(response, 404, "customer_identity_not_found")


@api.fidelity("F-EVT-P-UNVERIFIED")
def test_verify_ends_unverified_after_three_wrong_answers(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.session_id(sandbox, token)
    api.widget(sandbox, token, sid, "mfa", {"option": "sms"})
    first, second = (api.widget(sandbox, token, sid, "verify", {"answer": "000000"}) for _ in range(2))

    third = api.widget(sandbox, token, sid, "verify", {"answer": "000000"})

    assert (first.status_code, second.status_code) == (409, 409)
    assert third.status_code == 200
    assert third.json()["message"]["eventData"]["verified"] is False


# -- journal and routing ------------------------------------------------------------------------------

def test_journal_masks_secret_and_fingerprints_token(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    api.init(sandbox, token, api.purchase_body())

    response = httpx.get(f"{sandbox.urls.flexiti}/__sandbox/journal")

    calls = response.json()["calls"]
    text = json.dumps(calls)
    assert [(c["method"], c["status"]) for c in calls] == [("POST", 200), ("POST", 200)]
    assert calls[0]["path"].endswith("/oauth/token") and calls[1]["path"].endswith("/widget/init")
    assert sandbox.client_secret not in text and token not in text
    assert calls[1]["headers"]["authorization"] == f"Bearer {fingerprint(token)}"


@api.fidelity("F-REFERENCE-ID")
@pytest.mark.parametrize("reference", ["123e4567-e89b-12d3-a456-426614174000", "not-a-guid", "ab" * 17])
def test_a_malformed_x_reference_id_is_wrong_inputs(sandbox: Sandbox, reference: str) -> None:
    headers = {**api.headers(api.token(sandbox)), "x-reference-id": reference}
    url = f"{sandbox.urls.api_base}/v2.5/client-id/{sandbox.client_id}/widget/init"

    response = httpx.post(url, headers=headers, json=api.purchase_body())

    assert _params(_error(response, 409, "wrong_inputs")) == {"x-reference-id"}


@api.fidelity("F-REFERENCE-ID")
def test_a_missing_x_reference_id_is_let_through_and_journaled(sandbox: Sandbox) -> None:
    headers = {"authorization": f"Bearer {api.token(sandbox)}"}
    url = f"{sandbox.urls.api_base}/v2.5/client-id/{sandbox.client_id}/widget/init"

    assert httpx.post(url, headers=headers, json=api.purchase_body()).status_code == 200
    [init] = Journal(sandbox.urls.flexiti + JOURNAL_PATH).to("widget/init")
    assert init.reference_id is None


def test_auth_03_check_fails_the_dashed_36_character_form(sandbox: Sandbox) -> None:
    headers = {**api.headers(api.token(sandbox)), "x-reference-id": "123e4567-e89b-12d3-a456-426614174000"}
    httpx.post(f"{sandbox.urls.api_base}/v2.5/client-id/{sandbox.client_id}/widget/init", headers=headers,
               json=api.purchase_body())
    journal = Journal(sandbox.urls.flexiti + JOURNAL_PATH)

    with pytest.raises(AssertionError, match="32 hex digits"):
        checks.bearer_and_reference_on_every_call(journal)


@api.fidelity("F-STATUSES")
def test_unknown_route_returns_not_found(sandbox: Sandbox) -> None:
    response = httpx.get(f"{sandbox.urls.flexiti}/flexiti/pos-api/v9/nothing-here")

    _error(response, 404, "not_found")


# -- documented choices the simulator must accept, and documented answers it must give ------------------

@api.fidelity("F-AUTH-REFERENCE-OPTIONAL")
def test_authorization_without_reference_is_approved(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    response = _authorize(sandbox, token, sid, left_out=frozenset({"reference"}))

    assert response.status_code == 200, response.text
    assert response.json()["reference"] is None and response.json()["amount"] == 100.0


@api.fidelity("F-LOGIN-CREDENTIALS-OPTIONAL", "F-QUERY-LANG")
def test_deprecated_merchants_login_without_username_and_password_is_answered(sandbox: Sandbox) -> None:
    url = f"{sandbox.urls.api_base}/v2.5/client-id/{sandbox.client_id}/merchants/login"

    response = httpx.post(url, params={"lang": "fr"}, headers=api.headers(api.token(sandbox)), json={})

    assert response.status_code == 200, response.text
    assert response.headers["deprecation"] == "true" and "merchant_id" in response.json()


@api.fidelity("F-QUERY-LANG")
@pytest.mark.parametrize(("lang", "status"), [("en", 200), ("fr", 200), ("de", 409)])
def test_lang_in_the_query_of_a_v2_5_1_call_is_en_or_fr(sandbox: Sandbox, lang: str, status: int) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization"

    response = httpx.post(url, params={"lang": lang}, headers=api.headers(token), json=_authorization_body(sid))

    assert response.status_code == status, response.text
    if status == 409:
        assert _params(_error(response, 409, "wrong_inputs")) == {"lang"}


def _authorize_with_key(sandbox: Sandbox, token: str, sid: str, key: str, amount: float) -> httpx.Response:
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization"
    return httpx.post(url, headers={**api.headers(token), "x-idempotency-key": key},
                      json={**_authorization_body(sid), "amount": amount})


def _authorizations(sandbox: Sandbox) -> list[dict[str, Any]]:
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorizations"
    response = httpx.get(url, headers=api.headers(api.token(sandbox)))
    assert response.status_code == 200, response.text
    return list(response.json())


@api.fidelity("F-AUTH-IDEMPOTENCY-KEY")
def test_a_repeat_with_the_same_idempotency_key_answers_the_first_authorization(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    first = _authorize_with_key(sandbox, token, sid, "order-77-1", 100.0)
    again = _authorize_with_key(sandbox, token, sid, "order-77-1", 100.0)

    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert [a["authorization_id"] for a in _authorizations(sandbox)] == [first.json()["authorization_id"]]


@api.fidelity("F-AUTH-IDEMPOTENCY-KEY")
def test_another_idempotency_key_is_another_authorization(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    first = _authorize_with_key(sandbox, token, sid, "order-78-1", 10.0)
    second = _authorize_with_key(sandbox, token, sid, "order-78-2", 10.0)

    assert first.status_code == second.status_code == 200, second.text
    assert len({first.json()["authorization_id"], second.json()["authorization_id"]}) == 2


@api.fidelity("F-AUTH-IDEMPOTENCY-KEY")
def test_a_failed_authorization_is_not_kept_for_its_idempotency_key(sandbox: Sandbox) -> None:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)

    refused = _authorize_with_key(sandbox, token, sid, "order-79-1", 999999.0)
    retried = _authorize_with_key(sandbox, token, sid, "order-79-1", 100.0)

    _error(refused, 409, "credit_exceeded")
    assert retried.status_code == 200 and retried.json()["amount"] == 100.0, retried.text


# -- back office: documented paths, fields and errors -------------------------------------------------

def _back_office(sandbox: Sandbox, path: str, body: dict[str, Any] | None = None,
                 token: str | None = None) -> httpx.Response:
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/{path}"
    return httpx.post(url, headers=api.headers(token or api.token(sandbox)), json=body if body is not None else {})


def _authorized(sandbox: Sandbox, amount: float, auto_capture: bool = False) -> dict[str, Any]:
    token = api.token(sandbox)
    sid = api.verified_session(sandbox, token)
    response = _authorize(sandbox, token, sid, amount=amount, auto_capture=auto_capture)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _captured(sandbox: Sandbox, amount: float) -> tuple[str, str]:
    authorization = _authorized(sandbox, amount)["authorization_id"]
    capture = _back_office(sandbox, f"authorization/{authorization}/capture", {"amount": amount, "reference": "S-1"})
    assert capture.status_code == 200, capture.text
    return authorization, capture.json()["capture_id"]


@api.fidelity("F-SCOPE-CUSTOMER", "F-SCOPE-INSUFFICIENT")
def test_back_office_refuses_a_customer_scope_token(sandbox: Sandbox) -> None:
    customer = httpx.post(api.token_url(sandbox), data=api.credentials(sandbox, scope="customer")).json()

    response = _back_office(sandbox, f"accounts/{SINGLE_ACCOUNT}/refund", {"amount": 1.0, "reference": "R"},
                            customer["access_token"])

    assert response.status_code == 403, response.text
    assert response.json()["message"] == "Insufficient scope: authorized scope is insufficient"


@api.fidelity("F-CAPTURE", "F-CAPTURE-RELEASE-ERRORS")
def test_capture_without_reference_and_then_more_than_is_left(sandbox: Sandbox) -> None:
    authorization = _authorized(sandbox, 50.0)["authorization_id"]

    first = _back_office(sandbox, f"authorization/{authorization}/capture", {"amount": 30.0})
    too_much = _back_office(sandbox, f"authorization/{authorization}/capture", {"amount": 20.01})

    assert first.status_code == 200 and first.json()["remaining_authorization_amount"] == 20.0, first.text
    _error(too_much, 409, "auth_amount_exceeded")


@api.fidelity("F-CAPTURE-RELEASE-ERRORS")
def test_capture_or_release_of_a_released_authorization_is_authorization_ended(sandbox: Sandbox) -> None:
    authorization = _authorized(sandbox, 40.0)["authorization_id"]
    assert _back_office(sandbox, f"authorization/{authorization}/release").status_code == 200

    capture = _back_office(sandbox, f"authorization/{authorization}/capture", {"amount": 1.0})
    release = _back_office(sandbox, f"authorization/{authorization}/release")

    _error(capture, 409, "authorization_ended")
    _error(release, 409, "authorization_ended")


@api.fidelity("F-CAPTURE-RELEASE-ERRORS", "F-RELEASE")
def test_release_of_part_then_of_more_than_is_left(sandbox: Sandbox) -> None:
    authorization = _authorized(sandbox, 40.0)["authorization_id"]

    part = _back_office(sandbox, f"authorization/{authorization}/release", {"amount": 15.0})
    too_much = _back_office(sandbox, f"authorization/{authorization}/release", {"amount": 25.01})
    capture = _back_office(sandbox, f"authorization/{authorization}/capture", {"amount": 25.0})

    assert part.status_code == 200 and part.json()["released_amount"] == 15.0, part.text
    _error(too_much, 409, "auth_amount_exceeded")
    assert capture.status_code == 200 and capture.json()["remaining_authorization_amount"] == 0.0, capture.text


@api.fidelity("F-RETURN")
def test_return_on_the_documented_path_answers_the_documented_fields(sandbox: Sandbox) -> None:
    authorization, capture = _captured(sandbox, 60.0)

    response = _back_office(sandbox, f"authorization/{authorization}/capture/{capture}/return",
                            {"full_return": False, "amount": 25.0, "reference": "RMA-1"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert {"return_id", "reference", "capture_id", "date", "amount", "remaining_capture_amount",
            "remaining_authorization_amount"} <= set(body)
    assert body["amount"] == 25.0 and body["remaining_capture_amount"] == 35.0 and body["capture_id"] == capture
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", body["date"])


@api.fidelity("F-RETURN", "F-BO-NOT-FOUND")
def test_return_of_a_capture_under_another_authorization_is_not_found(sandbox: Sandbox) -> None:
    _, capture = _captured(sandbox, 10.0)
    other = _authorized(sandbox, 10.0)["authorization_id"]

    response = _back_office(sandbox, f"authorization/{other}/capture/{capture}/return", {"full_return": True})

    _error(response, 404, "not_found")


@api.fidelity("F-RETURN-ERRORS")
def test_return_of_more_than_is_left_is_capture_amount_exceeded(sandbox: Sandbox) -> None:
    authorization, capture = _captured(sandbox, 20.0)

    response = _back_office(sandbox, f"authorization/{authorization}/capture/{capture}/return", {"amount": 20.01})

    _error(response, 409, "capture_amount_exceeded")


@api.fidelity("F-RETURN-ERRORS")
def test_return_after_100_days_is_return_date_exceeded(sandbox: Sandbox) -> None:
    authorization, capture = _captured(sandbox, 20.0)
    sandbox.advance_clock(101 * 86400)

    response = _back_office(sandbox, f"authorization/{authorization}/capture/{capture}/return", {"full_return": True})

    _error(response, 409, "return_date_exceeded")


@api.fidelity("F-AUTO-CAPTURE", "F-LISTS")
def test_auto_capture_captures_the_whole_amount_at_once(sandbox: Sandbox) -> None:
    authorization = _authorized(sandbox, 80.0, auto_capture=True)

    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/captures"
    captures = httpx.get(url, headers=api.headers(api.token(sandbox)), params={
        "authorization_id": authorization["authorization_id"]}).json()

    assert authorization["captured_amount"] == 80.0
    assert [c["amount"] for c in captures] == [80.0]


@api.fidelity("F-BO-NOT-FOUND", "F-REFUND")
def test_refund_to_a_known_account_and_to_an_unknown_one(sandbox: Sandbox) -> None:
    refunded = _back_office(sandbox, f"accounts/{SINGLE_ACCOUNT}/refund", {"amount": 15.0, "reference": "G-1"})
    unknown = _back_office(sandbox, "accounts/49999999999999/refund", {"amount": 15.0, "reference": "G-2"})

    assert refunded.status_code == 200 and refunded.json()["amount"] == 15.0, refunded.text
    _error(unknown, 404, "not_found")


@api.fidelity("F-SCOPE-MERCHANT", "F-LISTS")
def test_get_authorization_and_the_list_of_authorizations(sandbox: Sandbox) -> None:
    authorization = _authorized(sandbox, 12.0)["authorization_id"]
    url = f"{sandbox.urls.api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization/{authorization}"

    one = httpx.get(url, headers=api.headers(api.token(sandbox)))

    assert one.status_code == 200 and one.json()["amount"] == 12.0, one.text
    assert [a["authorization_id"] for a in _authorizations(sandbox)] == [authorization]
