"""Environments and settings: read once from the process environment and `.env` / `.env.<env>`, validated,
and printed only with secrets masked."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_CUSTOMERS = ROOT / "sandbox" / "flexiti" / "customers.json"
CUSTOMER_PORTAL = "https://my.flexiti.com/index"


class Environment(StrEnum):
    SANDBOX = "sandbox"
    TRAINING = "training"
    MI = "mi"
    PRODUCTION = "production"


@dataclass(frozen=True)
class Profile:
    """What Flexiti documents for an environment; every value can be overridden in `.env.<env>`."""

    api_base: str | None
    widget_origin: str | None


PROFILES = {
    Environment.SANDBOX: Profile(None, None),  # known once the embedded sandbox starts
    Environment.TRAINING: Profile("https://posapi-training.flexiti.fi/flexiti/pos-api", "https://posapi-training.flexiti.fi"),
    Environment.MI: Profile("https://posapi-mi.flexiti.fi/flexiti/pos-api", "https://posapi-mi.flexiti.fi"),
    Environment.PRODUCTION: Profile("https://posapi.flexiti.fi/flexiti/pos-api", "https://posapi.flexiti.fi"),
}

# Flexiti's hosts that are not production. Any other host of Flexiti's domains counts as production: a host the
# harness does not know is treated as the one where credit and money are real.
NON_PRODUCTION_HOSTS = frozenset({"posapi-training.flexiti.fi", "posapi-mi.flexiti.fi"})
FLEXITI_DOMAINS = ("flexiti.fi", "flexiti.com")


def is_production_host(url: str | None) -> bool:
    """Whether `url` points at Flexiti production (posapi.flexiti.fi, or a Flexiti host not known as a test one),
    however it is spelled: case, a trailing dot, a port, user info."""
    if not url:
        return False
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if host in NON_PRODUCTION_HOSTS:
        return False
    return any(host == domain or host.endswith("." + domain) for domain in FLEXITI_DOMAINS)


# name -> what it is; the README and .env.example list the same names.
SETTINGS = {
    "STORE_URL": "the merchant storefront under test (https outside the sandbox)",
    "FLEXITI_API_BASE": "POS API base, e.g. https://posapi-training.flexiti.fi/flexiti/pos-api",
    "FLEXITI_WIDGET_ORIGIN": "origin the widget iframe and its messages come from",
    "FLEXITI_CLIENT_ID": "the merchant's Flexiti client id for this environment",
    "FLEXITI_CLIENT_SECRET": "the merchant's Flexiti client secret (secret: always masked)",
    "FLEXITI_TRUST_URL": "the Trust URL set in the Developer Portal (no trailing slash)",
    "FLEXITI_TEST_CUSTOMERS": "path of the test-customers JSON file for this environment",
    "FLEXITI_CUSTOMER_PORTAL": "where customers activate accounts (default https://my.flexiti.com/index)",
    "FLEXITI_JOURNAL_URL": "the recording proxy's journal URL (python -m harness.proxy prints it); without it, "
                           "server-side items are 'not observable' outside the sandbox",
    "FLEXITI_PROXY_TOKEN": "the recording proxy's control token (it prints one per run, or reads this setting); "
                           "the harness reads the journal and injects faults with it (secret: always masked)",
    "STOREFRONT_PROFILE": "TOML selector profile of the storefront's shopper actions (default: the reference "
                          "store's page objects); see storefronts/reference-store.toml",
    "STOREFRONT_CLASS": "package.module:Class of your own Storefront adapter (pages/storefront.py); it takes "
                        "precedence over STOREFRONT_PROFILE",
    "FLEXITI_WIDGET_LOCATORS": "TOML file overriding the widget locators in pages/widget/locators.py",
    "FLEXITI_MFA": "how verification passes MFA: auto (codes and answers from the test-customers file) or "
                   "manual (a human types the one-time PIN in a headed run); --mfa overrides it",
    "MANUAL_MFA_TIMEOUT": "seconds a manual-MFA step waits for the human (default 180)",
    "FLEXITI_MFA_CHANNEL": "manual MFA only: where Flexiti sends the one-time PIN, sms or email (default sms; "
                           "the phone or email set for the test customer in the Developer Portal)",
    "PLAYWRIGHT_WS_ENDPOINT": "ws:// endpoint of a Playwright server: the browser runs there instead of here",
    "E2E_CHROMIUM": "path of a Chromium to use instead of Playwright's own or the system's",
    "SANDBOX_STORE": "sandbox only: which correct store the sandbox runs, reference (default) or alternative (the "
                     "other documented choice at every freedom; its profile is storefronts/alternative-store.toml)",
    "SANDBOX_STORE_DEFECTS": "sandbox only: comma-separated defects to switch on in the reference store",
    "SANDBOX_TOKEN_SEED": "sandbox only: derive tokens from this seed, so a test can look for them in reports",
}
REQUIRED_OUTSIDE_SANDBOX = ("STORE_URL", "FLEXITI_CLIENT_ID", "FLEXITI_CLIENT_SECRET", "FLEXITI_TEST_CUSTOMERS")
SECRET_NAMES = {"FLEXITI_CLIENT_SECRET", "FLEXITI_PROXY_TOKEN"}
MFA_MODES = ("auto", "manual")
MFA_CHANNELS = ("sms", "email")
SANDBOX_STORES = ("reference", "alternative")  # sandbox/store/choices.py StoreKind, not imported: no sandbox here


class SettingsError(Exception):
    """One or more settings are missing or malformed; the message names each one and where it belongs."""


class Secret(str):
    """A string that never prints itself: repr() and str() in f-strings show a mask."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def reveal(self) -> str:
        return str.__str__(self)


def mask(value: str | None) -> str:
    """A set secret prints as `***` whatever its length: even its last characters narrow a guess."""
    if not value:
        return "(not set)"
    return "***"


@dataclass(frozen=True)
class Settings:
    """Every setting, validated. repr() leaves out what may carry a secret: the client secret is a `Secret`, and
    the ws endpoint (a grid's user:password@ or ?token=) and the token seed are not shown at all."""

    env: Environment
    store_url: str | None
    api_base: str | None
    widget_origin: str | None
    client_id: str | None
    client_secret: Secret | None
    trust_url: str | None
    customer_portal: str
    customers_file: Path
    chromium: str | None
    store_defects: tuple[str, ...] = ()
    sandbox_store: str = "reference"
    token_seed: str | None = field(default=None, repr=False)
    journal_url: str | None = None
    proxy_token: Secret | None = field(default=None, repr=False)
    storefront_profile: Path | None = None
    storefront_class: str | None = None
    widget_locators: Path | None = None
    mfa: str = "auto"
    manual_mfa_timeout: float = 180.0
    mfa_channel: str = "sms"
    ws_endpoint: str | None = field(default=None, repr=False)
    sources: Mapping[str, str] = field(default_factory=dict)  # setting name -> where its value came from

    @property
    def is_sandbox(self) -> bool:
        return self.env is Environment.SANDBOX

    @property
    def production_reasons(self) -> list[str]:
        """Why this run counts as production: the --env label, or a production host in the API base or widget
        origin, whatever the label says (a shared .env can hold production values). The embedded sandbox sends
        nothing to the configured hosts, so there only the label counts."""
        reasons = ["--env production"] if self.env is Environment.PRODUCTION else []
        if not self.is_sandbox:
            for name, value in (("FLEXITI_API_BASE", self.api_base), ("FLEXITI_WIDGET_ORIGIN", self.widget_origin)):
                if is_production_host(value):
                    reasons.append(f"{name} = {value} is a Flexiti production host "
                                   f"(from {self.sources.get(name, 'the --env profile')})")
        return reasons

    @property
    def is_production(self) -> bool:
        return bool(self.production_reasons)

    def secrets(self) -> list[str]:
        return [secret.reveal() for secret in (self.client_secret, self.proxy_token) if secret]

    def describe(self) -> list[str]:
        """One line per setting, secrets masked, with where each value came from."""
        values = {
            "STORE_URL": self.store_url or ("(embedded reference store)" if self.is_sandbox else None),
            "FLEXITI_API_BASE": self.api_base or ("(embedded simulator)" if self.is_sandbox else None),
            "FLEXITI_WIDGET_ORIGIN": self.widget_origin or ("(embedded simulator)" if self.is_sandbox else None),
            "FLEXITI_CLIENT_ID": self.client_id or ("(sandbox default)" if self.is_sandbox else None),
            "FLEXITI_CLIENT_SECRET": mask(self.client_secret.reveal()) if self.client_secret
            else ("(generated per run)" if self.is_sandbox else None),
            "FLEXITI_TRUST_URL": self.trust_url,
            "FLEXITI_TEST_CUSTOMERS": str(self.customers_file),
            "FLEXITI_CUSTOMER_PORTAL": "(embedded simulator)" if self.is_sandbox else self.customer_portal,
            "FLEXITI_JOURNAL_URL": self.journal_url or ("(embedded simulator)" if self.is_sandbox else None),
            "FLEXITI_PROXY_TOKEN": mask(self.proxy_token.reveal()) if self.proxy_token else None,
            "STOREFRONT_PROFILE": str(self.storefront_profile) if self.storefront_profile
            else "(reference store page objects)",
            "STOREFRONT_CLASS": self.storefront_class,
            "FLEXITI_WIDGET_LOCATORS": str(self.widget_locators) if self.widget_locators else "(built in)",
            "FLEXITI_MFA": self.mfa,
            "FLEXITI_MFA_CHANNEL": self.mfa_channel,
            "PLAYWRIGHT_WS_ENDPOINT": printable_endpoint(self.ws_endpoint) if self.ws_endpoint else None,
            "E2E_CHROMIUM": self.chromium,
        }
        if self.is_sandbox:
            values["SANDBOX_STORE"] = self.sandbox_store
            values["SANDBOX_STORE_DEFECTS"] = ",".join(self.store_defects) or None
            values["SANDBOX_TOKEN_SEED"] = "***" if self.token_seed else None
        lines = [f"environment: {self.env.value}"]
        for name, value in values.items():
            source = self.sources.get(name)
            lines.append(f"  {name} = {value or '(not set)'}" + (f"  [{source}]" if source else ""))
        return lines


def env_files(root: Path, env: Environment) -> list[Path]:
    """Files read for `env`, lowest precedence first; the process environment wins over both."""
    return [root / ".env", root / f".env.{env.value}"]


def load_settings(env: str | Environment, root: Path = ROOT, environ: Mapping[str, str] | None = None,
                  required: Iterable[str] = REQUIRED_OUTSIDE_SANDBOX) -> Settings:
    """The settings for `env`; outside the sandbox each name in `required` must be set (the recording proxy, which
    needs no storefront, asks for less than a certification run)."""
    try:
        environment = Environment(env)
    except ValueError:
        choices = ", ".join(e.value for e in Environment)
        raise SettingsError(f"--env {env!r} is not an environment; choose one of: {choices}") from None
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for path in env_files(root, environment):
        if path.is_file():
            # No interpolation: ${VAR} would read the real process environment, not `environ`.
            for name, value in dotenv_values(path, interpolate=False).items():
                if value is not None and value != "":
                    values[name], sources[name] = value, path.name
    for name in SETTINGS:
        if environ.get(name):
            values[name], sources[name] = environ[name], "environment"

    env_file = f".env.{environment.value}"
    problems: list[str] = []
    profile = PROFILES[environment]
    if environment is not Environment.SANDBOX:
        for name in required:
            if not values.get(name):
                problems.append(f"{name} is missing: set it in {env_file} or the environment ({SETTINGS[name]})")

    def url(name: str, default: str | None) -> str | None:
        value = values.get(name, default)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{name} = {value!r} is not an http(s) URL (from {sources.get(name, 'defaults')})")
        elif (environment is not Environment.SANDBOX and parts.scheme != "https" and name != "FLEXITI_TRUST_URL"
              and not is_loopback(parts.hostname)):
            problems.append(f"{name} = {value!r} must use https outside the sandbox (from {sources.get(name)})")
        return value.rstrip("/") if name != "FLEXITI_TRUST_URL" else value

    store_url = url("STORE_URL", None)
    api_base = url("FLEXITI_API_BASE", profile.api_base)
    widget_origin = url("FLEXITI_WIDGET_ORIGIN", profile.widget_origin)
    trust_url = url("FLEXITI_TRUST_URL", store_url if environment is not Environment.SANDBOX else None)
    customer_portal = url("FLEXITI_CUSTOMER_PORTAL", CUSTOMER_PORTAL) or CUSTOMER_PORTAL

    customers = values.get("FLEXITI_TEST_CUSTOMERS")
    customers_file = Path(customers) if customers else SANDBOX_CUSTOMERS
    if not customers_file.is_absolute():
        customers_file = root / customers_file
    if customers and not customers_file.is_file():
        problems.append(f"FLEXITI_TEST_CUSTOMERS = {customers!r}: no such file "
                        f"(from {sources.get('FLEXITI_TEST_CUSTOMERS')})")

    journal_url = url("FLEXITI_JOURNAL_URL", None)

    def file(name: str) -> Path | None:
        value = values.get(name)
        if not value:
            return None
        path = Path(value) if Path(value).is_absolute() else root / value
        if not path.is_file():
            problems.append(f"{name} = {value!r}: no such file (from {sources.get(name)})")
        return path

    storefront_profile = file("STOREFRONT_PROFILE")
    storefront_class = values.get("STOREFRONT_CLASS", "").strip() or None
    if storefront_class and (":" not in storefront_class or storefront_class.startswith(":")):
        problems.append(f"STOREFRONT_CLASS = {storefront_class!r} is not package.module:ClassName "
                        f"(from {sources.get('STOREFRONT_CLASS')})")
    widget_locators = file("FLEXITI_WIDGET_LOCATORS")
    mfa = values.get("FLEXITI_MFA", "auto")
    if mfa not in MFA_MODES:
        problems.append(f"FLEXITI_MFA = {mfa!r} is not one of {', '.join(MFA_MODES)} "
                        f"(from {sources.get('FLEXITI_MFA')})")
    try:
        manual_mfa_timeout = float(values.get("MANUAL_MFA_TIMEOUT", "180"))
        if manual_mfa_timeout <= 0:
            raise ValueError
    except ValueError:
        manual_mfa_timeout = 180.0
        problems.append(f"MANUAL_MFA_TIMEOUT = {values['MANUAL_MFA_TIMEOUT']!r} is not a positive number of seconds "
                        f"(from {sources.get('MANUAL_MFA_TIMEOUT')})")
    mfa_channel = values.get("FLEXITI_MFA_CHANNEL", "sms")
    if mfa_channel not in MFA_CHANNELS:
        problems.append(f"FLEXITI_MFA_CHANNEL = {mfa_channel!r} is not one of {', '.join(MFA_CHANNELS)} "
                        f"(from {sources.get('FLEXITI_MFA_CHANNEL')})")
    ws_endpoint = values.get("PLAYWRIGHT_WS_ENDPOINT", "").strip() or None  # CI exports unset variables as ""
    if ws_endpoint and (urlsplit(ws_endpoint).scheme not in ("ws", "wss") or not urlsplit(ws_endpoint).hostname):
        problems.append(f"PLAYWRIGHT_WS_ENDPOINT = {printable_endpoint(ws_endpoint)!r} is not a ws:// or wss:// URL of "
                        "a Playwright server (e.g. ws://127.0.0.1:3000/ from `playwright run-server --port 3000`); "
                        f"unset it to launch a local browser (from {sources.get('PLAYWRIGHT_WS_ENDPOINT')})")

    chromium = values.get("E2E_CHROMIUM")
    if chromium and not Path(chromium).is_file():
        problems.append(f"E2E_CHROMIUM = {chromium!r}: no such file (from {sources.get('E2E_CHROMIUM')})")

    defects = tuple(name.strip() for name in values.get("SANDBOX_STORE_DEFECTS", "").split(",") if name.strip())
    if defects and environment is not Environment.SANDBOX:
        problems.append("SANDBOX_STORE_DEFECTS only applies to --env sandbox")
    sandbox_store = values.get("SANDBOX_STORE", "").strip() or "reference"
    if sandbox_store not in SANDBOX_STORES:
        problems.append(f"SANDBOX_STORE = {sandbox_store!r} is not one of {', '.join(SANDBOX_STORES)} "
                        f"(from {sources.get('SANDBOX_STORE')})")
    elif sandbox_store != "reference" and environment is not Environment.SANDBOX:
        problems.append("SANDBOX_STORE only applies to --env sandbox")

    if problems:
        header = f"settings for --env {environment.value} are incomplete or malformed " \
                 f"(read from {', '.join(p.name for p in env_files(root, environment))} and the environment):"
        raise SettingsError("\n  - ".join([header, *problems]))
    secret = values.get("FLEXITI_CLIENT_SECRET")
    proxy_token = values.get("FLEXITI_PROXY_TOKEN")
    return Settings(
        env=environment,
        store_url=store_url,
        api_base=api_base,
        widget_origin=widget_origin,
        client_id=values.get("FLEXITI_CLIENT_ID"),
        client_secret=Secret(secret) if secret else None,
        trust_url=trust_url,
        customer_portal=customer_portal,
        customers_file=customers_file,
        chromium=chromium,
        store_defects=defects,
        sandbox_store=sandbox_store,
        token_seed=values.get("SANDBOX_TOKEN_SEED"),
        journal_url=journal_url,
        proxy_token=Secret(proxy_token) if proxy_token else None,
        storefront_profile=storefront_profile,
        storefront_class=storefront_class,
        widget_locators=widget_locators,
        mfa=mfa,
        manual_mfa_timeout=manual_mfa_timeout,
        mfa_channel=mfa_channel,
        ws_endpoint=ws_endpoint,
        sources=sources,
    )


def check_manual_mfa(mfa: str, *, headed: bool, workers: bool) -> None:
    """Manual MFA needs a person at a visible browser: refuse a headless run, and parallel workers (whose prompts
    the terminal does not show), before any browser starts."""
    if mfa != "manual":
        return
    problems = []
    if not headed:
        problems.append("the browser is headless: add --headed so the person can see the widget and type the PIN")
    if workers:
        problems.append("tests run in pytest-xdist workers (-n), whose prompts nobody sees: drop -n (or use -n 0)")
    if problems:
        raise SettingsError("\n  - ".join(["--mfa manual (or FLEXITI_MFA=manual) needs a person typing the one-time "
                                           "PIN into a visible browser, but:", *problems]))


def printable_endpoint(endpoint: str) -> str:
    """A browser server's endpoint as it may be printed: grids often carry an access token in the query or the
    user info. A value that does not even parse as a URL is not printed at all."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = urlencode([(name, "***") for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def is_loopback(host: str | None) -> bool:
    """Loopback traffic never leaves the machine, so plain http there (a stand-in for Training in the harness's
    own tests, a recording proxy) is no weaker than https."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
