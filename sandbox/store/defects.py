"""Switchable defects of the reference store: each breaks documented rules the way a real integration might,
so the harness's own tests can prove the certification suite catches it. The clean store has none; the code of
each defect lives in sandbox/store/defective.py, apart from the correct integration (sandbox/store/app.py).

`expected` is decided from the rules the defect breaks, not from what the suite happens to report: the
detection table compares the two.

Every defect applies to the alternative store too (SANDBOX_STORE=alternative) except NOT_ON_ALTERNATIVE, whose
reasons sandbox/store/defective.py gives.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class UnknownDefectError(ValueError):
    """A defect name that is not a member of `StoreDefect`."""


class StoreDefect(enum.StrEnum):
    """One deliberate defect of the reference store; its value is the name used on command lines and in reports."""

    description: str
    expected: frozenset[str]  # the checklist items a correct certification must fail, and only these

    def __new__(cls, name: str, description: str, *expected: str) -> StoreDefect:
        member = str.__new__(cls, name)
        member._value_ = name
        member.description = description
        member.expected = frozenset(expected)
        return member

    SECRET_IN_BROWSER = "secret_in_browser", "puts the client id and secret in the page's JavaScript", "AUTH-01"
    # A new client_credentials grant instead of a refresh is a documented choice (the alternative store makes it), so
    # it is no defect; a merchant-scope token for the widget is one: it reaches the browser in redirection_url.
    MERCHANT_SCOPE_TOKEN = ("merchant_scope_token", "opens the widget on a merchant-scope token (no scope=customer)",
                            "AUTH-01")
    # Once Flexiti has expired that token it refuses the widget/init, and the store never takes a new one (RES-03).
    STALE_TOKEN = ("stale_token", "opens the next widget on the session's token without refreshing it first",
                   "AUTH-04", "RES-03")
    # Flexiti refuses any token but widget/init's on /authorization: the purchase fails (EVT-02), also when the
    # token was near its expiry during the widget (RES-03).
    REFRESH_MID_FLOW = ("refresh_mid_flow", "refreshes the token between widget/init and /authorization",
                        "AUTH-04", "EVT-02", "RES-03")
    EXPIRED_TOKEN_REFRESHED = ("expired_token_refreshed", "tries to refresh an expired token before the next widget, "
                               "and gives up: a shopper who left the widget open too long can never pay", "RES-03")
    MISSING_REFERENCE_ID = "missing_reference_id", "sends no x-reference-id header", "AUTH-03"
    # Only Flexiti being down (5xx, no answer) is reported; a refusal (409) is taken for "no financing offered".
    # RES-01 covers 5xx and timeouts, which this store still shows.
    INIT_REFUSAL_HIDDEN = ("init_refusal_hidden", "returns to checkout without a word when widget/init answers 409",
                           "INIT-04")
    INIT_FROM_BROWSER = "init_from_browser", "calls widget/init from the browser with the access token", "INIT-01"
    NO_ORIGIN_CHECK = "no_origin_check", "acts on any message with a widget event type, from any origin", "EVT-01"
    AUTHORIZE_UNVERIFIED = "authorize_unverified", "authorizes after flx-success with verified: false", "EVT-03"
    # A new grant is documented; authorizing on another token than widget/init's is not (Flexiti: not_verified).
    NEW_TOKEN_FOR_AUTHORIZATION = ("new_token_for_authorization", "authorizes with a new client_credentials token "
                                   "instead of the flow's", "EVT-02", "AUTH-04", "RES-03")
    TAX_LEFT_OUT = "tax_left_out", "authorizes the subtotal plus shipping, without the tax", "EVT-02", "TXN-01"
    SKU_MISMATCH = "sku_mismatch", "sends sku_data with every line as one item at its unit price", "TXN-01"
    CANCEL_EMPTIES_CART = "cancel_empties_cart", "empties the cart when the shopper cancels in the widget", "EVT-04"
    FAILURE_NOT_SHOWN = ("failure_not_shown", "returns to checkout after flx-failure without telling the shopper",
                         "EVT-05")
    ACTIVATION_IGNORED = ("activation_ignored", "treats action=activation as a plain failure: no customer portal",
                          "EVT-06")
    APPLY_SKIPPED = "apply_skipped", "shows 'approved' after the widget without calling /apply", "EVT-07"
    APPLY_CHANGED_INFO = "apply_changed_info", "sends /apply with the last name in capitals", "EVT-07"
    RETRY_NOT_HANDLED = ("retry_not_handled", "treats action=retry as a failure instead of reopening the widget",
                         "EVT-08")
    DECLINES_MARKED_PAID = ("declines_marked_paid", "marks the order paid when Flexiti declines the authorization",
                            "TXN-02")
    # A generic retry-on-5xx policy applied to a call that is not idempotent: Flexiti may have taken the first one.
    AUTHORIZATION_RETRIED = ("authorization_retried", "sends /authorization again on its own after a 5xx or no answer",
                             "RES-01")
    NO_IDEMPOTENCY = ("no_idempotency", "acts on every widget event, so a double-click's extra event overrides a "
                      "payment", "RES-02")
    TRUST_URL_TRAILING_SLASH = "trust_url_trailing_slash", "registered its Trust URL with a trailing slash", "CFG-01"

    @property
    def on_alternative(self) -> bool:
        """Whether switching this defect on breaks the alternative store (sandbox/store/choices.py) too."""
        return self.value not in NOT_ON_ALTERNATIVE

    @classmethod
    def known(cls) -> str:
        """Every defect's name, sorted, for error messages."""
        return ", ".join(sorted(cls))

    @classmethod
    def named(cls, name: str) -> StoreDefect:
        """The defect called `name`, as `StoreDefect(name)` would give, in a form type checkers read right (they
        take the call for the member definitions' `__new__`)."""
        [defect] = cls.parse([name], "the defect name")
        return defect

    @classmethod
    def parse(cls, names: Iterable[str], source: str) -> frozenset[StoreDefect]:
        """The defects named in `names`; any unknown name is an error naming `source` (the setting or option)."""
        names = list(names)
        unknown = [name for name in names if name not in cls._value2member_map_]
        if unknown:
            raise UnknownDefectError(f"{source} names unknown defects {unknown}; known: {cls.known()}")
        return frozenset(defect for defect in cls if defect in names)


# Defects that make no difference to the alternative store: it sends no sku_data, so there is none to get wrong.
NOT_ON_ALTERNATIVE = frozenset({"sku_mismatch"})
