"""Small stand-ins for what Airflow hands an operator at run time, for unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FakeStateStore:
    """The task state store of Airflow 3.3: get/set of JSON values per task instance."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.values[key] = value


@dataclass
class FakeTI:
    dag_id: str = "dag"
    run_id: str = "manual__2026-11-28T00:00:00+00:00"
    task_id: str = "create"
    map_index: int = -1
    try_number: int = 1
    xcom: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def make_context(ti: FakeTI | None = None, *, state_store: bool = True) -> dict[str, Any]:
    context: dict[str, Any] = {"ti": ti or FakeTI()}
    if state_store:
        context["task_state_store"] = FakeStateStore()
    return context
