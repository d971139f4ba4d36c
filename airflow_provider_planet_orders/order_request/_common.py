"""
Names and helpers shared by the builders, the validator and the secrets helpers.

The enumerations below are what Planet's Orders API reference and Planet's own SDK document.
Closed sets (order types, file formats, ...) are enforced; open sets that Planet extends over time
(item types, product bundles, harmonize target sensors, delivery layouts) only produce warnings.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Sequence

from airflow_provider_planet_orders.core.api import MAX_ITEMS_PER_ORDER
from airflow_provider_planet_orders.core.bundles import BundleSpec

ORDER_TYPES: tuple[str, ...] = ("full", "partial")
#: ``all`` is a list filter only: an order is either scenes or basemaps.
ORDER_SOURCE_TYPES: tuple[str, ...] = ("scenes", "basemaps")
ARCHIVE_TYPES: tuple[str, ...] = ("zip",)
LAYOUT_FORMATS: tuple[str, ...] = ("standard",)
FILE_FORMATS: tuple[str, ...] = ("COG", "PL_NITF")
REPROJECT_KERNELS: tuple[str, ...] = (
    "near",
    "bilinear",
    "cubic",
    "cubicspline",
    "lanczos",
    "average",
    "mode",
    "min",
    "max",
    "med",
    "q1",
    "q3",
)
BANDMATH_PIXEL_TYPES: tuple[str, ...] = ("Auto", "8U", "16U", "16S", "32R")
BANDMATH_MAX_BANDS = 15
COMPOSITE_GROUP_BY: tuple[str, ...] = ("order", "strip_id")
#: Harmonize target sensors Planet dropped: they warn (Planet's SDK refuses them).
DROPPED_HARMONIZE_TARGET_SENSORS: tuple[str, ...] = ("PS2",)
CLOUD_FILTER_METRICS: tuple[str, ...] = (
    "clear_percent",
    "cloud_percent",
    "shadow_percent",
    "heavy_haze_percent",
    "light_haze_percent",
    "snow_ice_percent",
)

#: The key, inside a cloud-target block, that names an Airflow connection holding its credentials.
CONNECTION_MARKER = "airflow_conn_id"
#: Cloud targets whose credentials can come from an Airflow connection.
CONNECTION_TARGETS: tuple[str, ...] = ("amazon_s3", "s3_compatible", "google_cloud_storage")

#: Item types Planet's catalog has offered. Unknown ones only warn: Planet adds item types.
_CATALOG_ITEM_TYPES: tuple[str, ...] = (
    "PSScene",
    "PSOrthoTile",
    "REOrthoTile",
    "REScene",
    "SkySatScene",
    "SkySatCollect",
    "SkySatVideo",
    "Landsat8L1G",
    "Sentinel2L1C",
    "Sentinel1",
    "MOD09GA",
    "MOD09GQ",
    "MYD09GA",
    "MYD09GQ",
    "TanagerScene",
    "PelicanScene",
    "PSScene3Band",
    "PSScene4Band",
)
KNOWN_ITEM_TYPES: tuple[str, ...] = tuple(
    dict.fromkeys(BundleSpec.vendored().item_types() + _CATALOG_ITEM_TYPES)
)

#: Product bundles of the bundle spec shipped with the package (Planet's, vendored). Unknown ones
#: only warn: Planet adds bundles, and a live spec may know them.
KNOWN_PRODUCT_BUNDLES: tuple[str, ...] = BundleSpec.vendored().bundles()

MAX_ITEMS = MAX_ITEMS_PER_ORDER
#: Planet's lower limit for zipped orders of these item types (its Orders API overview).
MAX_ZIPPED_ITEMS = 50
ZIP_LIMITED_ITEM_TYPES: tuple[str, ...] = ("SkySatCollect", "TanagerScene", "PelicanScene")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PlanetOrderRequestWarning(UserWarning):
    """
    Something in an order request looks wrong, but may be right: Planet's API grows.

    Raised for unknown keys, item types, product bundles and similar open-ended names.
    :attr:`path` is the JSON path (``products[0].item_type``) and :attr:`problem` the message.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '(request)'}: {problem}")
        self.path = path
        self.problem = problem

    def __reduce__(self) -> tuple[type[PlanetOrderRequestWarning], tuple[str, str]]:
        # The default rebuilds from the formatted message alone, which __init__ does not take.
        return (type(self), (self.path, self.problem))


def join_path(base: str, *parts: str | int) -> str:
    """``join_path("tools", 2, "clip")`` is ``tools[2].clip``; odd keys are quoted: ``a["b c"]``."""
    path = base
    for part in parts:
        if isinstance(part, int):
            path = f"{path}[{part}]"
        elif _IDENTIFIER.match(part):
            path = f"{path}.{part}" if path else part
        else:
            path = f"{path}[{json.dumps(part)}]"
    return path


def path_sort_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort JSON paths the way a reader expects: ``products[2]`` before ``products[10]``."""
    tokens = re.findall(r"\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]|([^.\[\]]+)", path)
    key: list[tuple[int, int | str]] = []
    for index, quoted, name in tokens:
        if index:
            key.append((0, int(index)))
        else:
            key.append((1, quoted or name))
    return tuple(key)


def json_type(value: object) -> str:
    """The JSON name of a value's type, as a person reading the request would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def show(value: object, limit: int = 60) -> str:
    """A short ``repr`` for messages. Only ever used for values that cannot be secrets."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """The choice ``value`` was probably meant to be: same letters in another case, or a near miss."""
    options = list(choices)
    lowered = value.lower()
    for option in options:
        if option.lower() == lowered:
            return option
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.75)
    return close[0] if close else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or nothing."""
    hint = suggest(value, choices)
    return f" (did you mean {hint!r}?)" if hint is not None and hint != value else ""


def one_of(choices: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in choices)


def is_json_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
