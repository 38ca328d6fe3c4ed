"""Unit tests for harness.masking: hidden values, token fingerprints, bearer headers and secret-named keys."""

from __future__ import annotations

import pytest

from harness.masking import Masker, contains_secret, fingerprint, secret_forms

SECRET = "sbx-client-secret-value"
TOKEN_A = "tokenAAAA1111.aaaa-bbbb_cccc"
TOKEN_B = "tokenBBBB2222.dddd-eeee_ffff"


def test_text_hides_registered_secret_anywhere() -> None:
    masker = Masker(hidden=[SECRET])

    masked = masker.text(f"client_secret={SECRET}&again={SECRET}")

    assert SECRET not in masked
    assert masked == "client_secret=***&again=***"


def test_hide_registers_secret_after_construction() -> None:
    masker = Masker()

    masker.hide(SECRET)

    assert masker.text(f"x {SECRET} y") == "x *** y"


def test_data_hides_registered_secret_in_nested_structures() -> None:
    masker = Masker(hidden=[SECRET])
    data = {"outer": [{"note": f"sent {SECRET}"}, SECRET], "count": 3}

    masked = masker.data(data)

    assert masked == {"outer": [{"note": "sent ***"}, "***"], "count": 3}


def test_text_replaces_tokens_by_stable_fingerprint() -> None:
    masker = Masker(tokens=[TOKEN_A, TOKEN_B])

    first, second, other = masker.text(TOKEN_A), masker.text(f"again {TOKEN_A}"), masker.text(TOKEN_B)

    assert TOKEN_A not in first + second and TOKEN_B not in other
    assert first == fingerprint(TOKEN_A)
    assert second == f"again {fingerprint(TOKEN_A)}"
    assert fingerprint(TOKEN_A) != fingerprint(TOKEN_B) and other == fingerprint(TOKEN_B)


def test_fingerprint_is_deterministic_and_prefixed() -> None:
    label = fingerprint("abc")

    assert label == fingerprint("abc")
    assert label.startswith("masked:") and len(label) == len("masked:") + 10
    assert "abc" not in label.removeprefix("masked:")


def test_headers_masks_bearer_value_without_registration() -> None:
    masker = Masker()

    masked = masker.headers({"authorization": "Bearer xyz", "accept": "application/json"})

    assert masked == {"authorization": "Bearer " + fingerprint("xyz"), "accept": "application/json"}


def test_text_masks_bearer_case_insensitively() -> None:
    masker = Masker()

    masked = masker.text("header: bearer abc.DEF-123")

    assert masked == "header: Bearer " + fingerprint("abc.DEF-123")


@pytest.mark.parametrize("key", ["client_secret", "verification_code", "answer", "Client_Secret"])
def test_data_hides_secret_named_keys(key: str) -> None:
    masker = Masker()

    masked = masker.data({key: "Biscuit", "nested": {key: 314159}, "first_name": "Ada"})

    assert masked == {key: "***", "nested": {key: "***"}, "first_name": "Ada"}


def test_data_fingerprints_token_named_keys() -> None:
    masker = Masker()

    masked = masker.data({"access_token": "raw-access", "refresh_token": "raw-refresh"})

    assert masked == {"access_token": fingerprint("raw-access"), "refresh_token": fingerprint("raw-refresh")}


def test_forget_stops_masking_previous_secrets() -> None:
    masker = Masker(hidden=[SECRET], tokens=[TOKEN_A])

    masker.forget()

    assert masker.text(f"{SECRET} {TOKEN_A}") == f"{SECRET} {TOKEN_A}"


def test_masking_twice_changes_nothing_more() -> None:
    masker = Masker(tokens=["tok-123456789"])
    once = masker.text("Bearer tok-123456789 at http://h/#/widget/cid/tok-123456789?lang=en")

    twice = masker.text(once)

    assert twice == once
    assert "tok-123456789" not in once


def test_widget_url_token_is_fingerprinted_even_when_unregistered() -> None:
    masked = Masker().text('data-redirection-url="http://h/#/widget/cid/RAWTOKEN?lang=en&widget_session_id=1"')

    assert "RAWTOKEN" not in masked
    assert fingerprint("RAWTOKEN") in masked


# -- every encoding a secret can travel in ----------------------------------------------------------

PLANTED = "Pl&nted+S3cret/B1<x>"


def _encodings(secret: str) -> dict[str, str]:
    """`secret` as the places that carry it write it, each inside some surrounding text."""
    import base64
    import html
    import json
    import re
    from urllib.parse import quote, quote_plus

    import jinja2
    page = jinja2.Environment(autoescape=True).from_string("<script>c = {{ c | tojson }};</script><p>{{ c.s }}</p>")
    return {
        "jinja tojson (\\u0026)": page.render(c={"s": secret}).split("</script>")[0],
        "html autoescape": page.render(c={"s": secret}).split("</script>")[1],
        "json.dumps": json.dumps({"s": secret}),
        "json, slash escaped": json.dumps({"s": secret}).replace("/", "\\/"),
        "json of an html page": json.dumps(f"<p>{html.escape(secret)}</p>"),
        "html.escape": html.escape(secret),
        "url, form body": "a=1&client_secret=" + quote_plus(secret) + "&b=2",
        "url, path": "/x/" + quote(secret, safe="") + "/y",
        "url, lower-case hex": "q=" + re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
        "basic auth": "Basic " + base64.b64encode(f"client-id:{secret}".encode()).decode(),
        "base64 at offset 1": base64.b64encode(b"x" + secret.encode()).decode(),
        "base64 at offset 2": base64.b64encode(b"xy" + secret.encode() + b"tail").decode(),
        "base64url": base64.urlsafe_b64encode(b"xyz" + secret.encode()).decode(),
    }


@pytest.mark.parametrize("encoding", list(_encodings(PLANTED)))
def test_contains_secret_and_masking_find_every_encoding(encoding: str) -> None:
    text = _encodings(PLANTED)[encoding]

    assert contains_secret(text, PLANTED), text
    masked = Masker(hidden=[PLANTED]).text(text)
    assert not contains_secret(masked, PLANTED), masked


def test_json_lines_masks_an_escaped_secret_inside_a_trace_literal() -> None:
    import json
    line = json.dumps({"type": "frame-snapshot", "html": '<script>c = {"s": "Pl\\u0026nted+S3cret/B1\\u003cx\\u003e"}'})

    masked = Masker(hidden=[PLANTED]).json_lines(line)

    assert not contains_secret(masked, PLANTED) and json.loads(masked)["type"] == "frame-snapshot", masked


def test_ordinary_text_is_no_secret_form() -> None:
    assert not contains_secret("Plenty of text about S3 and B1, x and y", PLANTED)
    assert secret_forms("") == frozenset()


def test_a_pin_inside_a_uuid_is_left_whole_and_masked_where_it_stands_alone() -> None:
    # A widget session id can hold the PIN's digits between letters ("-2222bbbf8641"): masked, it would no longer
    # match the same id seen unmasked elsewhere (the journal against the widget's event), and it tells nothing of
    # the PIN. Standing alone, even beside it, the PIN is masked.
    masker = Masker(hidden=["2222", "824613"])
    session = "6abb4b2a-d608-4c02-b6d2-2222bbbf8641"

    assert masker.text(f"#/widget/m/t?widget_session_id={session}") == f"#/widget/m/t?widget_session_id={session}"
    assert masker.text(f'{{"session": "{session}", "pin": "2222"}}') == f'{{"session": "{session}", "pin": "***"}}'
    assert masker.text("pin=2222&code=824613 id d608-2222-x") == "pin=***&code=*** id d608-2222-x"


def test_a_code_inside_a_dashless_guid_is_left_whole_so_checks_read_the_identifier_as_sent() -> None:
    # An x-reference-id is 32 hex digits without dashes; about 3 in 100,000 hold "2222" between letters. Masked, the
    # journal's copy stopped matching a GUID and AUTH-03 failed a correct store.
    masker = Masker(hidden=["2222"])
    reference = "0f3a9c1e2222b7d4e8f01a2b3c4d5e6f"

    assert masker.text(f'{{"x-reference-id": "{reference}"}}') == f'{{"x-reference-id": "{reference}"}}'
    assert masker.text(f"x-reference-id: {reference}; pin 2222") == f"x-reference-id: {reference}; pin ***"
    assert masker.text("card 4111 2222 3333") == "card 4111 *** 3333"  # short runs are no identifier: masked


@pytest.mark.parametrize("value", ["ORD-2222AB", "2222.50", "12.2222", "APL_2222", "x2222"])
def test_a_code_inside_an_identifier_or_an_amount_is_left_whole(value: str) -> None:
    masker = Masker(hidden=["2222"])

    assert masker.text(f'{{"value": "{value}"}}') == f'{{"value": "{value}"}}'
    assert masker.text(f"PIN 2222. Then {value}") == f"PIN ***. Then {value}"
