"""
The downloader's former home, kept so that ``from airflow_provider_planet_orders.download import
OrderDownloader`` keeps working: the engine lives in :mod:`airflow_provider_planet_orders.downloader`
and its errors in :mod:`airflow_provider_planet_orders.exceptions`.
"""

from __future__ import annotations

from airflow_provider_planet_orders.downloader import (
    CHECKSUMS,
    MANIFEST,
    DestinationPath,
    DownloadReport,
    OrderDownloader,
    ResultFile,
    describe_cloud_target,
    fastest_checksum,
    refuse_unfinished_or_undownloadable,
)
from airflow_provider_planet_orders.exceptions import (
    PlanetChecksumMismatchError as ChecksumMismatchError,
)
from airflow_provider_planet_orders.exceptions import (
    PlanetDownloadError as DownloadError,
)
from airflow_provider_planet_orders.exceptions import (
    PlanetDownloadRetriesExhaustedError as DownloadRetriesExhaustedError,
)

__all__ = [
    "CHECKSUMS",
    "MANIFEST",
    "ChecksumMismatchError",
    "DestinationPath",
    "DownloadError",
    "DownloadReport",
    "DownloadRetriesExhaustedError",
    "OrderDownloader",
    "ResultFile",
    "describe_cloud_target",
    "fastest_checksum",
    "refuse_unfinished_or_undownloadable",
]
