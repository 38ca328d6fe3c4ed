"""The recording proxy against the running simulator: it forwards faithfully and journals as the simulator does."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.journal import Journal
from harness.masking import fingerprint
from harness.proxy import RecordingProxy, build_parser, loopback_address, main, proxy_config, upstream_origin
from harness.proxy_faults import FAULTS_PATH
from harness.recording import JOURNAL_PATH
from harness.settings import SettingsError
from sandbox.servers import Sandbox
from tests import simulator_client as api
from tests import subprocesses
from tests.simulator_client import REDIRECT, SINGLE_ACCOUNT

REPOSITORY = Path(__file__).resolve().parents[1]
CLI_START_SECONDS = 20


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[RecordingProxy]:
    with RecordingProxy(sandbox.urls.flexiti, secrets=[sandbox.client_secret]) as running:
        yield running


@pytest.fixture
def refused_origin() -> Iterator[str]:
    """An origin whose port is taken but not listening: every connection is refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


@pytest.fixture
def silent_origin() -> Iterator[str]:
    """An origin that accepts connections and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"


def _grant(api_base: str, sandbox: Sandbox, **form: str) -> dict[str, Any]:
    response = httpx.post(f"{api_base}/v2.5/oauth/token", data=api.credentials(sandbox, **form))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _misspelled_secret(api_base: str, sandbox: Sandbox) -> httpx.Response:
    """A token request whose secret sits under a field name no masking rule knows: only its value can hide it."""
    form = {"grant_type": "client_credentials", "client_id": sandbox.client_id, "clientSecret": sandbox.client_secret}
    return httpx.post(f"{api_base}/v2.5/oauth/token", data=form)


def _init(api_base: str, sandbox: Sandbox, token: str, client_id: str | None = None) -> httpx.Response:
    url = f"{api_base}/v2.5/client-id/{client_id or sandbox.client_id}/widget/init"
    return httpx.post(url, headers=api.headers(token), json=api.purchase_body())


def _purchase_through(api_base: str, sandbox: Sandbox) -> dict[str, str]:
    """A merchant's purchase with every POS API call sent to `api_base` and the widget's calls sent to Flexiti,
    after the slips a real integration makes with its secret and token (each refused by Flexiti).

    Returns the raw tokens it handled, for the test to hunt for.
    """
    in_query = httpx.post(f"{api_base}/v2.5/oauth/token", params=api.credentials(sandbox), data={"scope": "customer"})
    assert in_query.status_code == 400, in_query.text
    assert _misspelled_secret(api_base, sandbox).status_code == 400
    first = _grant(api_base, sandbox, scope="merchant")  # merchant scope: it also reads the authorizations back
    token = first["access_token"]
    without_scheme = httpx.post(f"{api_base}/v2.5/client-id/{sandbox.client_id}/widget/init",
                                headers={**api.headers(None), "authorization": token}, json=api.purchase_body())
    assert without_scheme.status_code == 401, without_scheme.text
    sid = api.session_of(_init(api_base, sandbox, token))
    assert api.widget(sandbox, token, sid, "mfa", {"option": "sms"}).status_code == 200
    assert api.widget(sandbox, token, sid, "verify", {"answer": api.SINGLE_SMS}).status_code == 200
    authorization = {"account_number": SINGLE_ACCOUNT, "reference": "ORDER-7", "amount": 42.5, "widget_session_id": sid,
                     "auto_capture": False, "financing_option": {"transaction_type": "regular_purchase"}}
    authorized = httpx.post(f"{api_base}/v2.5.1/client-id/{sandbox.client_id}/authorization",
                            headers=api.headers(token), json=authorization)
    assert authorized.status_code == 200, authorized.text
    refreshed = _grant(api_base, sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    listed = httpx.get(f"{api_base}/v2.5.1/client-id/{sandbox.client_id}/authorizations",
                       params={"reference": "ORDER-7"}, headers=api.headers(refreshed["access_token"]))
    assert listed.status_code == 200, listed.text
    return {"first access": token, "first refresh": first["refresh_token"],
            "refreshed access": refreshed["access_token"], "refreshed refresh": refreshed["refresh_token"]}


def _control(proxy: RecordingProxy) -> dict[str, str]:
    return {"authorization": f"Bearer {proxy.control_token}"}


def _journal(proxy: RecordingProxy) -> list[dict[str, Any]]:
    response = httpx.get(proxy.journal_url, headers=_control(proxy))
    assert response.status_code == 200, response.text
    return list(response.json()["calls"])


def _without_numbering(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in call.items() if key not in ("seq", "time")} for call in calls]


def _simulator_pos_api_calls(sandbox: Sandbox) -> list[dict[str, Any]]:
    calls = httpx.get(sandbox.urls.flexiti + JOURNAL_PATH).json()["calls"]
    return [c for c in calls if c["path"].startswith("/flexiti/pos-api/")]


def test_calls_through_the_proxy_reach_flexiti_and_return_its_answers(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    token = _grant(proxy.api_base, sandbox)["access_token"]

    response = _init(proxy.api_base, sandbox, token)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert REDIRECT.match(response.json()["redirection_url"])
    assert response.json()["redirection_url"].startswith(sandbox.urls.flexiti + "/#/widget/")
    assert [c["path"] for c in _simulator_pos_api_calls(sandbox)] == [
        "/flexiti/pos-api/v2.5/oauth/token", f"/flexiti/pos-api/v2.5/client-id/{sandbox.client_id}/widget/init"]


def test_flexiti_errors_pass_through_unchanged(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    token = _grant(proxy.api_base, sandbox)["access_token"]

    response = _init(proxy.api_base, sandbox, token, client_id="someone-else")

    assert response.status_code == 401, response.text
    assert response.json() == {"url": "/flexiti/pos-api/v2.5/client-id/someone-else/widget/init",
                               "message": "The access token was not issued to the client id in the path",
                               "error": "invalid_token"}


def test_proxy_journal_has_the_simulators_entries_for_the_same_calls(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    _purchase_through(proxy.api_base, sandbox)

    proxied = _journal(proxy)

    assert [(c["method"], c["path"].rsplit("/", 1)[-1], c["status"]) for c in proxied] == [
        ("POST", "token", 400), ("POST", "token", 400), ("POST", "token", 200), ("POST", "init", 401),
        ("POST", "init", 200), ("POST", "authorization", 200), ("POST", "token", 200), ("GET", "authorizations", 200)]
    assert _without_numbering(proxied) == _without_numbering(_simulator_pos_api_calls(sandbox))
    assert [c["seq"] for c in proxied] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_proxy_journal_never_holds_the_secret_or_a_raw_token(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    tokens = _purchase_through(proxy.api_base, sandbox)

    text = httpx.get(proxy.journal_url, headers=_control(proxy)).text

    assert sandbox.client_secret not in text
    assert [name for name, token in tokens.items() if token in text] == []
    assert all(fingerprint(token) in text for token in tokens.values())
    in_query, misspelled, _, without_scheme, *_ = _journal(proxy)
    assert in_query["query"]["client_secret"] == misspelled["body"]["clientSecret"] == "***"
    assert without_scheme["headers"]["authorization"] == fingerprint(tokens["first access"])


def test_journal_reader_reads_the_proxy_journal_and_its_token_lineages(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    tokens = _purchase_through(proxy.api_base, sandbox)

    journal = Journal(proxy.journal_url, proxy.control_token)

    assert journal.token_lineages() == {fingerprint(tokens["first access"]): 1,
                                        fingerprint(tokens["refreshed access"]): 1}
    assert journal.token_lineages() == Journal(sandbox.urls.flexiti + JOURNAL_PATH).token_lineages()
    [init] = [call for call in journal.to("widget/init") if call.status == 200]
    [authorization] = journal.to("/authorization")
    assert init.token == authorization.token == fingerprint(tokens["first access"])
    assert authorization.body["reference"] == "ORDER-7" and not authorization.from_browser


def test_deleting_the_proxy_journal_clears_it(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    _grant(proxy.api_base, sandbox)
    assert len(_journal(proxy)) == 1

    deleted = httpx.delete(proxy.journal_url, headers=_control(proxy))

    assert deleted.status_code == 204
    assert _journal(proxy) == []


def test_unreachable_upstream_answers_502_naming_upstream_and_cause(refused_origin: str) -> None:
    with RecordingProxy(refused_origin) as proxy:
        response = httpx.post(f"{proxy.api_base}/v2.5/oauth/token", data={"grant_type": "client_credentials"})

        [journaled] = _journal(proxy)

    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "proxy_upstream_unreachable"
    assert refused_origin in body["message"] and "ConnectError" in body["message"]
    assert (journaled["path"], journaled["status"], journaled["response"]) == (
        "/flexiti/pos-api/v2.5/oauth/token", 502, body)


def test_silent_upstream_answers_504_after_the_proxy_timeout(silent_origin: str) -> None:
    with RecordingProxy(silent_origin, timeout=0.3) as proxy:
        response = httpx.get(f"{proxy.api_base}/v2.5.1/client-id/merchant/authorizations")

        [journaled] = _journal(proxy)

    assert response.status_code == 504
    assert response.json()["error"] == "proxy_upstream_unreachable"
    assert silent_origin in response.json()["message"] and "Timeout" in response.json()["message"]
    assert journaled["status"] == 504


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        RecordingProxy("https://posapi-training.flexiti.fi", host=host)


@pytest.mark.parametrize(("host", "address"), [("localhost", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("::1", "::1")])
def test_loopback_hosts_are_accepted(host: str, address: str) -> None:
    assert loopback_address(host) == address


def test_cli_refuses_a_non_loopback_host_with_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--upstream", "https://posapi-training.flexiti.fi", "--host", "0.0.0.0"])

    assert exited.value.code == 2
    assert "--host '0.0.0.0' is not a loopback address" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["https://posapi-training.flexiti.fi", "https://posapi-training.flexiti.fi/",
                                 "https://posapi-training.flexiti.fi/flexiti/pos-api/"])
def test_upstream_is_taken_as_the_environments_origin(url: str) -> None:
    assert upstream_origin(url) == "https://posapi-training.flexiti.fi"


@pytest.mark.parametrize("url", ["https://posapi-training.flexiti.fi/other/", "ftp://flexiti.fi", "flexiti.fi"])
def test_upstream_with_another_path_or_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="must be an http\\(s\\) origin"):
        upstream_origin(url)


PROXY_TOKEN = "test-control-token-0123456789"


@contextlib.contextmanager
def _cli(sandbox: Sandbox, *args: str, token: str | None = PROXY_TOKEN, preexec: Any = None
         ) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`python -m harness.proxy` in front of the simulator; yields the process and the lines it printed on start.
    The caller stops it; whatever is left running at the end is killed."""
    env = {**os.environ, "PROXY_TEST_SECRET": sandbox.client_secret}
    env.pop("FLEXITI_PROXY_TOKEN", None)
    if token is not None:
        env["FLEXITI_PROXY_TOKEN"] = token
    command = [sys.executable, "-m", "harness.proxy", "--upstream", sandbox.urls.flexiti, "--port", "0",
               "--secret-env", "PROXY_TEST_SECRET", *args]
    process = subprocesses.popen(command, then=preexec, cwd=REPOSITORY, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], CLI_START_SECONDS)
        assert ready, f"the proxy printed nothing within {CLI_START_SECONDS}s"
        lines = [process.stdout.readline()]
        if token is None:  # printed and flushed right after the first line, which select() has already seen
            lines.append(process.stdout.readline())
        yield process, lines
    finally:
        if process.poll() is None:
            subprocesses.kill_group(process)
        process.communicate(timeout=15)  # closes the pipes


def _urls(first_line: str) -> tuple[str, str]:
    printed = re.search(r"base URL for the merchant backend: (\S+) +journal: (\S+)", first_line)
    assert printed, first_line
    return printed.group(1), printed.group(2)


def test_cli_prints_its_urls_forwards_and_stops_on_ctrl_c(sandbox: Sandbox) -> None:
    with _cli(sandbox) as (process, [first_line]):
        api_base, journal_url = _urls(first_line)
        refused = _misspelled_secret(api_base, sandbox)
        journal_text = httpx.get(journal_url, headers={"authorization": f"Bearer {PROXY_TOKEN}"}).text
        subprocesses.interrupt_group(process)  # Ctrl-C as a terminal sends it
        out, err = process.communicate(timeout=15)

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/flexiti/pos-api", api_base)
    assert journal_url == api_base.removesuffix("/flexiti/pos-api") + JOURNAL_PATH
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client")
    [journaled] = json.loads(journal_text)["calls"]
    assert journaled["body"]["clientSecret"] == "***" and sandbox.client_secret not in journal_text
    assert process.returncode == 0, err
    assert sandbox.client_secret not in first_line + out + err
    assert PROXY_TOKEN not in first_line + out + err  # a token it was given is never printed


def test_cli_without_a_token_makes_one_prints_it_once_and_requires_it(sandbox: Sandbox) -> None:
    with _cli(sandbox, token=None) as (process, [first_line, token_line]):
        _, journal_url = _urls(first_line)
        printed = re.search(r"set FLEXITI_PROXY_TOKEN to it on the test machine\): (\S+)$", token_line.strip())
        assert printed, token_line
        without = httpx.get(journal_url)
        with_token = httpx.get(journal_url, headers={"authorization": f"Bearer {printed.group(1)}"})
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)

    assert without.status_code == 401 and "FLEXITI_PROXY_TOKEN" in without.json()["message"]
    assert with_token.status_code == 200, with_token.text
    assert len(printed.group(1)) >= 24


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell's background launch (`cmd &`) leaves a process


def _block_sigterm() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


@pytest.mark.parametrize(("sent", "inherited"), [
    (signal.SIGTERM, None), (signal.SIGINT, _ignore_sigint), (signal.SIGTERM, _block_sigterm),
], ids=["sigterm", "sigint-inherited-ignored", "sigterm-inherited-blocked"])
def test_cli_stops_cleanly_on_sigterm_and_sigint_whatever_it_inherited(
    sandbox: Sandbox, sent: signal.Signals, inherited: Any,
) -> None:
    with _cli(sandbox, preexec=inherited) as (process, _):
        process.send_signal(sent)
        _out, err = process.communicate(timeout=15)

    assert process.returncode == 0, err
    assert f"Stopping on {sent.name}." in err, err
    assert "Traceback" not in err, err


def test_cli_logs_one_line_per_call_without_secrets_or_tokens(sandbox: Sandbox) -> None:
    with _cli(sandbox) as (process, [first_line]):
        api_base, _ = _urls(first_line)
        token = _grant(api_base, sandbox)["access_token"]
        initialized = _init(api_base, sandbox, token)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)

    lines = [line for line in err.splitlines() if "/flexiti/pos-api/" in line]
    assert [re.sub(r"^.* (POST \S+ \d{3}) \d+ ms$", r"\1", line) for line in lines] == [
        "POST /flexiti/pos-api/v2.5/oauth/token 200",
        f"POST /flexiti/pos-api/v2.5/client-id/{sandbox.client_id}/widget/init 200"], err
    redirection = initialized.json()["redirection_url"]
    assert sandbox.client_secret not in err and token not in err and redirection not in err


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out

    options = [action for action in parser._actions if action.option_strings]
    assert [action.dest for action in options if not action.help] == []
    assert [o for action in options for o in action.option_strings if o not in shown] == []
    for documented in ("FLEXITI_PROXY_TOKEN", "413", "SIGTERM", "Host", "https", "/__sandbox/faults"):
        assert documented in shown, documented


def test_proxy_imports_nothing_from_the_sandbox() -> None:
    code = "import sys, harness.proxy; print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"
    result = subprocesses.run([sys.executable, "-c", code], cwd=REPOSITORY, env=dict(os.environ), timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _config_for_env(root: Path, env_file: str, *argv: str) -> Any:
    (root / ".env.training").write_text(env_file, encoding="utf-8")
    return proxy_config(build_parser().parse_args(["--env", "training", *argv]), root=root, environ={})


def test_env_option_forwards_to_the_environments_api_base_and_masks_its_secret(tmp_path: Path) -> None:
    config = _config_for_env(tmp_path, "FLEXITI_CLIENT_SECRET=training-secret-value\n")

    assert config.upstream == "https://posapi-training.flexiti.fi"
    assert config.secret == "training-secret-value"


def test_env_option_takes_an_overridden_api_base(tmp_path: Path) -> None:
    config = _config_for_env(tmp_path, "FLEXITI_CLIENT_SECRET=x-secret\n"
                                       "FLEXITI_API_BASE=http://127.0.0.1:9/flexiti/pos-api\n")

    assert config.upstream == "http://127.0.0.1:9"


def test_env_option_without_the_client_secret_names_only_that_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        _config_for_env(tmp_path, "FLEXITI_CLIENT_ID=merchant\n")

    message = str(raised.value)
    assert "FLEXITI_CLIENT_SECRET is missing: set it in .env.training" in message
    # The proxy runs beside the backend: it needs no storefront and no test customers.
    assert "STORE_URL" not in message and "FLEXITI_TEST_CUSTOMERS" not in message


def test_env_option_for_the_sandbox_without_an_api_base_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"FLEXITI_API_BASE is not set for --env sandbox.*--upstream"):
        proxy_config(build_parser().parse_args(["--env", "sandbox"]), root=tmp_path, environ={})


def test_env_option_refuses_an_api_base_with_another_path_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError,
                       match=r"FLEXITI_API_BASE = 'https://flexiti\.example/api' \(from \.env\.training\)"):
        _config_for_env(tmp_path, "FLEXITI_CLIENT_SECRET=x-secret\nFLEXITI_API_BASE=https://flexiti.example/api\n")


def test_upstream_option_still_takes_the_secret_from_the_named_variable() -> None:
    args = build_parser().parse_args(["--upstream", "https://posapi-mi.flexiti.fi/flexiti/pos-api",
                                      "--secret-env", "MY_SECRET"])

    config = proxy_config(args, environ={"MY_SECRET": "mi-secret"})

    assert (config.upstream, config.secret, config.secret_name) == ("https://posapi-mi.flexiti.fi", "mi-secret",
                                                                    "MY_SECRET")


def test_cli_without_env_or_upstream_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])

    assert exited.value.code == 2
    assert "one of the arguments --env --upstream is required" in capsys.readouterr().err


def test_make_proxy_passes_the_environment_not_a_computed_upstream() -> None:
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")

    [recipe] = re.findall(r"^proxy:.*\n\t(.*)$", makefile, re.MULTILINE)
    assert "-m harness.proxy --env $(ENV)" in recipe and "--upstream" not in recipe


# -- the control plane: token and Host ----------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [("GET", JOURNAL_PATH), ("DELETE", JOURNAL_PATH), ("GET", FAULTS_PATH),
                                              ("POST", FAULTS_PATH), ("DELETE", FAULTS_PATH)])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", "Basic dXNlcjpwYXNz"])
def test_control_plane_without_the_token_answers_401_and_changes_nothing(
    sandbox: Sandbox, proxy: RecordingProxy, method: str, path: str, authorization: str | None,
) -> None:
    _grant(proxy.api_base, sandbox)
    headers = {"authorization": authorization} if authorization else {}

    response = httpx.request(method, proxy.url + path, headers=headers, json={"endpoint": "widget/init"})

    assert response.status_code == 401, response.text
    assert response.json()["error"] == "proxy_token_required" and "FLEXITI_PROXY_TOKEN" in response.json()["message"]
    assert len(_journal(proxy)) == 1
    assert httpx.get(proxy.faults_url, headers=_control(proxy)).json() == {"faults": []}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io", "10.0.0.5", "[fe80::1]"])
@pytest.mark.parametrize("path", [JOURNAL_PATH, FAULTS_PATH, "/flexiti/pos-api/v2.5/oauth/token"])
def test_a_host_that_is_not_the_proxy_gets_403_even_with_the_token(
    proxy: RecordingProxy, host: str, path: str,
) -> None:
    """A page in a browser on the same machine reaches the port through a rebinding name; Host gives it away."""
    response = httpx.post(proxy.url + path, headers={**_control(proxy), "host": host}, json={"endpoint": "x"})

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "proxy_host_refused" and host in response.json()["message"]
    assert _journal(proxy) == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:9000", "[::1]:8765"])
def test_the_proxys_own_host_names_are_accepted_on_any_port(proxy: RecordingProxy, host: str) -> None:
    """Any port: an SSH tunnel's local port may differ from the proxy's."""
    response = httpx.get(proxy.journal_url, headers={**_control(proxy), "host": host})

    assert response.status_code == 200, response.text


def test_only_pos_api_paths_are_forwarded(proxy: RecordingProxy, sandbox: Sandbox) -> None:
    response = httpx.get(proxy.url + "/__sandbox/config")

    assert response.status_code == 400, response.text
    assert "outside the POS API base" in response.json()["message"]
    journaled = httpx.get(sandbox.urls.flexiti + JOURNAL_PATH).json()["calls"]
    assert "/__sandbox/config" not in [c["path"] for c in journaled]


# -- masking ------------------------------------------------------------------------------------------------------
def _token_call(proxy: RecordingProxy, sandbox: Sandbox, content: bytes, content_type: str,
                authorization: str | None = None) -> dict[str, Any]:
    headers = {"content-type": content_type, **({"authorization": authorization} if authorization else {})}
    httpx.post(f"{proxy.api_base}/v2.5/oauth/token", content=content, headers=headers)
    [journaled] = _journal(proxy)
    return journaled


@pytest.mark.parametrize("content_type", ["text/plain", "Application/X-WWW-Form-Urlencoded",
                                          "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8", "application/json",
                                          "application/octet-stream", ""])
def test_a_form_body_is_masked_whatever_its_content_type_says(
    proxy: RecordingProxy, sandbox: Sandbox, content_type: str,
) -> None:
    form = f"grant_type=client_credentials&client_id={sandbox.client_id}&client_secret={sandbox.client_secret}"

    journaled = _token_call(proxy, sandbox, form.encode(), content_type)

    assert journaled["body"] == {"grant_type": "client_credentials", "client_id": sandbox.client_id,
                                 "client_secret": "***"}
    assert sandbox.client_secret not in json.dumps(journaled)


def test_an_unknown_secret_in_a_form_field_no_rule_names_is_masked_by_field(proxy: RecordingProxy,
                                                                             sandbox: Sandbox) -> None:
    """The proxy knows only the client secret's value; a PIN or password under its usual field name is masked too."""
    journaled = _token_call(proxy, sandbox, b"grant_type=password&password=hunter2-pw&pin=4321", "text/plain")

    assert journaled["body"] == {"grant_type": "password", "password": "***", "pin": "***"}


def test_basic_client_authentication_keeps_the_client_id_and_hides_the_secret(proxy: RecordingProxy,
                                                                              sandbox: Sandbox) -> None:
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()

    journaled = _token_call(proxy, sandbox, b"grant_type=client_credentials", "application/x-www-form-urlencoded",
                            f"Basic {basic}")

    assert journaled["headers"]["authorization"] == f"Basic {sandbox.client_id}:***"
    assert basic not in json.dumps(journaled) and sandbox.client_secret not in json.dumps(journaled)


@pytest.mark.parametrize("authorization", ["Token never-seen-token-abc123", "MAC id=\"h480djs93hd8\", mac=\"x\"",
                                           "bearer lower-case-token-xyz", "DPoP eyJhbGciOi.eyJzdWIi.sig",
                                           "Basic not-base64!!", "bare-token-without-a-scheme-42"])
def test_credentials_under_any_authorization_scheme_are_masked(
    proxy: RecordingProxy, sandbox: Sandbox, authorization: str,
) -> None:
    journaled = _token_call(proxy, sandbox, b"grant_type=client_credentials", "application/x-www-form-urlencoded",
                            authorization)

    shown = journaled["headers"]["authorization"]
    credentials = authorization.partition(" ")[2] or authorization
    assert credentials not in shown and credentials not in json.dumps(journaled)
    assert shown.endswith("***") or "masked:" in shown, shown


def test_same_token_under_another_scheme_keeps_the_same_fingerprint(proxy: RecordingProxy, sandbox: Sandbox) -> None:
    token = _grant(proxy.api_base, sandbox)["access_token"]
    for scheme in ("Bearer", "Token"):
        httpx.post(f"{proxy.api_base}/v2.5/client-id/{sandbox.client_id}/widget/init",
                   headers={**api.headers(None), "authorization": f"{scheme} {token}"}, json=api.purchase_body())

    _, bearer, other = _journal(proxy)

    assert bearer["headers"]["authorization"] == f"Bearer {fingerprint(token)}"
    assert other["headers"]["authorization"] == f"Token {fingerprint(token)}"


def test_a_body_that_is_not_utf8_is_forwarded_journaled_as_such_and_never_crashes(
    proxy: RecordingProxy, sandbox: Sandbox,
) -> None:
    raw = b"grant_type=client_credentials&client_secret=" + sandbox.client_secret.encode() + b"&x=\xff\xfe\xc3"

    response = httpx.post(f"{proxy.api_base}/v2.5/client-id/{sandbox.client_id}/widget/init", content=raw,
                          headers={"content-type": "application/x-www-form-urlencoded"})

    journal = httpx.get(proxy.journal_url, headers=_control(proxy)).json()
    [journaled] = journal["calls"]
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")  # Flexiti's own answer
    assert journaled["body"] == f"<{len(raw)} bytes, not UTF-8: not kept>"
    assert journal["errors"] == []
    assert sandbox.client_secret not in json.dumps(journal)
    assert [c["path"] for c in _simulator_pos_api_calls(sandbox)] == [journaled["path"]]


# -- bounds -------------------------------------------------------------------------------------------------------
def _chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, size, chunk):
        yield b"a" * min(chunk, size - start)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_gets_413_and_is_not_forwarded(sandbox: Sandbox, declared: bool) -> None:
    with RecordingProxy(sandbox.urls.flexiti, max_body=1000) as proxy:
        body = b"a" * 1001
        response = httpx.post(f"{proxy.api_base}/v2.5/oauth/token", content=body if declared else _chunks(1001, 100))
        small = httpx.post(f"{proxy.api_base}/v2.5/oauth/token", content=b"a" * 1000)
        too_large, forwarded = _journal(proxy)

    assert response.status_code == 413, response.text
    assert response.json()["error"] == "proxy_request_too_large" and "--max-body" in response.json()["message"]
    assert small.status_code == 400  # at the limit: forwarded, and Flexiti's own answer comes back
    assert too_large["status"] == 413 and too_large["body"] is None and "over --max-body" in too_large["not_forwarded"]
    assert "not_forwarded" not in forwarded
    simulator = httpx.get(sandbox.urls.flexiti + JOURNAL_PATH).json()["calls"]
    assert [len(c["body"]) for c in simulator if c["path"].endswith("oauth/token")] == [1000]


def test_max_body_option_sets_the_limit() -> None:
    args = build_parser().parse_args(["--upstream", "https://posapi-training.flexiti.fi", "--max-body", "2048",
                                      "--journal-calls", "5", "--journal-body", "100"])

    assert (args.max_body, args.journal_calls, args.journal_body) == (2048, 5, 100)


def test_the_journal_keeps_the_last_calls_and_counts_the_dropped(sandbox: Sandbox) -> None:
    with RecordingProxy(sandbox.urls.flexiti, journal_calls=3) as proxy:
        for _ in range(5):
            _grant(proxy.api_base, sandbox)
        journal = httpx.get(proxy.journal_url, headers=_control(proxy)).json()
        reader = Journal(proxy.journal_url, proxy.control_token)

        assert [c.seq for c in reader.calls()] == [3, 4, 5]
    assert (journal["dropped"], journal["capacity"]) == (2, 3)


def test_a_journaled_body_over_its_limit_is_a_marker(sandbox: Sandbox) -> None:
    with RecordingProxy(sandbox.urls.flexiti, journal_body=50) as proxy:
        httpx.post(f"{proxy.api_base}/v2.5/oauth/token", data={"grant_type": "client_credentials", "pad": "x" * 100})
        [journaled] = _journal(proxy)

    assert re.fullmatch(r"<\d+ bytes, over the journal's 50-byte body limit: not kept>", journaled["body"])


def _raw_status(proxy: RecordingProxy, target: str) -> tuple[int, bytes]:
    """Send a request line exactly as written (httpx would resolve dot segments before sending)."""
    with socket.create_connection(("127.0.0.1", int(proxy.url.rsplit(":", 1)[1])), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize("target", ["/flexiti/pos-api/../../etc/passwd", "/flexiti/pos-api/%2e%2e/%2E%2E/etc/passwd",
                                    "/flexiti/pos-api/v2.5/..%2f..%2f..%2fetc/passwd", "/flexiti/pos-api/..",
                                    "/flexiti/pos-api/v2.5\\..\\..\\x", "/flexiti/pos-apix/v2.5/oauth/token"])
def test_a_path_that_resolves_outside_the_pos_api_is_refused_and_never_forwarded(
    sandbox: Sandbox, proxy: RecordingProxy, target: str,
) -> None:
    status, _ = _raw_status(proxy, target)

    assert status == 400
    [journaled] = _journal(proxy)
    assert journaled["status"] == 400 and journaled["not_forwarded"].startswith("refused: path")
    assert _simulator_pos_api_calls(sandbox) == []
    assert all(not c["path"].startswith("/etc") for c in httpx.get(sandbox.urls.flexiti + JOURNAL_PATH).json()["calls"])


def test_the_journal_gives_the_path_upstream_received(sandbox: Sandbox, proxy: RecordingProxy) -> None:
    status, _ = _raw_status(proxy, f"/flexiti/pos-api/v2.5/./client-id/x/../../../v2.5.1/client-id/{sandbox.client_id}"
                                   "/authorizations?reference=ORDER-1")

    [journaled] = _journal(proxy)
    [received] = _simulator_pos_api_calls(sandbox)
    assert status == received["status"] == 401
    assert journaled["path"] == received["path"] == (
        f"/flexiti/pos-api/v2.5.1/client-id/{sandbox.client_id}/authorizations")
    assert journaled["query"] == received["query"] == {"reference": "ORDER-1"}


@pytest.mark.parametrize("url", ["http://posapi-training.flexiti.fi", "http://10.1.2.3:8080", "http://[2001:db8::1]"])
def test_a_plain_http_upstream_beyond_loopback_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="must use https"):
        upstream_origin(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"])
def test_a_plain_http_upstream_on_loopback_is_accepted(url: str) -> None:
    assert upstream_origin(url) == url


def test_cli_refuses_a_plain_http_upstream_with_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--upstream", "http://posapi-training.flexiti.fi"])

    assert exited.value.code == 2
    assert "must use https" in capsys.readouterr().err


# -- memory: 30 MB attempts stay bounded --------------------------------------------------------------------------
ATTEMPT_BYTES = 30 * 1024 * 1024


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


def _large_attempt(port: int, chunked: bool) -> int | None:
    """POST a 30 MB body as fast as the proxy takes it; the proxy's status, or None if it hung up first."""
    head = ("POST /flexiti/pos-api/v2.5/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {ATTEMPT_BYTES}\r\n") + "\r\n")
    block = b"a" * (1024 * 1024)
    piece = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            connection.sendall(head.encode())
            for _ in range(ATTEMPT_BYTES // len(block)):
                connection.sendall(piece)
            if chunked:
                connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the proxy answered and closed before reading it all: what it should do
        try:
            answer = connection.recv(4096)
        except ConnectionResetError:
            return None
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def test_memory_stays_bounded_after_large_attempts(sandbox: Sandbox) -> None:
    attempts = 100  # the README's figure; loopback, about a second: each attempt is refused before its body is read
    with _cli(sandbox) as (process, [first_line]):
        api_base, journal_url = _urls(first_line)
        port = int(api_base.split(":")[2].split("/")[0])
        _grant(api_base, sandbox)
        before = _rss_kib(process.pid)
        statuses = [_large_attempt(port, chunked=n % 2 == 1) for n in range(attempts)]
        after = _rss_kib(process.pid)
        journal = httpx.get(journal_url, headers={"authorization": f"Bearer {PROXY_TOKEN}"})
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)

    assert set(statuses) <= {413, None} and 413 in statuses, statuses
    assert after - before < 40 * 1024, f"RSS grew from {before} KiB to {after} KiB"
    assert len(journal.content) < 100 * 1024, len(journal.content)


def test_env_option_refuses_a_plain_http_api_base_beyond_loopback(tmp_path: Path) -> None:
    (tmp_path / ".env.sandbox").write_text("FLEXITI_API_BASE=http://flexiti.example/flexiti/pos-api\n",
                                           encoding="utf-8")

    with pytest.raises(SettingsError, match=r"FLEXITI_API_BASE = 'http://flexiti\.example/flexiti/pos-api'.*https"):
        proxy_config(build_parser().parse_args(["--env", "sandbox"]), root=tmp_path, environ={})


def test_env_option_takes_the_control_token_from_the_env_file(tmp_path: Path) -> None:
    config = _config_for_env(tmp_path, "FLEXITI_CLIENT_SECRET=x-secret\nFLEXITI_PROXY_TOKEN=file-token-0123456789\n")

    assert config.control_token == "file-token-0123456789"


def test_a_short_control_token_is_refused_naming_the_variable() -> None:
    args = build_parser().parse_args(["--upstream", "https://posapi-training.flexiti.fi"])

    with pytest.raises(SettingsError, match="FLEXITI_PROXY_TOKEN is shorter than 16 characters"):
        proxy_config(args, environ={"FLEXITI_PROXY_TOKEN": "short"})
