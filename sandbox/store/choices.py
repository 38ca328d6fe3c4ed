"""The documented choices a Flexiti integration makes, and the two correct stores built from them.

Where Flexiti's pages leave the merchant a choice (flexiti-widget-spec.md §10), `REFERENCE` takes one side and
`ALTERNATIVE` the other, at every freedom; both are correct. The store's own look (routes, labels, templates, how it
hosts the widget) differs too, so a check that leans on one store's DOM or wording shows up as a failure on the other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class StoreKind(enum.StrEnum):
    """Which correct store the sandbox runs (the SANDBOX_STORE setting)."""

    REFERENCE = "reference"
    ALTERNATIVE = "alternative"


@dataclass(frozen=True)
class Paths:
    """The store's URLs; `{id}` is an order's or an application's id."""

    catalogue: str
    cart: str
    add_to_cart: str
    checkout: str
    pay: str
    order_events: str
    order: str
    apply_form: str
    application_widget: str
    application_events: str
    application: str

    def of(self, path: str, id_: str) -> str:
        return path.replace("{id}", id_)


@dataclass(frozen=True)
class StoreChoices:
    """One side of every documented choice, and the store's own look."""

    name: str
    # Token: True = a new client_credentials grant for every widget opening; False = a refresh_token grant of the
    # session's token (a first client_credentials grant only when there is none, or it expired).
    new_grant_per_flow: bool
    # widget/init purchase identifiers: True = every one the shopper gave (account, FlexitiCard, personal
    # information); False = the personal information alone. Flexiti asks for at least one.
    all_identifiers: bool
    # /authorization's optional fields.
    send_reference: bool
    send_sku_data: bool
    # x-reference-id: True = one GUID for a whole flow (token grant, widget/init, /authorization or /apply);
    # False = a new GUID per call. Flexiti calls it a unique identifier for the flow.
    reference_id_per_flow: bool
    # action=activation: True = the page opens the customer portal in a new tab; False = the customer is told to
    # activate there, with a link, and does it.
    activation_opens_portal: bool
    # flx-cancel: whether the store says anything besides taking the shopper back with the cart (good practice, not
    # required).
    cancel_notice: bool
    # The widget's language: True = the shopper's browser (en or fr); False = always English (a store that declares
    # no French).
    follows_browser_language: bool
    # Look: templates folder (under sandbox/store/templates/, "" = the folder itself), page script, URLs.
    templates: str
    page_script: str
    uses_sdk: bool
    paths: Paths


REFERENCE = StoreChoices(
    name="reference store",
    new_grant_per_flow=False,
    all_identifiers=False,
    send_reference=True,
    send_sku_data=True,
    reference_id_per_flow=False,
    activation_opens_portal=True,
    cancel_notice=True,
    follows_browser_language=True,
    templates="",
    page_script="/static/widget.js",
    uses_sdk=True,
    paths=Paths(
        catalogue="/", cart="/cart", add_to_cart="/cart/items", checkout="/checkout",
        pay="/orders/{id}/pay", order_events="/orders/{id}/flexiti-events", order="/orders/{id}",
        apply_form="/apply", application_widget="/applications/{id}/widget",
        application_events="/applications/{id}/flexiti-events", application="/applications/{id}",
    ),
)

ALTERNATIVE = StoreChoices(
    name="alternative store",
    new_grant_per_flow=True,
    all_identifiers=True,
    send_reference=False,
    send_sku_data=False,
    reference_id_per_flow=True,
    activation_opens_portal=False,
    cancel_notice=False,
    follows_browser_language=False,
    templates="alternative",
    page_script="/static/alt-financing.js",
    uses_sdk=False,
    paths=Paths(
        catalogue="/", cart="/basket", add_to_cart="/basket/add", checkout="/basket/details",
        pay="/financing/{id}", order_events="/financing/{id}/outcome", order="/receipts/{id}",
        apply_form="/credit", application_widget="/credit/{id}/financing",
        application_events="/credit/{id}/outcome", application="/credit/{id}",
    ),
)

CHOICES = {StoreKind.REFERENCE: REFERENCE, StoreKind.ALTERNATIVE: ALTERNATIVE}
