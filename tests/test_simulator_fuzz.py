"""Bad input to the simulator: every one gets a clear 4xx in the documented shape, journaled; never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from sandbox.flexiti.app import API, Simulator
from sandbox.flexiti.state import SimulatorState
from tests.simulator_client import SINGLE

CLIENT_ID, SECRET = "sandbox-merchant", "fuzz-secret-Ünïcode"
TOKEN_PATH = f"{API}/v2.5/oauth/token"
INIT_PATH = f"{API}/v2.5/client-id/{CLIENT_ID}/widget/init"
AUTHORIZE_PATH = f"{API}/v2.5.1/client-id/{CLIENT_ID}/authorization"
APPLY_PATH = f"{API}/v2.5/client-id/{CLIENT_ID}/apply"
FORM = "application/x-www-form-urlencoded"


class Bench:
    """One in-process simulator (no socket at all) with a merchant token and an open widget session."""

    def __init__(self) -> None:
        self.state = SimulatorState(client_id=CLIENT_ID, client_secret=SECRET)
        self.client = TestClient(Simulator(self.state).app, raise_server_exceptions=False)
        self.token = self.new_token()
        self.session = self.new_session()

    def new_token(self) -> str:
        response = self.client.post(TOKEN_PATH, data={"client_id": CLIENT_ID, "client_secret": SECRET})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def new_session(self) -> str:
        response = self.client.post(INIT_PATH, headers=self.bearer(), json={
            "flow": "purchase", "customer_identification": {"personal_information": SINGLE}})
        assert response.status_code == 200, response.text
        return response.json()["redirection_url"].rsplit("widget_session_id=", 1)[1]

    def bearer(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def widget(self, step: str) -> str:
        return f"/widget-api/sessions/{self.session}/{step}"


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    bench = Bench()
    with bench.client:
        yield bench


def _documented_error(response: Any, path: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    body = response.json()
    assert {"url", "message", "error"} <= set(body), body
    assert body["url"] == path and isinstance(body["message"], str) and body["message"], body
    return body


def _journaled_status(bench: Bench, path: str) -> int:
    """The status the journal kept for the latest call to `path`."""
    calls = [call for call in bench.state.journal.calls() if call["path"] == path]
    assert calls, f"{path} was never journaled"
    return int(calls[-1]["status"])


RAW_JSON_BODIES = {
    "nan": b'{"flow": NaN}',
    "infinity": b'{"flow": Infinity}',
    "minus infinity": b'{"amount": -Infinity}',
    "out of range": b'{"flow": 1e999}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "latin-1": '{"flow": "achat é"}'.encode("latin-1"),
    "invalid utf-8": b'{"flow": "\xff\xfe"}',
    "lone surrogate": b'{"flow": "\\ud800"}',
}


@pytest.mark.parametrize("name", RAW_JSON_BODIES)
@pytest.mark.parametrize("where", ["init", "authorize", "apply", "mfa", "verify", "account"])
def test_malformed_json_gets_a_clear_error_and_is_journaled(bench: Bench, name: str, where: str) -> None:
    path = {"init": INIT_PATH, "authorize": AUTHORIZE_PATH, "apply": APPLY_PATH}.get(where) or bench.widget(where)

    response = bench.client.post(path, headers={**bench.bearer(), "content-type": "application/json"},
                                 content=RAW_JSON_BODIES[name])

    _documented_error(response, path)
    assert _journaled_status(bench, path) == response.status_code
    json.dumps(bench.state.journal.calls(), allow_nan=False)  # the journal itself stays readable


@pytest.mark.parametrize("body", [b"client_id=sandbox-merchant&client_secret=\xff\xfe",
                                  "client_id=sandbox-merchant&client_secret=sécret".encode("latin-1"),
                                  b"client_id=sandbox-merchant&client_secret=%FF%FE",
                                  b"client_id=sandbox-merchant&client_secret=%C3%A9l%C3%A8ve"])
def test_token_form_bodies_that_are_not_the_secret_get_a_clear_error(bench: Bench, body: bytes) -> None:
    response = bench.client.post(TOKEN_PATH, headers={"content-type": FORM}, content=body)

    _documented_error(response, TOKEN_PATH)
    assert _journaled_status(bench, TOKEN_PATH) == response.status_code
    assert not bench.state.errors, bench.state.errors


def test_a_non_ascii_client_secret_is_compared_as_bytes(bench: Bench) -> None:
    right = bench.client.post(TOKEN_PATH, data={"client_id": CLIENT_ID, "client_secret": SECRET})
    wrong = bench.client.post(TOKEN_PATH, data={"client_id": CLIENT_ID, "client_secret": SECRET.replace("Ü", "U")})

    assert right.status_code == 200, right.text
    assert _documented_error(wrong, TOKEN_PATH)["error"] == "invalid_client"


def test_an_accented_mfa_answer_is_a_wrong_answer_not_a_crash() -> None:
    bench = Bench()
    with bench.client:
        assert bench.client.post(bench.widget("mfa"), headers=bench.bearer(),
                                 json={"option": "security_question"}).status_code == 200
        response = bench.client.post(bench.widget("verify"), headers=bench.bearer(), json={"answer": "Montréal ÉÈ"})

        assert _documented_error(response, bench.widget("verify"))["error"] == "wrong_code"
        assert not bench.state.errors, bench.state.errors


def test_referer_is_escaped_in_the_refusal_page(bench: Bench) -> None:
    bench.state.trust_url = "https://shop.example"
    try:
        response = bench.client.get("/", headers={"referer": 'http://"><img src=x onerror=alert(1)>/checkout'})
    finally:
        bench.state.trust_url = None

    assert response.status_code == 403
    assert "<img" not in response.text and "&lt;img" in response.text, response.text


@pytest.mark.parametrize("fault", [{"endpoint": 123}, {"endpoint": ""}, {"endpoint": "/token", "status": "500"},
                                   {"endpoint": "/token", "status": 200}, {"endpoint": "/token", "times": 0},
                                   {"endpoint": "/token", "timeout": "yes"}, {"endpoint": "/token", "error": 5},
                                   {"endpoint": ["/token"]}, {"nope": 1}])
def test_a_bad_fault_is_refused_and_never_stored(bench: Bench, fault: dict[str, Any]) -> None:
    response = bench.client.post("/__sandbox/faults", json=fault)

    _documented_error(response, "/__sandbox/faults")
    assert not bench.state.faults
    assert bench.client.post(TOKEN_PATH, data={"client_id": CLIENT_ID, "client_secret": SECRET}).status_code == 200


@pytest.mark.parametrize("body", [b'{"seconds": NaN}', b'{"seconds": Infinity}', b'{"seconds": 1e999}',
                                  b'{"seconds": -1}', b'{"seconds": true}', b'{"seconds": "10"}'])
def test_a_bad_clock_step_is_refused(bench: Bench, body: bytes) -> None:
    response = bench.client.post("/__sandbox/clock", content=body, headers={"content-type": "application/json"})

    _documented_error(response, "/__sandbox/clock")
    assert bench.state.clock_offset == 0.0


def test_a_bad_trust_url_is_refused(bench: Bench) -> None:
    response = bench.client.post("/__sandbox/config", json={"trust_url": 123})

    _documented_error(response, "/__sandbox/config")
    assert bench.state.trust_url is None


# -- fuzzing: generated bodies, headers and content types ----------------------------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)
_FIELDS = ["flow", "lang", "customer_identification", "account_number", "reference", "amount", "widget_session_id",
           "option", "answer", "tos_agreement", "client_id", "client_secret", "grant_type", "scope", "refresh_token"]
_OBJECTS = st.dictionaries(st.sampled_from(_FIELDS) | st.text(max_size=8), _JSON_VALUES, max_size=6)


def _encode(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()  # NaN and Infinity included on purpose


_BODIES = st.one_of(
    _OBJECTS.map(_encode), _JSON_VALUES.map(_encode), st.binary(max_size=200),
    st.dictionaries(st.sampled_from(_FIELDS), st.text(max_size=20), max_size=5).map(
        lambda form: "&".join(f"{k}={v}" for k, v in form.items()).encode("utf-8", "surrogatepass")),
)
_CONTENT_TYPES = st.sampled_from(["application/json", FORM, "text/plain", "multipart/form-data; boundary=x",
                                  "application/json; charset=latin-1", "", "*/*;;;"])
_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(where=st.sampled_from(["token", "init", "authorize", "apply", "session", "mfa", "verify", "account", "cancel",
                              "continue", "authorization", "authorizations", "unknown"]),
       body=_BODIES, content_type=_CONTENT_TYPES, authorization=st.sampled_from(["good", "none"]) | _HEADER_TEXT,
       origin=st.none() | _HEADER_TEXT, reference=st.none() | _HEADER_TEXT)
def test_fuzzed_calls_never_get_a_5xx_and_errors_keep_the_documented_shape(
        bench: Bench, where: str, body: bytes, content_type: str, authorization: str, origin: str | None,
        reference: str | None) -> None:
    paths = {"token": TOKEN_PATH, "init": INIT_PATH, "authorize": AUTHORIZE_PATH, "apply": APPLY_PATH,
             "session": f"/widget-api/sessions/{bench.session}",
             "authorization": f"{AUTHORIZE_PATH}/AUTH-1", "authorizations": f"{API}/v2.5.1/client-id/{CLIENT_ID}/"
                                                                           "authorizations",
             "unknown": f"{API}/v9/nothing"}
    path = paths.get(where) or bench.widget(where)
    method = "GET" if where in ("session", "authorization", "authorizations") else "POST"
    headers = {"content-type": content_type}
    if authorization == "good":
        headers.update(bench.bearer())
    elif authorization != "none":
        headers["authorization"] = authorization
    if origin is not None:
        headers["origin"] = origin
    if reference is not None:
        headers["x-reference-id"] = reference
    encoded = {name: value.encode("latin-1") for name, value in headers.items()}

    response = bench.client.request(method, path, headers=encoded, content=body)

    assert response.status_code < 500, f"{response.status_code} for {method} {path}: {response.text[:300]}"
    if response.status_code >= 400:
        _documented_error(response, path)
    assert _journaled_status(bench, path) == response.status_code
    assert not bench.state.errors, bench.state.errors[-1]
