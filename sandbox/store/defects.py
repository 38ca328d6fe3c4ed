"""Switchable defects of the reference store: each breaks documented rules the way a real integration might,
so the harness's own tests can prove the certification suite catches it. The clean store has none.

`expected` is decided from the rules the defect breaks, not from what the suite happens to report: the
detection table compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    description: str
    expected: frozenset[str]  # the checklist items a correct certification must fail, and only these


def _defect(description: str, *expected: str) -> Defect:
    return Defect(description, frozenset(expected))


DEFECTS = {
    "secret_in_browser": _defect("puts the client id and secret in the page's JavaScript", "AUTH-01"),
    "no_refresh": _defect("asks for a new client_credentials token wherever it should refresh (before the next "
                          "widget)", "AUTH-02", "AUTH-04"),
    "stale_token": _defect("opens the next widget on the session's token without refreshing it first", "AUTH-04"),
    # Flexiti refuses any token but widget/init's on /authorization: the purchase fails (EVT-02), also when the
    # token was near its expiry during the widget (RES-03).
    "refresh_mid_flow": _defect("refreshes the token between widget/init and /authorization",
                                "AUTH-04", "EVT-02", "RES-03"),
    "expired_token_refreshed": _defect("tries to refresh an expired token before the next widget, and gives up: a "
                                       "shopper who left the widget open too long can never pay", "RES-03"),
    "missing_reference_id": _defect("sends no x-reference-id header", "AUTH-03"),
    # Only Flexiti being down (5xx, no answer) is reported; a refusal (409) is taken for "no financing offered".
    # RES-01 covers 5xx and timeouts, which this store still shows.
    "init_refusal_hidden": _defect("returns to checkout without a word when widget/init answers 409",
                                   "INIT-04"),
    "init_from_browser": _defect("calls widget/init from the browser with the access token", "INIT-01"),
    "two_identifiers": _defect("sends a FlexitiCard number as well as the personal information", "INIT-01"),
    "no_origin_check": _defect("acts on any message with a widget event type, from any origin", "EVT-01"),
    "authorize_unverified": _defect("authorizes after flx-success with verified: false", "EVT-03"),
    # A second client_credentials grant where the flow's token (or its refresh) belongs also breaks AUTH-02.
    "new_token_for_authorization": _defect("authorizes with a new client_credentials token instead of the flow's",
                                           "EVT-02", "AUTH-02", "AUTH-04", "RES-03"),
    "tax_left_out": _defect("authorizes the subtotal plus shipping, without the tax", "EVT-02", "TXN-01"),
    "sku_mismatch": _defect("sends sku_data with every line as one item at its unit price", "TXN-01"),
    "cancel_empties_cart": _defect("empties the cart when the shopper cancels in the widget", "EVT-04"),
    "failure_not_shown": _defect("returns to checkout after flx-failure without telling the shopper", "EVT-05"),
    "activation_ignored": _defect("treats action=activation as a plain failure: no customer portal", "EVT-06"),
    "apply_skipped": _defect("shows 'approved' after the widget without calling /apply", "EVT-07"),
    "apply_changed_info": _defect("sends /apply with the last name in capitals", "EVT-07"),
    "retry_not_handled": _defect("treats action=retry as a failure instead of reopening the widget", "EVT-08"),
    "declines_marked_paid": _defect("marks the order paid when Flexiti declines the authorization", "TXN-02"),
    # A generic retry-on-5xx policy applied to a call that is not idempotent: Flexiti may have taken the first one.
    "authorization_retried": _defect("sends /authorization again on its own after a 5xx or no answer", "RES-01"),
    "no_idempotency": _defect("acts on every widget event, so a double-click's extra event overrides a payment",
                              "RES-02"),
    "trust_url_trailing_slash": _defect("registered its Trust URL with a trailing slash", "CFG-01"),
}
