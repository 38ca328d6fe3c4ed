// The sandbox Flexiti SDK. Flexiti documents only `FlexitiSDK`, an `init(params)` that renders
// `redirection_url`, and handlers given when the instance is created; this shape is the sandbox's choice:
//
//   const flexiti = new FlexitiSDK({ container, widgetOrigin, onSuccess, onFailure, onCancel });
//   flexiti.init({ redirection_url });
//
// Messages are handed to the handlers only when they come from the widget frame itself and from
// `widgetOrigin` (defaults to the origin of redirection_url), and have the documented envelope.
(function () {
  "use strict";
  const HANDLERS = { "flx-success": "onSuccess", "flx-failure": "onFailure", "flx-cancel": "onCancel" };

  function FlexitiSDK(options) {
    if (!options || !options.container) throw new Error("FlexitiSDK needs a container element");
    this.options = options;
    this.frame = null;
    this.widgetOrigin = options.widgetOrigin || null;
    this._listener = this._receive.bind(this);
  }

  FlexitiSDK.prototype.init = function (params) {
    if (!params || !params.redirection_url) throw new Error("FlexitiSDK.init needs params.redirection_url");
    const url = new URL(params.redirection_url);
    if (!this.widgetOrigin) this.widgetOrigin = url.origin;
    this.frame = document.createElement("iframe");
    this.frame.title = "Flexiti widget";
    this.frame.src = url.href;
    this.frame.style.cssText = "width:100%;min-height:360px;border:1px solid #ccc;border-radius:6px";
    this.options.container.replaceChildren(this.frame);
    window.removeEventListener("message", this._listener);
    window.addEventListener("message", this._listener);
    return this;
  };

  FlexitiSDK.prototype.destroy = function () {
    window.removeEventListener("message", this._listener);
    if (this.frame) this.frame.remove();
    this.frame = null;
  };

  FlexitiSDK.prototype._receive = function (event) {
    if (!this.frame || event.source !== this.frame.contentWindow) return;
    if (this.widgetOrigin !== "*" && event.origin !== this.widgetOrigin) return;
    const message = event.data;
    if (!message || typeof message !== "object" || !(message.eventType in HANDLERS)) return;
    const handler = this.options[HANDLERS[message.eventType]];
    if (typeof handler === "function") handler(message.eventData || {}, message);
  };

  window.FlexitiSDK = FlexitiSDK;
})();
