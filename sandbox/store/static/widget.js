// Renders the Flexiti widget and forwards its events to the store's server, which decides what happens.
// The SDK only hands over messages that come from the widget frame and the configured widget origin.
(function () {
  "use strict";
  const root = document.getElementById("flexiti-widget");
  const status = root.querySelector("[data-testid=widget-status]");
  let reported = false;
  let flexiti = null;

  function open(redirectionUrl) {
    if (flexiti) flexiti.destroy();
    reported = false;
    flexiti = new FlexitiSDK({
      container: root.querySelector(".widget"),
      widgetOrigin: root.dataset.widgetOrigin,
      onSuccess: (data) => {
        // Opened at once, while the shopper's click in the widget still counts as a user gesture.
        if (data.action === "activation") window.open(root.dataset.customerPortalUrl, "_blank", "noopener");
        report("flx-success", data);
      },
      onFailure: (data) => report("flx-failure", data),
      onCancel: () => report("flx-cancel", {}),
    });
    flexiti.init({ redirection_url: redirectionUrl });
  }

  async function report(eventType, eventData) {
    if (reported) return;  // one outcome per widget opening, whatever the widget sends next
    reported = true;
    status.hidden = false;
    status.textContent = "Processing your Flexiti result…";
    const response = await fetch(root.dataset.eventsUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ eventType, eventData }),
    });
    const outcome = await response.json().catch(() => ({}));
    if (outcome.reopen) { status.textContent = "Flexiti asked us to try again…"; open(outcome.reopen); return; }
    if (outcome.next) { location.assign(outcome.next); return; }
    status.textContent = "Something went wrong with this payment: " + (outcome.error || response.status);
  }

  open(root.dataset.redirectionUrl);
})();
