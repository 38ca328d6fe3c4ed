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
        if (data.action === "activation" && !("noPortal" in root.dataset)) {
          window.open(root.dataset.customerPortalUrl, "_blank", "noopener");
        }
        report("flx-success", data);
      },
      onFailure: (data) => report("flx-failure", data),
      onCancel: () => report("flx-cancel", {}),
    });
    flexiti.init({ redirection_url: redirectionUrl });
  }

  async function report(eventType, eventData) {
    // One outcome per widget opening, whatever the widget sends next (data-no-guard: the sandbox's defect).
    if (reported && !("noGuard" in root.dataset)) return;
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

  // The sandbox's deliberate defects (see sandbox/store/defective.py); a correct store has none of this.
  if ("anyOrigin" in root.dataset) {
    window.addEventListener("message", (event) => {
      const message = event.data || {};
      if (["flx-success", "flx-failure", "flx-cancel"].includes(message.eventType)) {
        report(message.eventType, message.eventData || {});
      }
    });
  }
  async function openFromTheBrowser(init) {
    const back = (why) => location.assign(`/checkout?flexiti_error=${encodeURIComponent(why)}`);
    try {
      const response = await fetch(init.url, {
        method: "POST",
        headers: { "authorization": `Bearer ${init.token}`, "content-type": "application/json",
                   "x-reference-id": crypto.randomUUID().replaceAll("-", "") },
        body: JSON.stringify(init.body),
        signal: AbortSignal.timeout(init.timeout_ms),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) open(data.redirection_url); else back(data.error || response.status);
    } catch (error) {
      back(error.name === "TimeoutError" ? "timeout" : "unreachable");
    }
  }

  if (root.dataset.browserInit) openFromTheBrowser(JSON.parse(root.dataset.browserInit));
  else open(root.dataset.redirectionUrl);
})();
