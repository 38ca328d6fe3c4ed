// Cedar Lane Home's own Flexiti hosting, no SDK: the redirection_url in an iframe inside a modal <dialog>, and one
// `message` handler that trusts only the widget's origin AND that very iframe. The server decides every outcome.
(function () {
  "use strict";
  const root = document.getElementById("financing");
  const progress = document.getElementById("financing-progress");
  const EVENTS = ["flx-success", "flx-failure", "flx-cancel"];
  let dialog = null;
  let frame = null;
  let reported = false;

  function show(redirectionUrl) {
    if (dialog) dialog.remove();
    reported = false;
    dialog = document.createElement("dialog");
    dialog.className = "financing-dialog";
    dialog.setAttribute("aria-label", "Flexiti financing");
    // Escape would hide the widget with no outcome: the widget's own Cancel is the way out.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    frame = document.createElement("iframe");
    frame.title = "Flexiti financing";
    frame.src = redirectionUrl;
    dialog.append(frame);
    document.body.append(dialog);
    dialog.showModal();
  }

  function fromTheWidget(event) {
    // data-any-origin is the sandbox's no_origin_check defect; a correct page has no such switch.
    if ("anyOrigin" in root.dataset) return true;
    return event.origin === root.dataset.widgetOrigin && frame !== null && event.source === frame.contentWindow;
  }

  window.addEventListener("message", (event) => {
    if (!fromTheWidget(event)) return;
    const message = event.data;
    if (!message || typeof message !== "object" || !EVENTS.includes(message.eventType)) return;
    const data = message.eventData && typeof message.eventData === "object" ? message.eventData : {};
    tellTheServer(message.eventType, data);
  });

  async function tellTheServer(eventType, eventData) {
    // One outcome per opening, whatever else arrives (data-no-guard: the sandbox's no_idempotency defect).
    if (reported && !("noGuard" in root.dataset)) return;
    reported = true;
    progress.textContent = "One moment, confirming with Flexiti…";
    const response = await fetch(root.dataset.eventsUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ eventType, eventData }),
    });
    const outcome = await response.json().catch(() => ({}));
    if (outcome.reopen) { progress.textContent = "Flexiti asked for another try."; show(outcome.reopen); return; }
    if (outcome.next) { location.assign(outcome.next); return; }
    if (dialog) dialog.close();
    progress.textContent = "We could not confirm this with Flexiti: " + (outcome.error || response.status);
  }

  // The sandbox's init_from_browser defect: the page calls widget/init itself with the access token.
  async function initFromTheBrowser(init) {
    const back = (why) => location.assign(`${root.dataset.checkoutUrl}?flexiti_error=${encodeURIComponent(why)}`);
    try {
      const response = await fetch(init.url, {
        method: "POST",
        headers: { "authorization": `Bearer ${init.token}`, "content-type": "application/json",
                   "x-reference-id": crypto.randomUUID().replaceAll("-", "") },
        body: JSON.stringify(init.body),
        signal: AbortSignal.timeout(init.timeout_ms),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) show(data.redirection_url); else back(data.error || response.status);
    } catch (error) {
      back(error.name === "TimeoutError" ? "timeout" : "unreachable");
    }
  }

  if (root.dataset.browserInit) initFromTheBrowser(JSON.parse(root.dataset.browserInit));
  else show(root.dataset.redirectionUrl);
})();
