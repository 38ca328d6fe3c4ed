// The sandbox widget: a hash-routed app at /#/widget/{client_id}/{token}?lang=&x-reference-id=&widget_session_id=
// It drives its own API (/widget-api/...) and posts flx-success / flx-failure / flx-cancel to window.parent,
// with target '*', exactly as Flexiti documents; the merchant page must check event.origin.
(function () {
  "use strict";
  const screen = document.getElementById("screen");
  const match = /^#\/widget\/([^/]+)\/([^?]+)\?(.*)$/.exec(location.hash);

  function post(message) { window.parent.postMessage(message, "*"); }

  function fail(status, text) {
    render(`<h1>Something went wrong</h1><p role="alert"></p>`);
    screen.querySelector("[role=alert]").textContent = text;
    post({ eventType: "flx-failure", eventData: { error: status, message: text } });
  }

  if (!match) { fail(400, "The widget address is incomplete."); return; }
  const [, , token, query] = match;
  const params = new URLSearchParams(query);
  const sessionId = params.get("widget_session_id");
  const referenceId = params.get("x-reference-id") || "";

  async function call(method, path, body) {
    const response = await fetch(`/widget-api/sessions/${encodeURIComponent(sessionId)}${path}`, {
      method,
      headers: { "authorization": `Bearer ${token}`, "x-reference-id": referenceId, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, data };
  }

  function render(html) {
    screen.innerHTML = html;
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.dataset.testid = "widget-cancel";
    cancel.addEventListener("click", onCancel);
    if (!screen.querySelector("[data-final]")) screen.appendChild(cancel);
  }

  function showError(text) {
    let alert = screen.querySelector("[role=alert]");
    if (!alert) { alert = document.createElement("p"); alert.setAttribute("role", "alert"); screen.prepend(alert); }
    alert.textContent = text;
  }

  function finish(message) {
    const data = message.eventData || {};
    const verified = message.eventType === "flx-success" && data.verified;
    const title = message.eventType === "flx-cancel" ? "Cancelled"
      : verified ? "You're verified"
      : data.action === "purchase" || data.action === "apply" ? "We could not verify you"
      : "Thank you";
    render(`<h1 data-final>${title}</h1><p>Returning to the store…</p>`);
    post(message);
  }

  // A form's submit runs once at a time: a second click while the first call is on its way does nothing, as
  // with a real widget's disabled button. (Without this, a double-click on Verify raced two /verify calls and
  // whichever answer came back first, "verified" or "session already finished", became the outcome.)
  function onSubmit(form, handler) {
    let busy = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      try { await handler(); } finally { busy = false; }
    });
  }

  async function onCancel() {
    const { status, data } = await call("POST", "/cancel");
    if (status === 200) finish(data.message); else fail(status, data.message || "Could not cancel.");
  }

  function chooseMfa(options, firstName) {
    const radios = options.map((o) =>
      `<label><input type="radio" name="mfa" value="${o.option}"> ${o.label}</label>`).join("");
    render(`<h1>Verify your identity</h1>
      <p>Hi ${firstName}, how should we verify it's you?</p>
      <form><fieldset><legend>Verification method</legend>${radios}</fieldset>
      <button type="submit">Continue</button></form>`);
    onSubmit(screen.querySelector("form"), async () => {
      const picked = screen.querySelector("input[name=mfa]:checked");
      if (!picked) { showError("Choose a verification method."); return; }
      const { status, data } = await call("POST", "/mfa", { option: picked.value });
      if (status === 200) enterCode(data); else fail(status, data.message || "Could not start verification.");
    });
  }

  function enterCode(step) {
    render(`<h1>${step.heading || "Enter your verification code"}</h1><p class="prompt"></p>
      <form><label>${step.input_label} <input type="text" name="answer" autocomplete="one-time-code"></label>
      <button type="submit">Verify</button></form>`);
    screen.querySelector(".prompt").textContent = step.prompt;
    onSubmit(screen.querySelector("form"), async () => {
      const answer = screen.querySelector("input[name=answer]").value;
      const { status, data } = await call("POST", "/verify", { answer });
      if (status === 200 && data.message) finish(data.message);
      else if (status === 200) chooseAccount(data.accounts);
      else if (status === 409 && data.error === "wrong_code") showError(data.message);
      else fail(status, data.message || "Verification failed.");
    });
  }

  function chooseAccount(accounts) {
    const radios = accounts.map((a) =>
      `<label><input type="radio" name="account" value="${a.account_number}"> Account ending in ${a.last4}</label>`).join("");
    render(`<h1>Choose an account</h1>
      <form><fieldset><legend>Your Flexiti accounts</legend>${radios}</fieldset>
      <button type="submit">Continue</button></form>`);
    onSubmit(screen.querySelector("form"), async () => {
      const picked = screen.querySelector("input[name=account]:checked");
      if (!picked) { showError("Choose an account."); return; }
      const { status, data } = await call("POST", "/account", { account_number: Number(picked.value) });
      if (status === 200) finish(data.message); else fail(status, data.message || "Could not choose the account.");
    });
  }

  function inform(title, text, buttonLabel) {
    render(`<h1></h1><p></p><button type="button" class="continue"></button>`);
    screen.querySelector("h1").textContent = title;
    screen.querySelector("p").textContent = text;
    const button = screen.querySelector("button.continue");
    button.textContent = buttonLabel;
    button.addEventListener("click", async () => {
      const { status, data } = await call("POST", "/continue");
      if (status === 200) finish(data.message); else fail(status, data.message || "Could not continue.");
    });
  }

  function enterPin(phoneLast4) {
    enterCode({
      prompt: `We sent a PIN to your phone ending in ${phoneLast4}.`,
      input_label: "PIN",
      heading: "Confirm your phone number",
    });
  }

  const SCREENS = {
    mfa: (data) => chooseMfa(data.mfa_options, data.first_name),
    pin: (data) => enterPin(data.phone_last4 || "----"),
    activation: () => inform("Activate your Flexiti account",
      "Your account must be activated before you can use it.", "Go to activation"),
    derogatory: () => inform("Your account can't be used right now",
      "This Flexiti account cannot be used for purchases.", "Back to the store"),
    not_found: () => inform("We could not find your Flexiti account",
      "You can apply for a Flexiti account instead.", "Apply instead"),
  };

  (async function start() {
    const { status, data } = await call("GET", "");
    if (status !== 200) { fail(status, data.message || "The widget session is not valid."); return; }
    const screenFor = SCREENS[data.stage];
    if (!screenFor) { fail(500, `Unknown widget stage ${data.stage}`); return; }
    screenFor(data);
  })();
})();
