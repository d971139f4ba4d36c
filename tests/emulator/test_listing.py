"""List orders: paging by marker with an absolute ``next``, every filter, sorting, and 400s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, QUEUED, RUNNING, scene_order

HOSTING = {"sentinel_hub": {"collection_id": "4bdef85c-3f50-4006-a713-2350da665f80"}}


def basemap_order(name: str) -> dict[str, Any]:
    return {"name": name, "source_type": "basemaps", "products": [{"mosaic_name": "global_monthly"}]}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def fleet(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> dict[str, dict[str, Any]]:
    """Orders one second apart: two finished, one running, one cancelled, three queued."""
    orders: dict[str, dict[str, Any]] = {}

    def create(name: str, body: dict[str, Any], *, cancel: bool = False) -> None:
        orders[name] = hook.create_order(body)
        if cancel:
            hook.cancel_order(orders[name]["id"])
        emulator.advance(1)

    create("alpha-done", scene_order("alpha-done"))
    create("beta-done", scene_order("beta-done", hosting=HOSTING))
    emulator.advance(QUEUED + RUNNING)
    create("gamma-running", scene_order("gamma-running"))
    emulator.advance(QUEUED)
    create("delta-cancelled", scene_order("delta-cancelled"), cancel=True)
    create("epsilon-queued", scene_order("epsilon-queued"))
    create("zeta-queued", scene_order("zeta-queued", hosting=HOSTING))
    create("mosaic-queued", basemap_order("mosaic-queued"))
    return orders


def names(orders: Any) -> list[str]:
    return [o["name"] for o in orders]


def test_default_lists_scenes_newest_first(fleet: dict[str, Any], hook: PlanetOrdersHook) -> None:
    assert names(hook.list_orders()) == [
        "zeta-queued",
        "epsilon-queued",
        "delta-cancelled",
        "gamma-running",
        "beta-done",
        "alpha-done",
    ]


def test_paging_follows_absolute_next_links(
    fleet: dict[str, Any], emulator: EmulatorHandle, hook: PlanetOrdersHook, client: httpx.Client
) -> None:
    assert len(list(hook.list_orders(page_size=2, source_type="all"))) == 7
    assert emulator.stats()["requests"]["list"] == {"200": 4}

    page = client.get(ORDERS, params={"page_size": 4, "state": "queued", "source_type": "all"}).json()
    assert names(page["orders"]) == ["mosaic-queued", "zeta-queued", "epsilon-queued"]
    assert "next" not in page["_links"]

    first = client.get(ORDERS, params={"page_size": 2, "name__contains": "e"}).json()
    nxt = first["_links"]["next"]
    assert nxt.startswith(emulator.url + ORDERS + "?")
    query = parse_qs(urlsplit(nxt).query)
    assert query["page_size"] == ["2"]
    assert query["name__contains"] == ["e"]
    assert query["page_marker"]
    assert first["_links"]["_self"].startswith(emulator.url)


def test_a_new_order_does_not_shift_pages_being_read(
    fleet: dict[str, Any], hook: PlanetOrdersHook, client: httpx.Client
) -> None:
    first = client.get(ORDERS, params={"page_size": 3}).json()
    hook.create_order(scene_order("newcomer"))
    second = client.get(first["_links"]["next"]).json()
    assert names(first["orders"]) + names(second["orders"]) == names(
        o for o in hook.list_orders() if o["name"] != "newcomer"
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("queued", {"epsilon-queued", "zeta-queued"}),
        (["running", "cancelled"], {"gamma-running", "delta-cancelled"}),
        (["success"], {"alpha-done", "beta-done"}),
        (["failed", "partial"], set()),
    ],
)
def test_state_filter_repeats_and_ors(
    fleet: dict[str, Any], hook: PlanetOrdersHook, state: Any, expected: set[str]
) -> None:
    assert set(names(hook.list_orders(state=state))) == expected


@pytest.mark.parametrize(
    ("source_type", "expected"),
    [
        ("basemaps", {"mosaic-queued"}),
        (["scenes", "basemaps"], 7),
        ("all", 7),
        ("scenes", 6),
    ],
)
def test_source_type_filter(
    fleet: dict[str, Any], hook: PlanetOrdersHook, source_type: Any, expected: Any
) -> None:
    found = names(hook.list_orders(source_type=source_type))
    assert (set(found) if isinstance(expected, set) else len(found)) == expected


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"source_type": "scenes,basemaps"}, 7),
        ({"source_type": "basemaps, all"}, 7),
        ({"source_type": ["basemaps", "scenes"]}, 7),
        ({"source_type": "basemaps,"}, 1),
        ({"source_type": "all"}, 7),
        ({}, 6),
    ],
)
def test_source_type_takes_the_comma_form_repeats_and_all(
    fleet: dict[str, Any], client: httpx.Client, params: dict[str, Any], count: int
) -> None:
    page = client.get(ORDERS, params={**params, "page_size": 100})
    assert page.status_code == 200, page.text
    assert len(page.json()["orders"]) == count
    refused = client.get(ORDERS, params={"source_type": "scenes,videos"})
    assert refused.status_code == 400
    assert "'videos'" in refused.json()["field"]["source_type"][0]["message"]


def test_list_pages_carry_no_results_only_a_get_does(
    fleet: dict[str, Any], client: httpx.Client, emulator: EmulatorHandle
) -> None:
    done = fleet["alpha-done"]
    page = client.get(ORDERS, params={"name": "alpha-done"}).json()
    assert page["orders"][0]["state"] == "success"
    assert page["orders"][0]["_links"] == {"_self": f"{emulator.url}{ORDERS}/{done['id']}"}
    assert client.get(f"{ORDERS}/{done['id']}").json()["_links"]["results"]


def test_interval_ends_are_exclusive_over_http(fleet: dict[str, Any], client: httpx.Client) -> None:
    created = fleet["gamma-running"]["created_on"]

    def listed(value: str) -> list[str]:
        return names(client.get(ORDERS, params={"created_on": value, "page_size": 100}).json()["orders"])

    assert listed(created) == ["gamma-running"]
    assert "gamma-running" in listed(f"{created}/..")
    assert "gamma-running" not in listed(f"../{created}")
    assert listed(f"{created}/{created}") == []


def test_name_filters(fleet: dict[str, Any], hook: PlanetOrdersHook) -> None:
    assert names(hook.list_orders(name="gamma-running")) == ["gamma-running"]
    assert names(hook.list_orders(name="gamma")) == []
    assert set(names(hook.list_orders(name_contains="-done"))) == {"alpha-done", "beta-done"}


def test_created_on_instants_and_intervals(fleet: dict[str, Any], hook: PlanetOrdersHook) -> None:
    gamma = parse(fleet["gamma-running"]["created_on"])
    epsilon = parse(fleet["epsilon-queued"]["created_on"])
    assert names(hook.list_orders(created_on=fleet["gamma-running"]["created_on"])) == ["gamma-running"]
    assert names(hook.list_orders(created_on=gamma)) == ["gamma-running"]
    # Planet's intervals include their start and exclude their end.
    assert set(names(hook.list_orders(created_on=(gamma, epsilon)))) == {"gamma-running", "delta-cancelled"}
    assert set(names(hook.list_orders(created_on=(gamma, epsilon + timedelta(milliseconds=1))))) == {
        "gamma-running",
        "delta-cancelled",
        "epsilon-queued",
    }
    assert names(hook.list_orders(created_on=(gamma, gamma))) == []
    assert set(names(hook.list_orders(created_on=(epsilon, None)))) == {"epsilon-queued", "zeta-queued"}
    assert set(names(hook.list_orders(created_on=(None, gamma)))) == {"alpha-done", "beta-done"}


def test_last_modified_intervals(fleet: dict[str, Any], hook: PlanetOrdersHook) -> None:
    cancelled = hook.get_order(fleet["delta-cancelled"]["id"])
    since = parse(cancelled["last_modified"])
    recent = set(names(hook.list_orders(last_modified=(since, None))))
    assert recent == {"delta-cancelled", "epsilon-queued", "zeta-queued"}
    assert names(hook.list_orders(last_modified=cancelled["last_modified"])) == ["delta-cancelled"]
    before = set(names(hook.list_orders(last_modified=(None, since))))
    assert before == {"alpha-done", "beta-done", "gamma-running"}


def test_hosting_filter(fleet: dict[str, Any], hook: PlanetOrdersHook) -> None:
    assert set(names(hook.list_orders(hosting=True))) == {"beta-done", "zeta-queued"}
    assert "beta-done" not in names(hook.list_orders(hosting=False))


@pytest.mark.parametrize(
    ("sort_by", "expected"),
    [
        (
            "name",
            ["alpha-done", "beta-done", "delta-cancelled", "epsilon-queued", "gamma-running", "zeta-queued"],
        ),
        (
            "name DESC",
            ["zeta-queued", "gamma-running", "epsilon-queued", "delta-cancelled", "beta-done", "alpha-done"],
        ),
        (
            "created_on ASC",
            ["alpha-done", "beta-done", "gamma-running", "delta-cancelled", "epsilon-queued", "zeta-queued"],
        ),
        (
            "state DESC,name ASC",
            ["alpha-done", "beta-done", "gamma-running", "epsilon-queued", "zeta-queued", "delta-cancelled"],
        ),
        (
            ["state", "created_on DESC"],
            ["delta-cancelled", "zeta-queued", "epsilon-queued", "gamma-running", "beta-done", "alpha-done"],
        ),
        (
            "last_modified DESC,name",
            ["zeta-queued", "epsilon-queued", "delta-cancelled", "gamma-running", "beta-done", "alpha-done"],
        ),
    ],
)
def test_sort_by_several_fields_and_directions(
    fleet: dict[str, Any], hook: PlanetOrdersHook, sort_by: Any, expected: list[str]
) -> None:
    assert names(hook.list_orders(sort_by=sort_by)) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "exploded"}, "state"),
        ({"source_type": "videos"}, "source_type"),
        ({"created_on": "yesterday"}, "created_on"),
        ({"created_on": "2026-01-01"}, "created_on"),
        ({"created_on": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z/2026-01-03T00:00:00Z"}, "created_on"),
        ({"created_on": "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z"}, "created_on"),
        ({"last_modified": "../.."}, "last_modified"),
        ({"last_modified": "2026-01-01T00:00:00"}, "last_modified"),
        ({"hosting": "maybe"}, "hosting"),
        ({"sort_by": "size"}, "sort_by"),
        ({"sort_by": "name UPWARDS"}, "sort_by"),
        ({"sort_by": "name,"}, "sort_by"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"page_marker": "not-a-marker"}, "page_marker"),
    ],
)
def test_bad_filter_values_get_400(client: httpx.Client, params: dict[str, str], field: str) -> None:
    response = client.get(ORDERS, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert field in body["field"], body
    assert body["general"]


def test_planets_sdk_parameters_are_accepted(fleet: dict[str, Any], client: httpx.Client) -> None:
    page = client.get(ORDERS, params={"source_type": "all", "user_id": "all", "hosting": "false"}).json()
    assert len(page["orders"]) == 5
    utc = datetime(2020, 1, 1, tzinfo=timezone.utc).isoformat()
    assert client.get(ORDERS, params={"created_on": f"{utc}/.."}).status_code == 200
