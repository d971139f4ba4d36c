"""
Order request validation, as the real service does it, with Planet's 400 body.

Pydantic checks the shapes; a few cross-field rules (item count, delivery or hosting, tools per
source type) follow. Every problem is reported at once, keyed by its JSON path
(``products[0].item_ids``), in Planet's ``{"field": ..., "general": ...}`` form.

Item type x bundle combinations are checked against Planet's bundle spec
(:class:`~airflow_provider_planet_orders.core.bundles.BundleSpec`, the copy the emulator also
serves), and reported under ``Products`` as Planet does (``"Bad item type 'PSScene' for bundle type
'analytic'"``): a client whose own check is looser must meet the refusal here, not only in
production.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airflow_provider_planet_orders.core.api import (
    ARCHIVE_TYPES,
    HARMONIZE_TARGET_SENSORS,
    MAX_ITEMS_PER_ORDER,
    TOOLS_BY_SOURCE_TYPE,
)
from airflow_provider_planet_orders.core.bundles import BundleCheck, BundleSpec, split_fallbacks
from airflow_provider_planet_orders.emulator.store import CLOUD_TARGETS

SCENE_TOOLS = frozenset(TOOLS_BY_SOURCE_TYPE["scenes"])
BASEMAP_TOOLS = frozenset(TOOLS_BY_SOURCE_TYPE["basemaps"])

_NonEmpty = Field(min_length=1)


class _Open(BaseModel):
    """Fields the reference does not pin down are kept and echoed back."""

    model_config = ConfigDict(extra="allow")


class SceneProduct(_Open):
    item_ids: list[str] = _NonEmpty
    item_type: str = _NonEmpty
    product_bundle: str = _NonEmpty


class BasemapProduct(_Open):
    mosaic_name: str = _NonEmpty
    geometry: dict[str, Any] | None = None


class Webhook(_Open):
    url: str = Field(pattern=r"^https?://\S+$")
    per_order: bool = True


class Notifications(_Open):
    webhook: Webhook | None = None
    email: bool | None = None


class SentinelHub(_Open):
    collection_id: str | None = None
    create_configuration: bool | None = None
    configuration_id: str | None = None


class Hosting(_Open):
    sentinel_hub: SentinelHub


class Delivery(_Open):
    single_archive: bool | None = None
    archive_type: str | None = None
    archive_filename: str | None = None
    layout: dict[str, Any] | None = None


class OrderRequest(_Open):
    name: str = _NonEmpty
    subscription_id: int = 0
    products: list[dict[str, Any]] = _NonEmpty
    delivery: Delivery | None = None
    notifications: Notifications | None = None
    order_type: Literal["full", "partial"] = "full"
    source_type: Literal["scenes", "basemaps"] = "scenes"
    tools: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    hosting: Hosting | None = None


class OrderRequestInvalid(ValueError):
    """A refused order request, with the body Planet would answer."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = list(problems)

    def body(self) -> dict[str, Any]:
        fields: dict[str, list[dict[str, str]]] = {}
        for path, message in self.problems:
            fields.setdefault(path or "request", []).append({"message": message})
        return {"field": fields, "general": [{"message": "Unable to accept order"}]}


def json_path(loc: Sequence[int | str]) -> str:
    """``("products", 0, "item_ids")`` -> ``products[0].item_ids``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _pydantic_problems(error: ValidationError, prefix: Sequence[int | str] = ()) -> list[tuple[str, str]]:
    return [(json_path([*prefix, *e["loc"]]), e["msg"]) for e in error.errors()]


def validate_order_request(raw: Any) -> dict[str, Any]:
    """
    Return the request to store and echo (defaults filled in), or raise :class:`OrderRequestInvalid`.
    """
    if not isinstance(raw, dict):
        raise OrderRequestInvalid([("", "the order request must be a JSON object")])
    try:
        request = OrderRequest.model_validate(raw)
    except ValidationError as error:
        raise OrderRequestInvalid(_pydantic_problems(error)) from None

    problems: list[tuple[str, str]] = []
    product_model = BasemapProduct if request.source_type == "basemaps" else SceneProduct
    items = 0
    for index, product in enumerate(request.products):
        try:
            checked = product_model.model_validate(product)
        except ValidationError as error:
            problems += _pydantic_problems(error, ("products", index))
            continue
        if isinstance(checked, SceneProduct):
            items += len(checked.item_ids)
            problems += bundle_problems(checked.item_type, checked.product_bundle)
        else:
            items += 1
    if items > MAX_ITEMS_PER_ORDER:
        problems.append(("products", f"an order holds at most {MAX_ITEMS_PER_ORDER} items, got {items}"))

    allowed = BASEMAP_TOOLS if request.source_type == "basemaps" else SCENE_TOOLS
    for index, tool in enumerate(request.tools or []):
        if len(tool) != 1:
            problems.append((f"tools[{index}]", "a tool is an object with exactly one tool name as key"))
            continue
        ((tool_name, options),) = tool.items()
        if tool_name not in allowed:
            problems.append(
                (
                    f"tools[{index}]",
                    f"unknown tool {tool_name!r} for {request.source_type} orders "
                    f"(known: {', '.join(sorted(allowed))})",
                )
            )
        elif not isinstance(options, dict):
            problems.append((f"tools[{index}].{tool_name}", "tool options must be an object"))
        elif tool_name == "harmonize" and options.get("target_sensor") not in HARMONIZE_TARGET_SENSORS:
            problems.append(
                (
                    f"tools[{index}].harmonize.target_sensor",
                    f"{options.get('target_sensor')!r} is not a valid target_sensor "
                    f"(valid: {', '.join(HARMONIZE_TARGET_SENSORS)})",
                )
            )

    delivery = raw.get("delivery") or {}
    targets = sorted(CLOUD_TARGETS & set(delivery))
    if len(targets) > 1:
        problems.append(("delivery", f"choose one delivery target, got {', '.join(targets)}"))
    if "destination" in delivery:
        destination = delivery["destination"]
        if not isinstance(destination, dict) or not isinstance(destination.get("ref"), str):
            problems.append(("delivery.destination.ref", "a destination delivery needs its ref"))
    archive_type = delivery.get("archive_type")
    if archive_type is not None and archive_type not in ARCHIVE_TYPES:
        problems.append(
            ("delivery.archive_type", f"{archive_type!r} is not one of {', '.join(map(repr, ARCHIVE_TYPES))}")
        )
    if raw.get("delivery") and raw.get("hosting"):
        problems.append(("hosting", "delivery and hosting cannot both be specified"))

    if problems:
        raise OrderRequestInvalid(problems)
    echoed = dict(raw)
    echoed.setdefault("subscription_id", request.subscription_id)
    echoed.setdefault("order_type", request.order_type)
    echoed.setdefault("source_type", request.source_type)
    return echoed


def bundle_problems(item_type: str, product_bundle: str) -> list[tuple[str, str]]:
    """
    Planet's refusals for one scene product, each fallback bundle checked, under ``Products``.

    Only the first message is Planet's wording (seen in its answers); the other two are the
    emulator's, for names the spec does not know at all.
    """
    spec = BundleSpec.vendored()
    problems = []
    for bundle in split_fallbacks(product_bundle):
        verdict = spec.check(item_type, bundle)
        if verdict is BundleCheck.INVALID:
            problems.append(("Products", f"Bad item type '{item_type}' for bundle type '{bundle}'"))
        elif verdict is BundleCheck.UNKNOWN_BUNDLE:
            problems.append(("Products", f"Unknown bundle type '{bundle}'"))
        elif verdict is BundleCheck.UNKNOWN_ITEM_TYPE:
            problems.append(("Products", f"Unknown item type '{item_type}'"))
            break
    return problems
