"""
What Airflow learns about this provider through the ``apache_airflow_provider`` entry point.

Kept free of heavy imports: Airflow calls it in every process that lists providers.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_planet_orders import __version__
from airflow_provider_planet_orders.core.defaults import EXTRA_DEFAULTS

INTEGRATION = "Planet Orders API"
PACKAGE = "airflow_provider_planet_orders"

#: The connection form: fields shown, relabelled and hinted (Airflow 3.2+ reads this
#: declaratively; the hook's ``get_ui_field_behaviour`` serves older releases).
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    # The login is the OAuth2 client id (extra ``auth`` = ``oauth2``); API keys leave it empty.
    "hidden_fields": ["schema", "extra"],
    # Airflow 3.3.2 and earlier send port 0 when testing a connection saved with an empty port, then
    # refuse the test because 0 differs from the stored port (fixed upstream after 3.3.2, in
    # apache/airflow#73298). A stored 0 avoids that, and the hooks read 0 as no port: say so here.
    "relabeling": {
        "password": "API key",
        "login": "OAuth2 client id",
        "host": "Base URL",
        "port": "Port (put 0 on Airflow 3.3.2 and earlier)",
    },
    "placeholders": {
        "password": "Your Planet API key (falls back to PL_API_KEY), or the OAuth2 client secret",
        "login": "Only with Auth = oauth2; empty for an API key",
        "token_url": "https://login.example.com/oauth2/token",
        "host": "https://api.planet.com (leave empty unless you use a proxy or the emulator)",
        **{name: f"{EXTRA_DEFAULTS[name]:g}" for name in ("connect_timeout", "read_timeout", "max_retries")},
        "rate_limits": '{"get": 3, "list": 3, "create": 3}',
        "port": "0 means no port; empty breaks Test on Airflow ≤ 3.3.2",
    },
}

#: Connection extras shown as their own form fields.
CONN_FIELDS: dict[str, Any] = {
    "auth": {
        "label": "Auth",
        "schema": {
            "type": ["string", "null"],
            "enum": ["basic", "api-key", "oauth2", None],
            "default": "basic",
        },
        "description": "How requests carry the credentials: basic (the API key as HTTP Basic user name), "
        "api-key (the header 'Authorization: api-key <KEY>'), or oauth2 (client credentials: the login is "
        "the client id, the password the secret, tokens come from the token URL).",
    },
    "token_url": {
        "label": "OAuth2 token URL",
        "schema": {"type": ["string", "null"]},
        "description": "With Auth = oauth2: the token endpoint (client credentials grant).",
    },
    "scope": {
        "label": "OAuth2 scope",
        "schema": {"type": ["string", "null"]},
        "description": "With Auth = oauth2, optional: the scopes to ask for, separated by spaces.",
    },
    "connect_timeout": {
        "label": "Connect timeout (s)",
        "schema": {"type": ["number", "null"], "default": EXTRA_DEFAULTS["connect_timeout"]},
        "description": "Seconds to wait for a TCP/TLS connection to Planet.",
    },
    "read_timeout": {
        "label": "Read timeout (s)",
        "schema": {"type": ["number", "null"], "default": EXTRA_DEFAULTS["read_timeout"]},
        "description": "Seconds to wait for Planet's answer once the request is sent.",
    },
    "max_retries": {
        "label": "Max retries",
        "schema": {"type": ["integer", "null"], "default": EXTRA_DEFAULTS["max_retries"]},
        "description": "Retries after 429, 5xx and network errors, with exponential backoff.",
    },
    "backoff_initial": {
        "label": "First backoff (s)",
        "schema": {"type": ["number", "null"], "default": EXTRA_DEFAULTS["backoff_initial"]},
        "description": "First wait before a retry; it doubles each retry, with jitter.",
    },
    "backoff_max": {
        "label": "Max backoff (s)",
        "schema": {"type": ["number", "null"], "default": EXTRA_DEFAULTS["backoff_max"]},
        "description": "Longest wait between two retries.",
    },
    "max_retry_after": {
        "label": "Max Retry-After (s)",
        "schema": {"type": ["number", "null"], "default": EXTRA_DEFAULTS["max_retry_after"]},
        "description": "Longest Retry-After honoured, so that a broken header cannot park a task.",
    },
    "rate_limit": {
        "label": "Client-side rate limiting",
        "schema": {"type": ["boolean", "null"], "default": EXTRA_DEFAULTS["rate_limit"]},
        "description": "Pace requests under Planet's per-key limits, shared by every hook in a process "
        "(one task, or all the waits of a triggerer).",
    },
    "rate_limits": {
        "label": "Rate limits (JSON)",
        "schema": {"type": ["string", "null"]},
        "description": "Requests per second per endpoint, overriding Planet's documented defaults: "
        "create, get, list, cancel, bulk_cancel, stats, download.",
    },
}


def _modules(kind: str, *names: str) -> list[dict[str, Any]]:
    return [{"integration-name": INTEGRATION, "python-modules": [f"{PACKAGE}.{kind}.{n}" for n in names]}]


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-planet-orders",
        "name": "Planet Orders",
        "description": "Order, wait for and download Planet satellite imagery with the Orders API v2.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://docs.planet.com/develop/apis/orders/",
                "how-to-guide": [],
                "tags": ["service"],
            }
        ],
        "operators": _modules("operators", "orders", "download"),
        "hooks": _modules("hooks", "orders"),
        "sensors": _modules("sensors", "orders"),
        "triggers": _modules("triggers", "orders"),
        "connection-types": [
            {
                "connection-type": "planet",
                "hook-class-name": f"{PACKAGE}.hooks.orders.PlanetOrdersHook",
                "hook-name": "Planet Orders",
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": {
                    "hidden-fields": UI_FIELD_BEHAVIOUR["hidden_fields"],
                    "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
                    "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
                },
            }
        ],
        "extra-links": [f"{PACKAGE}.links.PlanetOrderLink"],
    }
