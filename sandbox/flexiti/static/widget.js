// The sandbox widget: a hash-routed app at /#/widget/{client_id}/{token}?lang=&x-reference-id=&widget_session_id=
// It drives its own API (/widget-api/...) and posts flx-success / flx-failure / flx-cancel to window.parent,
// with target '*', exactly as Flexiti documents; the merchant page must check event.origin.
(function () {
  "use strict";
  const screen = document.getElementById("screen");
  const match = /^#\/widget\/([^/]+)\/([^?]+)\?(.*)$/.exec(location.hash);

  function post(message) { window.parent.postMessage(message, "*"); }

  // The widget speaks the language widget/init asked for (lang=en|fr). The wording is the sandbox's own.
  const TEXTS = {
    en: {
      wentWrong: "Something went wrong", incomplete: "The widget address is incomplete.", cancel: "Cancel",
      cancelled: "Cancelled", verified: "You're verified", notVerified: "We could not verify you",
      thanks: "Thank you", returning: "Returning to the store…",
      mfaHeading: "Verify your identity", mfaGreeting: (name) => `Hi ${name}, how should we verify it's you?`,
      mfaLegend: "Verification method", continue: "Continue", chooseMethod: "Choose a verification method.",
      codeHeading: "Enter your verification code", verify: "Verify",
      accountHeading: "Choose an account", accountLegend: "Your Flexiti accounts",
      accountOption: (last4) => `Account ending in ${last4}`, chooseAccount: "Choose an account.",
      pinHeading: "Confirm your phone number", pinLabel: "PIN",
      pinPrompt: (last4) => `We sent a PIN to your phone ending in ${last4}.`,
      activationTitle: "Activate your Flexiti account",
      activationText: "Your account must be activated before you can use it.", activationButton: "Go to activation",
      derogatoryTitle: "Your account can't be used right now",
      derogatoryText: "This Flexiti account cannot be used for purchases.", derogatoryButton: "Back to the store",
      notFoundTitle: "We could not find your Flexiti account",
      notFoundText: "You can apply for a Flexiti account instead.", notFoundButton: "Apply instead",
    },
    fr: {
      wentWrong: "Une erreur s'est produite", incomplete: "L'adresse du widget est incomplète.", cancel: "Annuler",
      cancelled: "Annulé", verified: "Votre identité est vérifiée", notVerified: "Nous n'avons pas pu vous vérifier",
      thanks: "Merci", returning: "Retour au magasin…",
      mfaHeading: "Vérifiez votre identité",
      mfaGreeting: (name) => `Bonjour ${name}, comment voulez-vous confirmer votre identité?`,
      mfaLegend: "Méthode de vérification", continue: "Continuer", chooseMethod: "Choisissez une méthode de vérification.",
      codeHeading: "Entrez votre code de vérification", verify: "Vérifier",
      accountHeading: "Choisissez un compte", accountLegend: "Vos comptes Flexiti",
      accountOption: (last4) => `Compte se terminant par ${last4}`, chooseAccount: "Choisissez un compte.",
      pinHeading: "Confirmez votre numéro de téléphone", pinLabel: "NIP",
      pinPrompt: (last4) => `Nous avons envoyé un NIP au téléphone se terminant par ${last4}.`,
      activationTitle: "Activez votre compte Flexiti",
      activationText: "Votre compte doit être activé avant que vous puissiez l'utiliser.",
      activationButton: "Activer mon compte",
      derogatoryTitle: "Votre compte ne peut pas être utilisé pour le moment",
      derogatoryText: "Ce compte Flexiti ne peut pas servir aux achats.", derogatoryButton: "Retour au magasin",
      notFoundTitle: "Nous n'avons pas trouvé votre compte Flexiti",
      notFoundText: "Vous pouvez plutôt demander un compte Flexiti.", notFoundButton: "Faire une demande",
    },
  };
  const langMatch = /[?&]lang=([a-z]{2})/.exec(location.hash);
  const lang = langMatch && TEXTS[langMatch[1]] ? langMatch[1] : "en";
  const T = TEXTS[lang];
  document.documentElement.lang = lang;

  function fail(status, text) {
    render(`<h1>${T.wentWrong}</h1><p role="alert"></p>`);
    screen.querySelector("[role=alert]").textContent = text;
    post({ eventType: "flx-failure", eventData: { error: status, message: text } });
  }

  if (!match) { fail(400, T.incomplete); return; }
  const [, , issuedToken, query] = match;
  // A harness fault (data-token-refused on the page): a token Flexiti never issued, so every call the widget makes
  // is refused with 401 and the widget reports it, as it does for an expired token.
  const token = document.body.hasAttribute("data-token-refused")
    ? `refused-${crypto.getRandomValues(new Uint32Array(4)).join("")}` : issuedToken;
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
    cancel.textContent = T.cancel;
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
    const title = message.eventType === "flx-cancel" ? T.cancelled
      : verified ? T.verified
      : data.action === "purchase" || data.action === "apply" ? T.notVerified
      : T.thanks;
    render(`<h1 data-final>${title}</h1><p>${T.returning}</p>`);
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
    render(`<h1>${T.mfaHeading}</h1>
      <p>${T.mfaGreeting(firstName)}</p>
      <form><fieldset><legend>${T.mfaLegend}</legend>${radios}</fieldset>
      <button type="submit">${T.continue}</button></form>`);
    onSubmit(screen.querySelector("form"), async () => {
      const picked = screen.querySelector("input[name=mfa]:checked");
      if (!picked) { showError(T.chooseMethod); return; }
      const { status, data } = await call("POST", "/mfa", { option: picked.value });
      if (status === 200) enterCode(data); else fail(status, data.message || "Could not start verification.");
    });
  }

  function enterCode(step) {
    render(`<h1>${step.heading || T.codeHeading}</h1><p class="prompt"></p>
      <form><label>${step.input_label} <input type="text" name="answer" autocomplete="one-time-code"></label>
      <button type="submit">${T.verify}</button></form>`);
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
      `<label><input type="radio" name="account" value="${a.account_number}"> ${T.accountOption(a.last4)}</label>`).join("");
    render(`<h1>${T.accountHeading}</h1>
      <form><fieldset><legend>${T.accountLegend}</legend>${radios}</fieldset>
      <button type="submit">${T.continue}</button></form>`);
    onSubmit(screen.querySelector("form"), async () => {
      const picked = screen.querySelector("input[name=account]:checked");
      if (!picked) { showError(T.chooseAccount); return; }
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
      prompt: T.pinPrompt(phoneLast4),
      input_label: T.pinLabel,
      heading: T.pinHeading,
    });
  }

  const SCREENS = {
    mfa: (data) => chooseMfa(data.mfa_options, data.first_name),
    pin: (data) => enterPin(data.phone_last4 || "----"),
    activation: () => inform(T.activationTitle, T.activationText, T.activationButton),
    derogatory: () => inform(T.derogatoryTitle, T.derogatoryText, T.derogatoryButton),
    not_found: () => inform(T.notFoundTitle, T.notFoundText, T.notFoundButton),
  };

  (async function start() {
    const { status, data } = await call("GET", "");
    if (status !== 200) { fail(status, data.message || "The widget session is not valid."); return; }
    const screenFor = SCREENS[data.stage];
    if (!screenFor) { fail(500, `Unknown widget stage ${data.stage}`); return; }
    screenFor(data);
  })();
})();
