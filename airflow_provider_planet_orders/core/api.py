"""Facts about Planet's Orders API v2: paths, endpoints, states and documented limits."""

from __future__ import annotations

from enum import Enum

DEFAULT_BASE_URL = "https://api.planet.com"

ORDERS_PATH = "/compute/ops/orders/v2"
BULK_CANCEL_PATH = "/compute/ops/bulk/orders/v2/cancel"
STATS_PATH = "/compute/ops/stats/orders/v2"

#: Every state an order can be in, in lifecycle order.
ORDER_STATES: tuple[str, ...] = ("queued", "running", "success", "partial", "failed", "cancelled")
#: States an order never leaves.
TERMINAL_STATES: frozenset[str] = frozenset({"success", "partial", "failed", "cancelled"})
#: States of an order Planet is still working on (queued or running): the others are terminal.
UNFINISHED_STATES: tuple[str, ...] = tuple(s for s in ORDER_STATES if s not in TERMINAL_STATES)
#: Terminal states in which the order delivered at least some of its products.
SUCCESS_STATES: frozenset[str] = frozenset({"success", "partial"})

SOURCE_TYPES: tuple[str, ...] = ("scenes", "basemaps", "all")
SORT_FIELDS: tuple[str, ...] = ("name", "created_on", "state", "last_modified")

#: Every tool of the reference, in the reference's order.
TOOL_NAMES: tuple[str, ...] = (
    "harmonize",
    "coregister",
    "toar",
    "clip",
    "reproject",
    "bandmath",
    "composite",
    "tile",
    "cloud_filter",
    "file_format",
    "merge",
)
#: The tools each source type accepts (Planet's "Supported Tools" table; ``merge`` is for basemaps).
TOOLS_BY_SOURCE_TYPE: dict[str, tuple[str, ...]] = {
    "scenes": TOOL_NAMES[:-1],
    "basemaps": ("clip", "file_format", "merge", "reproject", "bandmath"),
}
#: Cloud delivery targets: with one of them (or with ``hosting``) Planet makes no download links.
#: ``destination`` refers to a destination registered with Planet's Destinations API.
CLOUD_TARGETS: tuple[str, ...] = (
    "amazon_s3",
    "azure_blob_storage",
    "google_cloud_storage",
    "google_earth_engine",
    "oracle_cloud_storage",
    "planet_folders",
    "s3_compatible",
    "destination",
)

MAX_ITEMS_PER_ORDER = 500
MAX_BULK_CANCEL_IDS = 10_000


class Endpoint(str, Enum):
    """
    One Orders API operation. The value is the key used in connection extras for rate limits.

    ``operation`` is the client method that calls it, used in error messages.
    """

    CREATE = "create"
    GET = "get"
    LIST = "list"
    CANCEL = "cancel"
    BULK_CANCEL = "bulk_cancel"
    STATS = "stats"
    DOWNLOAD = "download"
    SPEC = "spec"

    @property
    def operation(self) -> str:
        return _OPERATIONS[self]


_OPERATIONS = {
    Endpoint.CREATE: "create_order",
    Endpoint.GET: "get_order",
    Endpoint.LIST: "list_orders",
    Endpoint.CANCEL: "cancel_order",
    Endpoint.BULK_CANCEL: "cancel_orders",
    Endpoint.STATS: "get_order_stats",
    Endpoint.DOWNLOAD: "download",
    Endpoint.SPEC: "get_bundle_spec",
}

#: Planet's documented per-key limits, in requests per second.
DEFAULT_RATE_LIMITS: dict[Endpoint, float] = {
    Endpoint.CREATE: 3,
    Endpoint.GET: 3,
    Endpoint.LIST: 3,
    Endpoint.CANCEL: 3,
    Endpoint.BULK_CANCEL: 5,
    Endpoint.STATS: 5,
    Endpoint.DOWNLOAD: 5,
    # Planet publishes no limit for the bundle spec; it is fetched about once a day per process.
    Endpoint.SPEC: 1,
}

# Facts the bundle spec, delivery and tools rest on (issue 18). Appended here, after the tables
# above, so that they read as one list of Planet's facts.

#: Planet's product-bundle spec (:mod:`.bundles`). Public: Planet's SDK fetches it without
#: credentials. Planet publishes no rate limit for it.
BUNDLES_SPEC_PATH = "/compute/ops/bundles/spec"
#: Values of ``delivery.archive_type`` Planet accepts (its SDK's ``SUPPORTED_ARCHIVE_TYPES``).
ARCHIVE_TYPES: tuple[str, ...] = ("zip",)
#: Values of the harmonize tool's ``target_sensor``: Planet's SDK dropped ``PS2`` and accepts only
#: ``Sentinel-2`` (``HARMONIZE_TOOL_TARGET_SENSORS``).
HARMONIZE_TARGET_SENSORS: tuple[str, ...] = ("Sentinel-2",)
#: Orders an organisation can hold queued at once; Planet refuses a create beyond it.
MAX_QUEUED_ORDERS_PER_ORGANIZATION = 10_000
