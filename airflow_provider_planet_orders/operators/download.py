"""
:class:`PlanetDownloadOrderOperator`: download a finished order's files, verified, into any storage.

Airflow glue around :class:`airflow_provider_planet_orders.downloader.OrderDownloader`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_planet_orders._compat import BaseOperator
from airflow_provider_planet_orders.core.defaults import DEFAULT_CONN_ID
from airflow_provider_planet_orders.links import ORDER_URL_KEY, PlanetOrderLink
from airflow_provider_planet_orders.operators._hook import PlanetHookMixin

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_planet_orders.downloader import DestinationPath

#: Scheme of the Assets the download operator declares: ``planet-orders://<conn id>/<name>``.
ASSET_SCHEME = "planet-orders"


def imagery_asset(name: str, planet_conn_id: str = DEFAULT_CONN_ID) -> Any:
    """
    The Airflow Asset for imagery delivered under ``name``: ``planet-orders://<conn id>/<name>``.

    Downstream DAGs schedule on it (``schedule=[imagery_asset("daily_pull")]``); each event's
    ``extra`` carries the order id, the destination, the files and the bytes written.
    """
    from airflow.providers.common.compat.sdk import Asset

    return Asset(name=f"planet_orders_{name}", uri=f"{ASSET_SCHEME}://{planet_conn_id}/{name}")


def resolve_destination(destination: str, conn_id: str | None = None) -> DestinationPath:
    """
    A path object for ``destination``: Airflow's ObjectStoragePath where Airflow has a filesystem
    for the scheme (local paths, ``file://``, and ``s3://``, ``gs://``, ... of installed providers,
    with credentials from ``conn_id``), else any fsspec protocol through ``universal_pathlib``.
    """
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    try:
        path = ObjectStoragePath(destination, conn_id=conn_id)
        path.fs  # noqa: B018 - resolves the filesystem now, to fall back while we can
    except (ValueError, TypeError):
        # No Airflow filesystem for the scheme (or, on Airflow 3.0 with universal-pathlib 0.3,
        # none that works): fsspec directly, with its own credentials.
        from upath import UPath

        return UPath(destination)
    return path


class PlanetDownloadOrderOperator(PlanetHookMixin, BaseOperator):
    """
    Download a finished order's result files, verify each against ``manifest.json``, and write
    them atomically under ``destination/<order_id>/``.

    Files are streamed in chunks (memory stays flat whatever their size), ``concurrency`` at a
    time, hashed as they stream, written to ``<name>.part`` and renamed once verified. A re-run
    skips files already present with the right digest and resumes ``.part`` files with Range
    requests. Expired links are refreshed; broken connections, 5xx and 429 are retried.

    Orders delivered to cloud storage or hosted have no download links: the task fails and names
    where the results went, rather than "succeeding" with nothing downloaded.

    Returns (XCom) ``{"order_id", "destination", "files": [paths], "manifest": path, ...}``, and
    emits an event on its Asset (``planet-orders://<conn id>/<asset_name>``).

    :param order_id: The order (templated); typically the create operator's XCom.
    :param destination: Local path or URI (templated), e.g. ``/data/planet/{{ ds }}`` or
        ``s3://bucket/planet/{{ ds }}``.
    :param destination_conn_id: Airflow connection for the destination's filesystem.
    :param include: Glob patterns on result names (``"*/PSScene/*.tif"``); everything if empty.
    :param overwrite: Download again files already present with the right digest.
    :param concurrency: Files downloaded at once.
    :param checksum: ``"auto"`` (default: the faster of md5 and sha256 on the worker), ``"md5"``,
        ``"sha256"`` or ``"none"``.
    :param asset_name: Name of the Asset this task updates; ``<dag_id>.<task_id>`` by default,
        ``""`` for none.
    :param max_attempts: Attempts per file.
    :param unpack_archives: Extract a zipped order's archives into its folder, each member checked
        against the manifest (the archives are kept); the extracted files are in the return value's
        ``unpacked``.
    """

    template_fields: Sequence[str] = ("order_id", "destination", "include")
    operator_extra_links = (PlanetOrderLink(),)
    ui_color = "#d9ecd0"

    def __init__(
        self,
        *,
        order_id: str,
        destination: str,
        planet_conn_id: str = DEFAULT_CONN_ID,
        destination_conn_id: str | None = None,
        include: Sequence[str] | str = (),
        overwrite: bool = False,
        concurrency: int = 4,
        checksum: str = "auto",
        asset_name: str | None = None,
        max_attempts: int = 8,
        unpack_archives: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from airflow_provider_planet_orders.downloader import check_settings

        check_settings(checksum=checksum, concurrency=concurrency)
        self.order_id = order_id
        self.destination = destination
        self.planet_conn_id = planet_conn_id
        self.destination_conn_id = destination_conn_id
        self.include = include
        self.overwrite = overwrite
        self.concurrency = concurrency
        self.checksum = checksum
        self.max_attempts = max_attempts
        self.unpack_archives = unpack_archives
        if asset_name is None and getattr(self, "dag_id", None):
            asset_name = f"{self.dag_id}.{self.task_id}"
        self.asset_name = asset_name or None
        if self.asset_name and not self.outlets:
            self.outlets = [imagery_asset(self.asset_name, planet_conn_id)]

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_planet_orders.downloader import OrderDownloader

        include = [self.include] if isinstance(self.include, str) else list(self.include)
        order = self.hook.get_order(self.order_id)
        context["ti"].xcom_push(key=ORDER_URL_KEY, value=self.hook.order_api_url(self.order_id))
        downloader = OrderDownloader(
            self.hook,
            resolve_destination(self.destination, self.destination_conn_id),
            include=include,
            overwrite=self.overwrite,
            concurrency=self.concurrency,
            checksum=self.checksum,
            max_attempts=self.max_attempts,
            log=self.log.info,
            unpack_archives=self.unpack_archives,
        )
        # Unfinished or cloud-delivered orders and corrupt files fail the task at once (their
        # errors are AirflowFailExceptions); transient trouble that outlasted the retries does not.
        report = downloader.download(order)
        self.log.info(
            "Order %s: %d downloaded, %d already there, %d resumed, %d retries, %.1f MB in %.1f s; "
            "%s verified",
            report.order_id,
            report.downloaded,
            report.skipped,
            report.resumed,
            report.retries,
            report.bytes / 1e6,
            report.seconds,
            downloader.checksum if downloader.checksum != "none" else "nothing",
        )
        self._emit_asset_event(context, report.as_dict())
        return report.as_dict()

    def _emit_asset_event(self, context: Context, report: dict[str, Any]) -> None:
        if not self.asset_name or "outlet_events" not in context:
            return
        asset = imagery_asset(self.asset_name, self.planet_conn_id)
        context["outlet_events"][asset].extra = {
            "order_id": report["order_id"],
            "destination": report["destination"],
            "files": len(report["files"]),
            "bytes": report["bytes"],
        }
