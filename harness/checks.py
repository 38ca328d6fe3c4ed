"""Assertion helpers for the certification suite: each checks one documented rule and explains failures.

Tests call these; page objects never do. pytest rewrites the asserts here (see fixtures/__init__.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from harness.journal import Call, Journal, widget_session_of
from harness.network import RequestLog
from harness.widget_events import WidgetEvent

# Documented: a GUID of at most 32 characters, so the 32 hex digits without the dashes of the 36-character form.
_REFERENCE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
_API_PREFIX = re.compile(r"^/flexiti/pos-api/v[\d.]+/(?:client-id/[^/]+/)?")


def _describe(call: Call) -> str:
    """`#6 POST /authorization -> 200`: the journal's number (the report highlights the call it cites) and the
    endpoint, without the API prefix, version and client id that make every reason hard to read."""
    return f"#{call.seq} {call.method} {_API_PREFIX.sub('/', call.path)} -> {call.status}"


def _calls(calls: list[Call]) -> str:
    return ", ".join(_describe(c) for c in calls) or "none"


def _gap(sent: Decimal, required: Decimal) -> str:
    difference = required - sent
    return (f"{abs(difference)} {'short' if difference > 0 else 'over'}: "
            "look for a tax, shipping or discount line left out")


def tokens_only_server_side(journal: Journal, browser: RequestLog, client_secret: str) -> None:
    """AUTH-01: the merchant server asked for the token; the browser never did, nor saw the secret."""
    token_calls = journal.to("oauth/token")
    assert token_calls, "no /oauth/token call reached Flexiti: the store never authenticated"
    from_browser = [c for c in token_calls if c.from_browser]
    assert not from_browser, f"/oauth/token was called from a browser: {_calls(from_browser)}"
    assert not browser.to("/oauth/token"), (
        "the browser requested /oauth/token; the token must be requested by the merchant server only")
    assert not browser.contains_secret(client_secret), (
        "the client secret reached the browser (in a page, script or request); it must stay on the merchant server")
    # The token of widget/init travels to the browser in redirection_url: online flows use a customer-scope token;
    # a merchant-scope one would let anyone who reads the page capture, release and refund.
    exposed = [(init, scope) for init in journal.to("widget/init")
               if init.status == 200 and (scope := token_scope(journal, init)) != "customer"]
    assert not exposed, (
        f"{', '.join(f'{_describe(init)} went out on a {scope}-scope token' for init, scope in exposed)}: that token "
        "reaches the browser in redirection_url; request online-flow tokens with scope=customer")


def token_scope(journal: Journal, call: Call) -> str:
    """The scope of the token `call` went out on: as Flexiti answered the grant (a refresh keeps its token's scope),
    else as the grant asked; merchant when nothing says (the documented default). "unknown" without a grant."""
    grant = grant_of(journal, call)
    if grant is None:
        return "unknown"
    answered = grant.response.get("scope") if isinstance(grant.response, dict) else None
    asked = grant.body.get("scope") if isinstance(grant.body, dict) else None
    return str(answered or asked or "merchant")


def bearer_and_reference_on_every_call(journal: Journal) -> None:
    """AUTH-03: every POS API call but the token request carries a bearer token; all carry x-reference-id."""
    calls = journal.pos_api_calls()
    assert calls, "no POS API calls were journaled, so no call could be checked for its headers"
    no_bearer = [c for c in calls if not c.path.endswith("oauth/token") and not c.token]
    assert not no_bearer, (f"{_calls(no_bearer)} sent no 'authorization: Bearer' header; every POS API call but "
                           "/oauth/token must carry the access token")
    no_reference = [c for c in calls if not c.reference_id or not _REFERENCE_ID.match(c.reference_id)]
    assert not no_reference, (f"{_calls(no_reference)} sent no x-reference-id GUID of 32 hex digits (no dashes, as "
                              "documented); every POS API call must carry one")


def widget_init_call(journal: Journal, session: str) -> Call:
    """The successful widget/init that opened `session`, whoever made it."""
    inits = [c for c in journal.to("widget/init") if c.status == 200
             and widget_session_of(c.response["redirection_url"]) == session]
    assert inits, f"no successful widget/init opened the widget session {session}: {_calls(journal.to('widget/init'))}"
    return inits[0]


def widget_init_for(journal: Journal, session: str, flow: str = "purchase") -> Call:
    """INIT-01/02: the widget/init that opened `session` was server side, for `flow`; for a purchase, with at least
    one customer identifier (SDK init method: "conditional mandatory", one is enough; Flexiti's example sends all
    three, so one or more pass)."""
    init = widget_init_call(journal, session)
    assert not init.from_browser, f"{_describe(init)} came from the browser; widget/init must be called server side"
    assert init.body.get("flow") == flow, (
        f"{_describe(init)} sent flow={init.body.get('flow')!r}; this journey requires flow={flow!r}")
    if flow == "purchase":
        identifiers = [k for k in ("account_number", "vcc_number", "personal_information")
                       if (init.body.get("customer_identification") or {}).get(k)]
        assert identifiers, (f"{_describe(init)} identified the customer by nothing; a purchase requires at least "
                             "one of account_number, vcc_number, personal_information")
    return init


def same_token(journal: Journal, first: Call, then: Call) -> None:
    """AUTH-04: `then` went out on exactly `first`'s access token (same fingerprint). Flexiti takes the token of
    widget/init as the flow's reference: a refresh of it between widget/init and /authorization or /apply is
    another token, which Flexiti answers with not_verified."""
    assert then.token is not None and then.token == first.token, (
        f"{_describe(then)} used another access token than {_describe(first)}: the token of widget/init must carry "
        "the whole flow (refresh before widget/init, never in between)"
    )


def grant_of(journal: Journal, call: Call) -> Call | None:
    """The successful /oauth/token call that issued the access token `call` went out on."""
    return next((grant for grant in journal.to("oauth/token") if grant.status == 200
                 and isinstance(grant.response, dict) and call.token is not None
                 and str(grant.response.get("access_token")) == call.token), None)


def token_taken_after(journal: Journal, init: Call, aged_at: int) -> None:
    """AUTH-04: `init` went out on a token issued (a new grant or a refresh, either is documented) after journal call
    `aged_at`, when the store's previous token was already inside the documented expiry threshold: Flexiti asks for a
    token that is not about to expire when the widget opens."""
    grant = grant_of(journal, init)
    assert grant is not None and grant.seq > aged_at, (
        f"{_describe(init)} opened the widget on a token issued at "
        f"{_describe(grant) if grant else 'no journaled grant'}, which was within {EXPIRY_THRESHOLD} s of its expiry "
        "by then; take a new token (a refresh or a new client_credentials grant) before opening the widget")


# Flexiti's guidance (How to implement the refresh token): treat the token as expired this many seconds before
# expires_in runs out.
EXPIRY_THRESHOLD = 60


def token_requests_documented(journal: Journal) -> list[str]:
    """AUTH-02: every /oauth/token request form-encoded, with a documented grant (client_credentials, or
    refresh_token with the refresh token of an earlier grant); the first one a client_credentials grant. Whether the
    flow's token comes from a refresh or from a new grant is the merchant's choice. Returns the grants in order."""
    grants = token_grants(journal)
    assert grants, "no /oauth/token call reached Flexiti: the store never authenticated"
    assert grants[0] == "client_credentials", (
        f"the first token request was a {grants[0]!r} grant; a store starts with client_credentials")
    unknown = [grant for grant in grants if grant not in ("client_credentials", "refresh_token")]
    assert not unknown, f"token requests with grant_type {unknown}; the widget flow uses client_credentials or " \
                        "refresh_token"
    return grants


def calls_for_session(journal: Journal, endpoint: str, session: str) -> list[Call]:
    """Every call to `endpoint` (/authorization, /apply) sent for a widget session, in order."""
    return [c for c in journal.to(endpoint) if (c.body or {}).get("widget_session_id") == session]


def authorizations_for(journal: Journal, session: str) -> list[Call]:
    return calls_for_session(journal, "/authorization", session)


def authorization_for(journal: Journal, session: str) -> Call:
    """The /authorization sent for a widget session (the first, if a defective store sent several)."""
    sent = authorizations_for(journal, session)
    assert sent, f"no /authorization for widget session {session}: {_calls(journal.to('/authorization'))}"
    return sent[0]


def authorized_as_reported(journal: Journal, success: WidgetEvent, amount: Decimal,
                           order_id: Callable[[], str | None]) -> Call:
    """EVT-02: one /authorization, server side, approved, for the account the widget reported and the cart total,
    without verification_code. `reference` is optional (Transactions: Required: No); where the store sends one it
    must be the order's id (`order_id` is only read then)."""
    session = success.event_data["widget_session_id"]
    sent = authorizations_for(journal, session)
    assert sent, f"no /authorization for widget session {session}: {_calls(journal.to('/authorization'))}"
    assert len(sent) == 1, f"{len(sent)} /authorization calls for one verified purchase: {_calls(sent)}"
    [authorization] = sent
    body = authorization.body or {}
    assert not authorization.from_browser, (
        f"{_describe(authorization)} came from the browser; /authorization must be called server side")
    assert authorization.status == 200, (
        f"{_describe(authorization)} was refused ({authorization.response}); a verified purchase must be authorized")
    assert body.get("account_number") == success.event_data["accountNumber"], (
        f"{_describe(authorization)} is for account {body.get('account_number')}; the widget reported account "
        f"{success.event_data['accountNumber']}, which is the one to authorize"
    )
    amount_is_cart_total(authorization, amount)
    if body.get("reference") is not None:
        expected = order_id()
        assert body.get("reference") == expected, (
            f"{_describe(authorization)} sent reference {body.get('reference')!r}; where sent it must be the order id "
            f"{expected!r}")
    assert "verification_code" not in body, (
        f"{_describe(authorization)} sent a verification_code; an online purchase must not (the widget verified)")
    return authorization


def amount_is_cart_total(authorization: Call, total: Decimal) -> None:
    """EVT-02, TXN-01: /authorization's amount is the cart total as the shopper saw it, taxes and shipping included."""
    body = authorization.body if isinstance(authorization.body, dict) else {}
    try:
        sent = Decimal(str(body.get("amount")))
    except ArithmeticError:
        raise AssertionError(f"{_describe(authorization)} sent amount {body.get('amount')!r}, not a number") from None
    assert sent == total, (
        f"{_describe(authorization)} asked for amount {body.get('amount')}, the cart total is {total} "
        f"({_gap(sent, total)}); the amount must be the cart total, taxes and shipping included")


def authorization_fields_complete(authorization: Call) -> None:
    """TXN-01: the documented required /authorization fields, with their types: account_number and amount JSON
    numbers, auto_capture a boolean, financing_option.transaction_type (plan_id and term for a promotional plan)."""
    body = authorization.body if isinstance(authorization.body, dict) else {}
    problems = []
    number, amount = body.get("account_number"), body.get("amount")
    if not isinstance(number, int) or isinstance(number, bool):
        problems.append(f"account_number {number!r} is not a number")
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        problems.append(f"amount {amount!r} is not a number")
    if not isinstance(body.get("auto_capture"), bool):
        problems.append(f"auto_capture {body.get('auto_capture')!r} is not true or false")
    option = body.get("financing_option")
    kind = option.get("transaction_type") if isinstance(option, dict) else None
    if kind not in ("regular_purchase", "promotional_purchase"):
        problems.append(f"financing_option.transaction_type is {kind!r}")
    elif isinstance(option, dict) and kind == "promotional_purchase" and not (option.get("plan_id")
                                                                              and option.get("term")):
        problems.append("a promotional purchase without financing_option.plan_id and term")
    assert not problems, f"{_describe(authorization)} lacks documented required fields: {'; '.join(problems)}"


def no_authorization(journal: Journal) -> None:
    """EVT-03/04/05, INIT-04: nothing was authorized."""
    authorizations = journal.to("/authorization")
    assert not authorizations, f"{_calls(authorizations)} sent; on this outcome the store must not authorize"


def retried_only_idempotently(journal: Journal) -> list[Call]:
    """RES-01: a store may send /authorization again after a 5xx or no answer only with the first one's
    x-idempotency-key (Transactions: the optional header that makes a repeat safe); otherwise one call. Returns the
    approved ones."""
    sent = journal.to("/authorization")
    if len(sent) > 1:
        keys = [c.headers.get("x-idempotency-key") for c in sent]
        assert keys[0] and len(set(keys)) == 1, (
            f"{_calls(sent)}: the store sent /authorization {len(sent)} times with x-idempotency-key {keys}; Flexiti "
            "may have taken the first, so repeat it only with the same x-idempotency-key, or not at all")
    approved = [c for c in sent if c.status == 200]
    assert len(approved) <= 1, f"{_calls(approved)} were all approved: the purchase was charged more than once"
    return approved


def nothing_charged(journal: Journal) -> None:
    """RES-01: no /authorization succeeded."""
    approved = [c for c in journal.to("/authorization") if c.status == 200]
    assert not approved, f"{_calls(approved)} went through; after this failure nothing may be charged"


def token_grants(journal: Journal) -> list[str]:
    """The grant_type of each token request, in order; each must be form-encoded (AUTH-02)."""
    calls = journal.to("oauth/token")
    not_form = [c for c in calls
                if not c.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")]
    assert not not_form, (f"{_calls(not_form)} not sent as application/x-www-form-urlencoded, as /oauth/token "
                          "requires")
    return [str((c.body or {}).get("grant_type", "client_credentials")) for c in calls]


def application_initialized(journal: Journal, session: str) -> Call:
    """INIT-02: the application's widget/init sent personal info, contact, address and tos_agreement=true;
    account_type, where sent, is consumer or business (consumer is the default)."""
    init = widget_init_for(journal, session, flow="apply")
    personal = (init.body.get("customer_identification") or {}).get("personal_information") or {}
    missing = [f"personal_information.{name}" for name in ("first_name", "last_name", "dob", "postal_code")
               if not personal.get(name)]
    missing += [name for name in ("email", "phone_number", "address_1", "city", "province")
                if not init.body.get(name)]
    assert not missing, f"{_describe(init)} for an application lacks {missing}, which flow=apply requires"
    assert init.body.get("tos_agreement") is True, (
        f"{_describe(init)} sent tos_agreement={init.body.get('tos_agreement')!r}; an application requires true")
    assert init.body.get("account_type", "consumer") in ("consumer", "business"), (
        f"{_describe(init)} sent account_type={init.body.get('account_type')!r}; it is consumer (the default) or "
        "business")
    return init


# What /apply may repeat from widget/init besides the personal information; where sent, it must be what widget/init
# sent (the /apply schema is not published: only repeating the personal information is documented).
REPEATED_ON_APPLY = ("email", "phone_number", "address_1", "address_2", "city", "province", "tos_agreement",
                     "account_type")


def applied_as_initialized(journal: Journal, init: Call, success: WidgetEvent) -> Call:
    """EVT-07: one /apply, server side, for the reported session, repeating widget/init's personal information;
    contact, address, tos_agreement and account_type, where /apply sends them, as widget/init sent them."""
    session = success.event_data["widget_session_id"]
    applies = calls_for_session(journal, "/apply", session)
    assert applies, f"the store never called /apply for the widget session {session}: {_calls(journal.to('/apply'))}"
    assert len(applies) == 1, f"{len(applies)} /apply calls for one application: {_calls(applies)}"
    [apply] = applies
    assert not apply.from_browser, f"{_describe(apply)} came from the browser; /apply must be called server side"

    def personal(call: Call) -> object:
        return (call.body.get("customer_identification") or {}).get("personal_information")

    assert personal(apply) == personal(init), (
        f"{_describe(apply)} changed the personal information {_describe(init)} sent; /apply must repeat it")
    changed = [name for name in REPEATED_ON_APPLY
               if name in apply.body and apply.body.get(name) != init.body.get(name)]
    assert not changed, f"{_describe(apply)} sent other {changed} than {_describe(init)}; /apply must repeat them"
    assert apply.status == 200, f"{_describe(apply)} was refused ({apply.response}); the application must go through"
    return apply
