"""Unit tests for harness.settings: environments, precedence, validation and secret masking."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.evidence import failure_trace_mode
from harness.settings import (
    PROFILES,
    SANDBOX_CUSTOMERS,
    SETTINGS,
    Environment,
    Secret,
    SettingsError,
    load_settings,
    printable_endpoint,
)

ROOT = Path(__file__).resolve().parent.parent

SECRET_VALUE = "s3cr3t-client-value-42"


def _write_customers(root: Path) -> Path:
    path = root / "customers.json"
    customer = {"first_name": "Ada", "last_name": "Lovelace", "dob": "1985-04-12", "postal_code": "M5V2T6"}
    path.write_text(json.dumps({"customers": {"single_account": customer}}), encoding="utf-8")
    return path


def _write_training(root: Path, store_url: str = "https://shop.example.test") -> None:
    _write_customers(root)
    (root / ".env.training").write_text(
        f"STORE_URL={store_url}\n"
        "FLEXITI_CLIENT_ID=merchant-1\n"
        f"FLEXITI_CLIENT_SECRET={SECRET_VALUE}\n"
        "FLEXITI_TEST_CUSTOMERS=customers.json\n",
        encoding="utf-8",
    )


def test_load_settings_succeeds_for_sandbox_without_files(tmp_path: Path) -> None:
    settings = load_settings("sandbox", root=tmp_path, environ={})

    assert settings.env is Environment.SANDBOX
    assert settings.is_sandbox
    assert settings.store_url is None and settings.client_secret is None
    assert settings.customers_file == SANDBOX_CUSTOMERS
    assert dict(settings.sources) == {}


def test_load_settings_names_every_missing_setting_for_training_without_env_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings("training", root=tmp_path, environ={})

    message = str(raised.value)
    for name in ("STORE_URL", "FLEXITI_CLIENT_ID", "FLEXITI_CLIENT_SECRET", "FLEXITI_TEST_CUSTOMERS", ".env.training"):
        assert name in message


def test_load_settings_takes_profile_api_base_for_complete_training_file(tmp_path: Path) -> None:
    _write_training(tmp_path)

    settings = load_settings("training", root=tmp_path, environ={})

    assert settings.env is Environment.TRAINING
    assert settings.store_url == "https://shop.example.test"
    assert settings.client_id == "merchant-1"
    assert settings.api_base == PROFILES[Environment.TRAINING].api_base
    assert settings.widget_origin == PROFILES[Environment.TRAINING].widget_origin
    assert settings.customers_file == tmp_path / "customers.json"
    assert settings.client_secret is not None and settings.client_secret.reveal() == SECRET_VALUE


def test_load_settings_refuses_http_store_url_outside_sandbox(tmp_path: Path) -> None:
    _write_training(tmp_path, store_url="http://shop.example.test")

    with pytest.raises(SettingsError, match=r"STORE_URL = 'http://shop\.example\.test' must use https"):
        load_settings("training", root=tmp_path, environ={})


def test_load_settings_refuses_malformed_url(tmp_path: Path) -> None:
    _write_training(tmp_path, store_url="shop.example.test/checkout")

    with pytest.raises(SettingsError, match=r"STORE_URL = 'shop\.example\.test/checkout' is not an http\(s\) URL"):
        load_settings("training", root=tmp_path, environ={})


def test_load_settings_prefers_environ_over_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env.sandbox").write_text("FLEXITI_CLIENT_ID=from-env-file\n", encoding="utf-8")

    settings = load_settings("sandbox", root=tmp_path, environ={"FLEXITI_CLIENT_ID": "from-environ"})

    assert settings.client_id == "from-environ"
    assert settings.sources["FLEXITI_CLIENT_ID"] == "environment"


def test_load_settings_prefers_env_specific_file_over_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FLEXITI_CLIENT_ID=from-dotenv\nFLEXITI_TRUST_URL=http://base.test\n",
                                   encoding="utf-8")
    (tmp_path / ".env.sandbox").write_text("FLEXITI_CLIENT_ID=from-env-sandbox\n", encoding="utf-8")

    settings = load_settings("sandbox", root=tmp_path, environ={})

    assert settings.client_id == "from-env-sandbox"
    assert settings.sources["FLEXITI_CLIENT_ID"] == ".env.sandbox"
    assert settings.trust_url == "http://base.test"
    assert settings.sources["FLEXITI_TRUST_URL"] == ".env"


def test_load_settings_lists_choices_for_unknown_env(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings("staging", root=tmp_path, environ={})

    message = str(raised.value)
    assert "'staging'" in message
    for choice in ("sandbox", "training", "mi", "production"):
        assert choice in message


def test_describe_hides_secret_and_shows_sources_for_training(tmp_path: Path) -> None:
    _write_training(tmp_path)
    settings = load_settings("training", root=tmp_path, environ={"FLEXITI_CLIENT_ID": "merchant-from-environ"})

    text = "\n".join(settings.describe())

    assert SECRET_VALUE not in text
    assert "FLEXITI_CLIENT_SECRET = ***" in text
    assert "STORE_URL = https://shop.example.test  [.env.training]" in text
    assert "FLEXITI_CLIENT_ID = merchant-from-environ  [environment]" in text


def test_secret_hides_value_in_repr_str_and_format_unless_revealed() -> None:
    secret = Secret("hunter2-very-secret")

    shown = [repr(secret), str(secret), f"{secret}", f"{secret!s}", f"{secret}"]

    assert all("hunter2" not in text for text in shown)
    assert str(secret) == "***"
    assert secret.reveal() == "hunter2-very-secret"


def test_load_settings_refuses_missing_chromium_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-chromium"

    with pytest.raises(SettingsError, match=r"E2E_CHROMIUM = .*no-such-chromium.*: no such file \(from environment\)"):
        load_settings("sandbox", root=tmp_path, environ={"E2E_CHROMIUM": str(missing)})


def test_env_files_are_not_interpolated_from_the_real_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FLEXITI_CLIENT_ID=${HOME}-id\n")

    settings = load_settings("sandbox", root=tmp_path, environ={})

    assert settings.client_id == "${HOME}-id"


def test_repr_of_settings_shows_no_secret_endpoint_credential_or_token_seed(tmp_path: Path) -> None:
    environ = {
        "FLEXITI_CLIENT_SECRET": SECRET_VALUE,
        "PLAYWRIGHT_WS_ENDPOINT": "wss://grid-user:grid-pa55word@grid.example.test/playwright?token=grid-token-77",
        "SANDBOX_TOKEN_SEED": "seed-that-predicts-tokens",
    }
    settings = load_settings("sandbox", root=tmp_path, environ=environ)

    shown = repr(settings)

    assert settings.ws_endpoint and settings.token_seed  # loaded, only not shown
    for secret in (SECRET_VALUE, "grid-pa55word", "grid-token-77", "seed-that-predicts-tokens"):
        assert secret not in shown, shown


def test_describe_masks_the_client_secret_without_revealing_any_character(tmp_path: Path) -> None:
    _write_training(tmp_path)

    lines = load_settings("training", root=tmp_path, environ={}).describe()

    [line] = [line for line in lines if "FLEXITI_CLIENT_SECRET" in line]
    assert line == "  FLEXITI_CLIENT_SECRET = ***  [.env.training]"


def test_env_example_documents_exactly_the_settings() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")

    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))

    assert documented == set(SETTINGS), (f"missing from .env.example: {sorted(set(SETTINGS) - documented)}; "
                                         f"not a setting: {sorted(documented - set(SETTINGS))}")


def test_load_settings_refuses_an_unknown_mfa_channel(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"FLEXITI_MFA_CHANNEL = 'pigeon' is not one of sms, email"):
        load_settings("sandbox", root=tmp_path, environ={"FLEXITI_MFA_CHANNEL": "pigeon"})


def test_load_settings_takes_the_mfa_channel(tmp_path: Path) -> None:
    assert load_settings("sandbox", root=tmp_path, environ={}).mfa_channel == "sms"
    assert load_settings("sandbox", root=tmp_path, environ={"FLEXITI_MFA_CHANNEL": "email"}).mfa_channel == "email"


def test_a_value_that_is_not_a_url_is_not_printed() -> None:
    assert printable_endpoint("http://[::1") == "***"


# -- the production guard looks at the hosts, not the label -----------------------------------------

PRODUCTION_SPELLINGS = ["https://posapi.flexiti.fi/flexiti/pos-api", "https://POSAPI.Flexiti.FI./flexiti/pos-api",
                        "https://posapi.flexiti.fi:443", "https://user@posapi.flexiti.fi/", "https://new.flexiti.fi"]


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
@pytest.mark.parametrize("name", ["FLEXITI_API_BASE", "FLEXITI_WIDGET_ORIGIN"])
def test_a_production_host_makes_a_training_run_production(tmp_path: Path, name: str, url: str) -> None:
    _write_training(tmp_path)

    settings = load_settings("training", root=tmp_path, environ={name: url})

    assert settings.env is Environment.TRAINING and settings.is_production
    assert any(name in reason for reason in settings.production_reasons), settings.production_reasons


def test_a_shared_env_file_with_production_values_makes_the_run_production(tmp_path: Path) -> None:
    _write_training(tmp_path)
    (tmp_path / ".env").write_text("FLEXITI_API_BASE=https://posapi.flexiti.fi/flexiti/pos-api\n"
                                   "FLEXITI_WIDGET_ORIGIN=https://posapi.flexiti.fi\n", encoding="utf-8")

    settings = load_settings("training", root=tmp_path, environ={})

    assert settings.is_production
    assert [".env" in reason for reason in settings.production_reasons] == [True, True], settings.production_reasons


@pytest.mark.parametrize("env", ["training", "mi"])
def test_training_and_mi_on_their_own_hosts_are_not_production(tmp_path: Path, env: str) -> None:
    _write_training(tmp_path)
    (tmp_path / f".env.{env}").write_text((tmp_path / ".env.training").read_text(), encoding="utf-8")

    assert not load_settings(env, root=tmp_path, environ={}).is_production


def test_production_label_alone_is_production(tmp_path: Path) -> None:
    _write_training(tmp_path)
    (tmp_path / ".env.production").write_text((tmp_path / ".env.training").read_text(), encoding="utf-8")

    assert load_settings("production", root=tmp_path, environ={}).production_reasons[0] == "--env production"


def test_a_lookalike_host_is_not_flexiti(tmp_path: Path) -> None:
    _write_training(tmp_path)

    settings = load_settings("training", root=tmp_path, environ={"FLEXITI_API_BASE": "https://posapi.flexiti.fi.example"})

    assert not settings.is_production


@pytest.mark.parametrize(("option", "env", "mode"), [
    ("auto", "sandbox", "off"), ("auto", "training", "actions"),
    ("snapshots", "sandbox", "snapshots"), ("off", "training", "off"), ("actions", "sandbox", "actions"),
])
def test_failure_trace_auto_records_actions_only_against_a_real_environment(
        tmp_path: Path, option: str, env: str, mode: str) -> None:
    _write_training(tmp_path)

    assert failure_trace_mode(option, load_settings(env, root=tmp_path, environ={}).is_sandbox) == mode
