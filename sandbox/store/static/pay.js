// Renders the Flexiti widget and forwards its events to the store's server, which decides.
// The SDK only hands over messages from the widget frame and the configured widget origin.
(function () {
  "use strict";
  const root = document.getElementById("flexiti-payment");
  const status = root.querySelector("[data-testid=payment-status]");
  let reported = false;

  async function report(eventType, eventData) {
    if (reported) return;  // one outcome per order page, whatever the widget sends next
    reported = true;
    status.hidden = false;
    status.textContent = "Processing your Flexiti payment…";
    const response = await fetch(root.dataset.eventsUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ eventType, eventData }),
    });
    const outcome = await response.json().catch(() => ({}));
    if (outcome.next) location.assign(outcome.next);
    else status.textContent = "Something went wrong with this payment: " + (outcome.error || response.status);
  }

  const flexiti = new FlexitiSDK({
    container: root.querySelector(".widget"),
    widgetOrigin: root.dataset.widgetOrigin,
    onSuccess: (data) => report("flx-success", data),
    onFailure: (data) => report("flx-failure", data),
    onCancel: () => report("flx-cancel", {}),
  });
  flexiti.init({ redirection_url: root.dataset.redirectionUrl });
})();
