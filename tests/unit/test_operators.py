"""The order operators against mocked HTTP: create and re-attach, wait, cancel, bulk cancel, list, stats."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from airflow_provider_planet_orders._compat import AirflowException, AirflowFailException, TaskDeferred
from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.operators.orders import (
    STATE_STORE_KEY,
    PlanetBulkCancelOrdersOperator,
    PlanetCancelOrderOperator,
    PlanetCreateOrderOperator,
    PlanetListOrdersOperator,
    PlanetOrderStatsOperator,
    task_instance_marker,
)
from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger
from tests.conftest import BASE_URL
from tests.unit.fakes import FakeTI, make_context
from tests.unit.test_hook_endpoints import OID, ORDERS, order

REQUEST = {
    "name": "daily pull",
    "products": [
        {"item_ids": ["20260101_000000_00_0000"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}
    ],
}
MARKER = task_instance_marker("dag", "manual__2026-11-28T00:00:00+00:00", "create", -1)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr("airflow_provider_planet_orders.operators.orders.time.sleep", lambda s: None)


@pytest.fixture
def api(planet_connection):
    with responses.RequestsMock() as mock:
        yield mock


def fast(op):
    op.hook.sleep = lambda s: None
    op.hook.limiter = RateLimiter()
    return op


def create_op(**kwargs) -> PlanetCreateOrderOperator:
    kwargs.setdefault("deferrable", False)
    kwargs.setdefault("order_request", json.loads(json.dumps(REQUEST)))
    return fast(PlanetCreateOrderOperator(task_id="create", poll_interval=1, **kwargs))


def lookup(api, orders: list[dict]) -> None:
    api.get(
        ORDERS,
        json={"orders": orders},
        match=[matchers.query_param_matcher({"name__contains": MARKER}, strict_match=False)],
    )


def posts(api) -> list[requests.PreparedRequest]:
    return [c.request for c in api.calls if c.request.method == "POST"]


# -- create ---------------------------------------------------------------------------------------


def test_creates_a_tagged_order_and_records_it_before_waiting(api) -> None:
    lookup(api, [])
    api.post(ORDERS, json=order(state="queued", name=f"daily pull [{MARKER}]"), status=202)
    context = make_context()
    result = create_op(wait_for_completion=False).execute(context)

    (post,) = posts(api)
    assert json.loads(post.body)["name"] == f"daily pull [{MARKER}]"
    assert result["id"] == OID
    assert result["state"] == "queued"
    assert context["ti"].xcom == {"order_id": OID, "order_url": f"{ORDERS}/{OID}"}
    assert context["task_state_store"].values == {STATE_STORE_KEY: OID}
    lookup_query = parse_qs(urlsplit(api.calls[0].request.url).query)
    assert lookup_query["source_type"] == ["all"]


def test_marker_is_per_task_instance() -> None:
    base = ("dag", "run", "task", -1)
    marker = task_instance_marker(*base)
    assert marker.startswith("airflow-")
    assert len(marker) == len("airflow-") + 12
    assert task_instance_marker(*base) == marker
    for other in [
        ("dag2", "run", "task", -1),
        ("dag", "run2", "task", -1),
        ("dag", "run", "t", -1),
        ("dag", "run", "task", 3),
    ]:
        assert task_instance_marker(*other) != marker


def test_deferrable_create_defers_to_the_trigger(api) -> None:
    lookup(api, [])
    api.post(ORDERS, json=order(state="queued"), status=202)
    with pytest.raises(TaskDeferred) as info:
        create_op(deferrable=True, cancel_on_kill=True, timeout=3600).execute(make_context())
    trigger = info.value.trigger
    assert isinstance(trigger, PlanetOrderTrigger)
    assert (trigger.order_id, trigger.poll_interval, trigger.cancel_on_kill) == (OID, 1.0, True)
    assert trigger.deadline is not None
    assert "order_request" not in json.dumps(trigger.serialize()[1])


def test_reattaches_to_the_order_in_the_task_state_store(api) -> None:
    context = make_context(FakeTI(try_number=2))
    context["task_state_store"].set(STATE_STORE_KEY, OID)
    api.get(f"{ORDERS}/{OID}", json=order(state="running"))
    with pytest.raises(TaskDeferred):
        create_op(deferrable=True).execute(context)
    assert posts(api) == []


def test_reattaches_by_marker_without_a_state_store(api) -> None:
    lookup(api, [order(state="running")])
    with pytest.raises(TaskDeferred) as info:
        create_op(deferrable=True).execute(make_context(state_store=False))
    assert info.value.trigger.order_id == OID
    assert posts(api) == []


def test_finished_order_of_an_earlier_try_is_returned_without_ordering_again(api) -> None:
    lookup(api, [order(state="success")])
    context = make_context(FakeTI(try_number=3))
    assert create_op(deferrable=True).execute(context)["state"] == "success"
    assert posts(api) == []
    assert context["ti"].xcom["order_id"] == OID


def test_stale_state_store_entry_falls_back_to_the_marker_lookup(api) -> None:
    failed_id, running_id = str(uuid.uuid4()), str(uuid.uuid4())
    context = make_context()
    context["task_state_store"].set(STATE_STORE_KEY, failed_id)
    api.get(f"{ORDERS}/{failed_id}", json=order(failed_id, state="failed"))
    lookup(api, [order(running_id, state="running"), order(failed_id, state="failed")])
    with pytest.raises(TaskDeferred) as info:
        create_op(deferrable=True).execute(context)
    assert info.value.trigger.order_id == running_id
    assert context["task_state_store"].values[STATE_STORE_KEY] == running_id
    assert posts(api) == []


@pytest.mark.parametrize("earlier", ["failed", "cancelled"])
def test_resubmits_after_a_failed_or_cancelled_order(api, earlier) -> None:
    lookup(api, [order(str(uuid.uuid4()), state=earlier)])
    api.post(ORDERS, json=order(state="queued"), status=202)
    assert create_op(wait_for_completion=False).execute(make_context())["id"] == OID
    assert len(posts(api)) == 1


def test_resubmit_can_be_switched_off(api) -> None:
    lookup(api, [order(state="failed", last_message="no quota")])
    with pytest.raises(AirflowFailException, match="no quota"):
        create_op(resubmit_states=()).execute(make_context())
    assert posts(api) == []


def test_reattach_off_never_looks_up_or_tags(api) -> None:
    api.post(ORDERS, json=order(state="queued"), status=202)
    create_op(reattach=False, wait_for_completion=False).execute(make_context())
    assert [c.request.method for c in api.calls] == ["POST"]
    assert json.loads(posts(api)[0].body)["name"] == "daily pull"


def test_ambiguous_create_finds_the_order_instead_of_ordering_twice(api) -> None:
    lookup(api, [])
    api.post(ORDERS, status=502)
    lookup(api, [order(state="queued")])
    result = create_op(wait_for_completion=False).execute(make_context())
    assert result["id"] == OID
    assert len(posts(api)) == 1


def test_ambiguous_create_that_did_not_happen_is_sent_again(api) -> None:
    for _ in range(4):
        lookup(api, [])
    api.post(ORDERS, body=requests.ReadTimeout("timed out"))
    api.post(ORDERS, json=order(state="queued"), status=202)
    assert create_op(wait_for_completion=False).execute(make_context())["id"] == OID
    assert len(posts(api)) == 2


def test_a_request_planet_refuses_fails_without_retry(api) -> None:
    lookup(api, [])
    api.post(ORDERS, status=400, json={"general": [{"message": "Unable to accept order"}]})
    with pytest.raises(AirflowFailException, match="Unable to accept order"):
        create_op().execute(make_context())


def test_an_invalid_request_fails_before_any_call(api) -> None:
    with pytest.raises(AirflowFailException, match=r"products\[0\]\.item_ids"):
        create_op(
            order_request={
                "name": "x",
                "products": [{"item_ids": [], "item_type": "PSScene", "product_bundle": "b"}],
            }
        ).execute(make_context())
    assert len(api.calls) == 0


def test_a_non_dict_request_fails_clearly(api) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetInvalidInputError

    with pytest.raises(PlanetInvalidInputError, match="order_request: must render to a dict"):
        create_op(order_request="{{ not rendered }}").execute(make_context())


@pytest.fixture
def async_api(planet_connection, monkeypatch):
    """The worker-side wait runs the trigger's own loop, over httpx: mocked with respx."""
    import respx

    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook

    async def no_sleep(seconds: float) -> None:
        return None

    def make(self):
        hook = PlanetOrdersAsyncHook(planet_conn_id=self.planet_conn_id)
        hook.sleep = no_sleep
        hook.limiter = RateLimiter()
        return hook

    monkeypatch.setattr(PlanetOrderTrigger, "_hook", make)
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.asyncio.sleep", no_sleep)
    with respx.mock() as mock:
        yield mock


def test_waits_in_the_worker_when_not_deferrable(api, async_api) -> None:
    import httpx

    lookup(api, [])
    api.post(ORDERS, json=order(state="queued"), status=202)
    route = async_api.get(f"{ORDERS}/{OID}").mock(
        side_effect=[httpx.Response(200, json=order(state=s)) for s in ("queued", "running", "success")]
    )
    api.get(f"{ORDERS}/{OID}", json=order(state="success"))  # the final read, after the wait
    assert create_op().execute(make_context())["state"] == "success"
    assert route.call_count == 3


def test_the_worker_wait_backs_off_through_transient_errors_as_the_trigger_does(api, async_api) -> None:
    import httpx

    lookup(api, [])
    api.post(ORDERS, json=order(state="queued"), status=202)
    failures = [httpx.Response(503)] * 6 + [httpx.ConnectError("refused")] * 3
    route = async_api.get(f"{ORDERS}/{OID}").mock(
        side_effect=[*failures, httpx.Response(200, json=order(state="success"))]
    )
    api.get(f"{ORDERS}/{OID}", json=order(state="success"))
    assert create_op().execute(make_context())["state"] == "success"
    assert route.call_count == 10


def test_non_deferrable_wait_fails_on_a_failed_order(api, async_api) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetOrderFailedError

    lookup(api, [])
    api.post(ORDERS, json=order(state="queued"), status=202)
    async_api.get(f"{ORDERS}/{OID}").respond(
        json=order(state="failed", last_message="Order failed", error_hints=["x"])
    )
    with pytest.raises(PlanetOrderFailedError, match=r"is failed: Order failed \(error hints: x\)") as info:
        create_op().execute(make_context())
    assert isinstance(info.value, AirflowFailException)
    assert (info.value.order_id, info.value.state) == (OID, "failed")


def test_non_deferrable_wait_times_out_with_a_retryable_error(api, async_api) -> None:
    lookup(api, [])
    api.post(ORDERS, json=order(state="queued"), status=202)
    op = create_op(timeout=0)  # the deadline has passed: the wait ends before any poll
    with pytest.raises(AirflowException, match="before the deadline") as info:
        op.execute(make_context())
    assert not isinstance(info.value, AirflowFailException)


@pytest.mark.parametrize(
    ("event", "outcome"),
    [
        ({"status": "success"}, "ok"),
        ({"status": "partial", "message": "some unavailable"}, AirflowFailException),
        ({"status": "failed", "message": "boom"}, AirflowFailException),
        ({"status": "cancelled", "message": "cancelled"}, AirflowFailException),
        ({"status": "timeout", "message": "still running"}, AirflowException),
        ({"status": "error", "message": "401"}, AirflowException),
    ],
)
def test_execute_complete_handles_every_status(api, event, outcome) -> None:
    event = {"order_id": OID, **event}
    op = create_op()
    if outcome == "ok":
        api.get(f"{ORDERS}/{OID}", json=order(state="success"))
        assert op.execute_complete(make_context(), event)["state"] == "success"
        return
    with pytest.raises(outcome) as info:
        op.execute_complete(make_context(), event)
    if outcome is AirflowException:
        assert not isinstance(info.value, AirflowFailException)  # retries re-attach


def test_partial_is_accepted_when_asked(api) -> None:
    api.get(f"{ORDERS}/{OID}", json=order(state="partial"))
    event = {"status": "partial", "order_id": OID}
    assert create_op(accept_partial=True).execute_complete(make_context(), event)["state"] == "partial"


def test_on_kill_cancels_a_queued_order_when_asked(api) -> None:
    route = api.put(f"{ORDERS}/{OID}", json=order(state="cancelled"))
    op = create_op(cancel_on_kill=True)
    op.on_kill()  # nothing created yet: nothing to cancel
    op._order_id = OID
    op.on_kill()
    assert route.call_count == 1
    quiet = create_op()
    quiet._order_id = OID
    quiet.on_kill()
    assert route.call_count == 1


def test_delivery_secrets_are_masked_once_templates_render(mocker) -> None:
    masked = mocker.patch("airflow_provider_planet_orders._compat._mask_secret")
    request = dict(REQUEST)
    request["delivery"] = {
        "amazon_s3": {
            "bucket": "b",
            "aws_region": "us-east-1",
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": "{{ params.secret }}",
        }
    }
    op = PlanetCreateOrderOperator(task_id="create", order_request=request, params={"secret": "s3cr3t-value"})
    op.render_template_fields({"params": {"secret": "s3cr3t-value"}})
    assert op.order_request["delivery"]["amazon_s3"]["aws_secret_access_key"] == "s3cr3t-value"
    assert mocker.call("s3cr3t-value", None) in masked.call_args_list


# -- cancel, bulk cancel, list, stats ---------------------------------------------------------------


def test_cancel_order(api) -> None:
    api.put(f"{ORDERS}/{OID}", json=order(state="cancelled"))
    op = fast(PlanetCancelOrderOperator(task_id="cancel", order_id=OID))
    context = make_context()
    assert op.execute(context)["state"] == "cancelled"
    assert context["ti"].xcom["order_url"] == f"{ORDERS}/{OID}"


def test_cancel_order_that_is_running_fails_clearly_or_is_tolerated(api) -> None:
    api.put(f"{ORDERS}/{OID}", status=409, json={"message": "Order not in a cancellable state"})
    with pytest.raises(AirflowFailException, match="409 Conflict: Order not in a cancellable state"):
        fast(PlanetCancelOrderOperator(task_id="c", order_id=OID)).execute(make_context())
    api.get(f"{ORDERS}/{OID}", json=order(state="running"))
    result = fast(PlanetCancelOrderOperator(task_id="c", order_id=OID, tolerate_not_queued=True)).execute(
        make_context()
    )
    assert result["state"] == "running"


BULK = f"{BASE_URL}/compute/ops/bulk/orders/v2/cancel"


def bulk_result(succeeded: int, failures: list[dict]) -> dict:
    return {
        "result": {
            "succeeded": {"count": succeeded},
            "failed": {"count": len(failures), "failures": failures},
        }
    }


def test_bulk_cancel_chunks_long_lists_and_sums_results(api) -> None:
    ids = [str(uuid.uuid4()) for _ in range(10_005)]
    api.post(BULK, json=bulk_result(10_000, []))
    api.post(BULK, json=bulk_result(5, []))
    result = fast(PlanetBulkCancelOrdersOperator(task_id="b", order_ids=ids)).execute(make_context())
    assert result == {"succeeded": 10_005, "failed": 0, "failures": []}
    bodies = [json.loads(r.body)["order_ids"] for r in posts(api)]
    assert [len(b) for b in bodies] == [10_000, 5]
    assert bodies[0] + bodies[1] == ids


def test_bulk_cancel_reports_and_fails_on_failures_unless_told(api, caplog, capfd) -> None:
    failure = {"order_id": OID, "message": "Order not in a cancellable state"}
    api.post(BULK, json=bulk_result(1, [failure]))
    with pytest.raises(AirflowException, match="1 of 2 orders were not cancelled"):
        fast(PlanetBulkCancelOrdersOperator(task_id="b", order_ids=[OID, str(uuid.uuid4())])).execute(
            make_context()
        )
    assert "Order not in a cancellable state" in caplog.text + "".join(capfd.readouterr())
    api.post(BULK, json=bulk_result(1, [failure]))
    op = fast(PlanetBulkCancelOrdersOperator(task_id="b", order_ids=[OID], fail_on_error=False))
    assert op.execute(make_context())["failed"] == 1


def test_bulk_cancel_everything_queued(api) -> None:
    api.post(BULK, json=bulk_result(3, []), match=[matchers.json_params_matcher({})])
    assert fast(PlanetBulkCancelOrdersOperator(task_id="b")).execute(make_context())["succeeded"] == 3


def test_bulk_cancel_of_an_empty_list_sends_nothing(api) -> None:
    assert (
        fast(PlanetBulkCancelOrdersOperator(task_id="b", order_ids=[])).execute(make_context())["succeeded"]
        == 0
    )
    assert len(api.calls) == 0


def test_list_orders_returns_a_compact_list(api) -> None:
    api.get(ORDERS, json={"orders": [order(state="queued", created_on="c", last_modified="m", extra="x")]})
    op = fast(
        PlanetListOrdersOperator(task_id="l", filters={"state": ["queued"], "name_contains": "pull"}, limit=5)
    )
    assert op.execute(make_context()) == [
        {"id": OID, "name": "o", "state": "queued", "created_on": "c", "last_modified": "m"}
    ]
    assert parse_qs(urlsplit(api.calls[0].request.url).query) == {
        "state": ["queued"],
        "name__contains": ["pull"],
        "page_size": ["100"],  # few requests: Planet allows 3 list requests a second
    }


def test_list_orders_bad_filter_fails_clearly(api) -> None:
    with pytest.raises(AirflowFailException, match="state: 'done' is not one of"):
        fast(PlanetListOrdersOperator(task_id="l", filters={"state": "done"})).execute(make_context())


def test_list_orders_unknown_filter_names_the_field(api) -> None:
    with pytest.raises(AirflowFailException, match="name_contain") as info:
        fast(PlanetListOrdersOperator(task_id="l", filters={"name_contain": "x"})).execute(make_context())
    assert "name_contains" in str(info.value)  # says which filters exist


def test_order_stats(api) -> None:
    stats = {
        "user": {"queued_orders": 1, "running_orders": 2},
        "organization": {"queued_orders": 5, "running_orders": 9},
    }
    api.get(f"{BASE_URL}/compute/ops/stats/orders/v2", json=stats)
    assert fast(PlanetOrderStatsOperator(task_id="s")).execute(make_context()) == stats


def test_planets_archive_placeholders_survive_template_rendering() -> None:
    request = dict(REQUEST)
    request["delivery"] = {"archive_type": "zip", "archive_filename": "{{name}}_{{order_id}}.zip"}
    request["name"] = "pull {{ ds }}"
    op = PlanetCreateOrderOperator(task_id="create", order_request=request)
    op.render_template_fields({"ds": "2026-11-28"})
    assert op.order_request["name"] == "pull 2026-11-28"
    assert op.order_request["delivery"]["archive_filename"] == "{{name}}_{{order_id}}.zip"


def test_a_lost_create_never_adopts_an_earlier_order_of_the_task(api) -> None:
    failed = order(str(uuid.uuid4()), state="failed")
    lookup(api, [failed])  # the new order is not listed (yet): only the old, failed one
    api.post(ORDERS, status=504)
    api.post(ORDERS, json=order(state="queued"), status=202)
    result = create_op(wait_for_completion=False).execute(make_context())
    assert result["id"] == OID  # submitted again rather than mistaking the failed order for it
    assert len(posts(api)) == 2


@pytest.mark.parametrize("event", [None, {}, {"status": "success"}, ["success"], {"order_id": OID}])
def test_execute_complete_refuses_a_missing_or_malformed_event(api, event) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetOrdersError

    with pytest.raises(PlanetOrdersError, match="resumed with") as info:
        create_op().execute_complete(make_context(), event)
    assert not isinstance(info.value, AirflowFailException)  # a retry re-attaches to the order
    assert len(api.calls) == 0


def test_bad_request_errors_keep_their_type_and_fail_fast(api) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetBadRequestError

    lookup(api, [])
    api.post(ORDERS, status=400, json={"field": {"Details": [{"message": "Bad item type"}]}})
    with pytest.raises(PlanetBadRequestError, match="Bad item type") as info:
        create_op().execute(make_context())
    assert isinstance(info.value, AirflowFailException)
    assert info.value.status == 400
