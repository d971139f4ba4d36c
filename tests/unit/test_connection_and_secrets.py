"""The `planet` connection: key sources, base URL, extras; and the key kept out of every message."""

from __future__ import annotations

import base64
import json
import logging

import pytest
import requests
import responses

from airflow_provider_planet_orders._compat import AirflowNotFoundException
from airflow_provider_planet_orders.core.api import DEFAULT_BASE_URL
from airflow_provider_planet_orders.core.policy import ClientSettings, RateLimiter
from airflow_provider_planet_orders.exceptions import PlanetConfigurationError, PlanetOrdersError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.conftest import API_KEY, BASE_URL, set_planet_connection
from tests.unit.test_hook_endpoints import OID, ORDERS, order

STATS = f"{BASE_URL}/compute/ops/stats/orders/v2"


def make_hook(sleeps=None, conn_id: str = "planet_default") -> PlanetOrdersHook:
    hook = PlanetOrdersHook(planet_conn_id=conn_id)
    hook.sleep = sleeps or (lambda s: None)
    hook.limiter = RateLimiter()
    return hook


def auth_user(call) -> str:
    header = call.request.headers["Authorization"]
    return base64.b64decode(header.split()[1]).decode().split(":")[0]


def test_key_is_the_password_and_host_sets_the_base_url(monkeypatch) -> None:
    set_planet_connection(monkeypatch, conn_id="planet_eu", host="http://127.0.0.1:8080/")
    hook = make_hook(conn_id="planet_eu")
    with responses.RequestsMock() as api:
        api.get(f"http://127.0.0.1:8080/compute/ops/orders/v2/{OID}", json=order())
        hook.get_order(OID)
        assert auth_user(api.calls[0]) == API_KEY


def test_default_base_url_is_planets(monkeypatch) -> None:
    set_planet_connection(monkeypatch, host=None)
    assert make_hook().settings.base_url == DEFAULT_BASE_URL == "https://api.planet.com"


def test_bare_host_name_means_https(monkeypatch) -> None:
    set_planet_connection(monkeypatch, host="proxy.example.com")
    assert make_hook().settings.base_url == "https://proxy.example.com"


@pytest.mark.parametrize(
    ("host", "port", "base_url"),
    [
        ("proxy.example.com", 8443, "https://proxy.example.com:8443"),
        ("http://127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("http://127.0.0.1:9000", 8080, "http://127.0.0.1:9000"),  # a port in the URL wins
        (None, 8443, "https://api.planet.com"),  # a port alone does not move Planet's API
    ],
)
def test_the_connection_port_applies_when_the_host_has_none(monkeypatch, host, port, base_url) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_PLANET_DEFAULT",
        json.dumps(
            {"conn_type": "planet", "password": API_KEY, "port": port, **({"host": host} if host else {})}
        ),
    )
    assert make_hook().settings.base_url == base_url


def test_uri_form_with_a_port(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PLANET_DEFAULT", f"planet://:{API_KEY}@proxy.example.com:8443")
    hook = make_hook()
    assert hook.settings.base_url == "https://proxy.example.com:8443"
    assert hook.authorizer.credentials.secret == API_KEY


def test_pl_api_key_is_used_when_the_connection_has_no_key(monkeypatch) -> None:
    set_planet_connection(monkeypatch, password=None)
    monkeypatch.setenv("PL_API_KEY", "PLAK-from-environment-1234")
    hook = make_hook()
    with responses.RequestsMock() as api:
        api.get(f"{ORDERS}/{OID}", json=order())
        hook.get_order(OID)
        assert auth_user(api.calls[0]) == "PLAK-from-environment-1234"


def test_pl_api_key_alone_is_enough_without_a_planet_default_connection(monkeypatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_PLANET_DEFAULT", raising=False)
    monkeypatch.setenv("PL_API_KEY", "PLAK-from-environment-1234")
    assert make_hook().settings.base_url == DEFAULT_BASE_URL


def test_a_missing_named_connection_is_still_an_error(monkeypatch) -> None:
    monkeypatch.setenv("PL_API_KEY", "PLAK-from-environment-1234")
    with pytest.raises(AirflowNotFoundException):
        make_hook(conn_id="does_not_exist").get_conn()


def test_no_key_anywhere_is_a_clear_error_without_any_request(monkeypatch) -> None:
    set_planet_connection(monkeypatch, password=None)
    monkeypatch.delenv("PL_API_KEY", raising=False)
    with (
        responses.RequestsMock() as api,
        pytest.raises(PlanetConfigurationError, match=r"has no API key.*PL_API_KEY"),
    ):
        make_hook().get_order(OID)
    assert len(api.calls) == 0


def test_extras_set_timeouts_and_retries(monkeypatch) -> None:
    set_planet_connection(
        monkeypatch,
        extra={"connect_timeout": "3", "read_timeout": 30, "max_retries": 2, "backoff_max": 5},
    )
    settings = make_hook().settings
    assert settings.timeout == (3.0, 30.0)
    assert settings.max_retries == 2
    assert settings.retry_policy().backoff_max == 5


def test_timeouts_reach_requests(monkeypatch, mocker) -> None:
    set_planet_connection(monkeypatch, extra={"connect_timeout": 2, "read_timeout": 9, "rate_limit": False})
    hook = make_hook()
    send = mocker.patch.object(requests.Session, "request")
    send.return_value.status_code = 200
    send.return_value.content = b'{"id": "x"}'
    send.return_value.headers = {}
    hook.get_order(OID)
    assert send.call_args.kwargs["timeout"] == (2.0, 9.0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"read_timeout": "soon"}, "'read_timeout' must be a number of seconds, got 'soon'"),
        ({"connect_timeout": -1}, "'connect_timeout' must be a number of seconds >= 0"),
        ({"max_retries": 2.5}, "'max_retries' must be a whole number >= 0"),
        ({"max_retries": "many"}, "'max_retries' must be a whole number"),
        ({"rate_limit": "sometimes"}, "'rate_limit' must be true or false"),
        ({"rate_limits": "{get: 1}"}, "'rate_limits' must be a JSON object"),
        ({"rate_limits": [1, 2]}, "'rate_limits' must be an object"),
        ({"rate_limits": {"get": "fast"}}, "'rate_limits.get' must be a number"),
    ],
)
def test_bad_extras_are_named(extra, message) -> None:
    with pytest.raises(PlanetConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ClientSettings.from_connection(None, extra)


@pytest.mark.parametrize("host", ["ftp://x", "https://h/?q=1", "http://"])
def test_bad_host_is_named(host) -> None:
    with pytest.raises(PlanetConfigurationError, match="host"):
        ClientSettings.from_connection(host, {})


def test_test_connection_reports_success(hook) -> None:
    with responses.RequestsMock() as api:
        api.get(STATS, json={"user": {"queued_orders": 2, "running_orders": 1}, "organization": {}})
        ok, message = hook.test_connection()
    assert ok is True
    assert "the key works" in message
    assert "2 queued and 1 running" in message


def test_test_connection_reports_a_rejected_key(hook) -> None:
    with responses.RequestsMock() as api:
        api.get(STATS, status=401, json={"message": "Invalid API key"})
        ok, message = hook.test_connection()
    assert ok is False
    assert "401 Unauthorized: Invalid API key" in message
    assert API_KEY not in message


def test_test_connection_to_an_unreachable_host_answers_at_once_without_retries(monkeypatch) -> None:
    import time

    from airflow_provider_planet_orders.hooks.orders import TEST_TIMEOUT, PlanetOrdersHook
    from tests.conftest import set_planet_connection

    set_planet_connection(monkeypatch, host="http://127.0.0.1:9")  # nothing listens: refused
    hook = PlanetOrdersHook()
    slept: list[float] = []
    hook.sleep = slept.append  # a retry would sleep first
    started = time.monotonic()
    ok, message = hook.test_connection()
    assert ok is False
    assert time.monotonic() - started < 3
    assert slept == []
    assert "base URL http://127.0.0.1:9; one attempt, no retries" in message
    assert TEST_TIMEOUT == (5.0, 10.0)  # a person waits: seconds, not the 31 s retry ladder


def test_test_connection_sends_one_request_with_the_short_timeouts(hook) -> None:
    with responses.RequestsMock() as api:
        api.get(STATS, status=503)
        ok, message = hook.test_connection()
        assert len(api.calls) == 1
    assert ok is False
    assert "503" in message


# -- secrets ------------------------------------------------------------------------------------


def test_key_is_absent_from_errors_logs_and_repr(hook, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"{API_KEY}:".encode()).decode()
    errors: list[BaseException] = []
    with responses.RequestsMock() as api:
        for _ in range(6):
            api.get(f"{ORDERS}/{OID}", status=503, json={"message": "down"})
        api.post(ORDERS, body=requests.ReadTimeout("timed out"))
        api.get(STATS, status=401)
        for call in (lambda: hook.get_order(OID), lambda: hook.create_order({"name": "n"})):
            with pytest.raises(PlanetOrdersError) as info:
                call()
            errors.append(info.value)
        errors.append(Exception(hook.test_connection()[1]))
    # Airflow 3.3 logs through structlog to the console, older releases through logging.
    logs = caplog.text + "".join(capfd.readouterr())
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(hook), logs]
    texts += [str(e.__cause__) for e in errors if e.__cause__]
    for text in texts:
        assert API_KEY not in text
        assert basic not in text
    assert "retry 1 of 5" in logs  # the retries were logged, without the key


def test_key_is_registered_with_the_secrets_masker(monkeypatch, mocker) -> None:
    set_planet_connection(monkeypatch)
    masked = mocker.patch("airflow_provider_planet_orders._compat._mask_secret")
    make_hook().get_conn()
    masked.assert_any_call(API_KEY, None)


def test_connection_errors_do_not_quote_urls(hook) -> None:
    signed = "https://downloads.planet.test/file.tif?token=SECRET-TOKEN"
    with responses.RequestsMock() as api:
        for _ in range(6):
            api.get(signed, body=requests.ConnectionError(f"Max retries exceeded with url: {signed}"))
        with pytest.raises(PlanetOrdersError) as info:
            hook.call(hook.builder.download(signed))
    assert "SECRET-TOKEN" not in str(info.value)
    assert "download GET /file.tif failed" in str(info.value)
