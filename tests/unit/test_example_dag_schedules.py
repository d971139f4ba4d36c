"""
The scheduled example DAGs place no run of their own when they are unpaused.

Airflow 3.3's Trigger dialog unpauses a DAG by default. With a past ``start_date`` and
``catchup=False``, unpausing makes the scheduler place a run for the schedule point that has just
passed, beside the manual run the user asked for: two real orders for one click. The examples
therefore start paused, have no ``start_date``, and schedule with ``run_immediately=0``, so the
first scheduled run is the next schedule point after unpausing. (tests/e2e/test_full_stack.py
checks the same in a running Airflow: one click, one run.)
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pendulum
import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEDULED = {
    "example_planet_recurring_pull": "@daily",
    "example_planet_recurring_pull_by_aoi": "@daily",
    "example_planet_housekeeping": "@hourly",
}


@pytest.fixture(scope="module")
def example_dags() -> dict[str, object]:
    from airflow.sdk import DAG

    dags: dict[str, object] = {}
    for path in sorted((REPO / "example_dags").glob("example_*.py")):
        for value in runpy.run_path(str(path)).values():
            if isinstance(value, DAG):
                dags[value.dag_id] = value
    return dags


def through_the_scheduler(timetable: object) -> object:
    """The timetable as the scheduler sees it: serialized by the DAG processor, then decoded."""
    try:  # Airflow 3.2+
        from airflow.serialization.decoders import decode_timetable
        from airflow.serialization.encoders import encode_timetable
    except ImportError:  # Airflow 3.0 and 3.1
        from airflow.serialization.serialized_objects import (  # type: ignore[no-redef]
            decode_timetable,
            encode_timetable,
        )
    return decode_timetable(json.loads(json.dumps(encode_timetable(timetable))))


def first_scheduled_run(timetable: object, now: pendulum.DateTime, monkeypatch: pytest.MonkeyPatch) -> object:
    """When the scheduler places a DAG's first automated run, were it unpaused at ``now``."""
    import airflow.timetables.trigger as trigger
    from airflow.timetables.base import TimeRestriction

    monkeypatch.setattr(trigger, "utcnow", lambda: now)
    info = timetable.next_dagrun_info(  # type: ignore[attr-defined]
        last_automated_data_interval=None, restriction=TimeRestriction(None, None, False)
    )
    assert info is not None
    return info.run_after


@pytest.mark.parametrize("dag_id", sorted(SCHEDULED))
def test_scheduled_examples_start_paused_without_a_start_date(example_dags, dag_id) -> None:
    dag = example_dags[dag_id]
    assert dag.is_paused_upon_creation is True
    assert dag.catchup is False
    assert dag.start_date is None  # a start_date turns run_immediately off
    assert dag.doc_md  # the note on what unpausing and triggering do, shown in the UI


@pytest.mark.parametrize(
    "now",
    [
        pendulum.datetime(2026, 3, 4, 0, 0, 1, tz="UTC"),  # a second after midnight
        pendulum.datetime(2026, 3, 4, 0, 0, 1, tz="UTC").add(minutes=5),  # in Airflow's default window
        pendulum.datetime(2026, 3, 4, 1, 30, tz="UTC"),  # in "10% of a day" too
        pendulum.datetime(2026, 3, 4, 18, 20, tz="UTC"),
    ],
)
@pytest.mark.parametrize("dag_id", sorted(SCHEDULED))
def test_unpausing_schedules_the_next_point_not_the_last(example_dags, dag_id, now, monkeypatch) -> None:
    timetable = through_the_scheduler(example_dags[dag_id].timetable)
    if SCHEDULED[dag_id] == "@daily":  # the pull stays daily: the next midnight
        assert first_scheduled_run(timetable, now, monkeypatch) == pendulum.datetime(2026, 3, 5, tz="UTC")
    else:
        assert first_scheduled_run(timetable, now, monkeypatch) == now.start_of("hour").add(hours=1)
