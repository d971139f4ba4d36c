"""
Hooks for Planet's Orders API v2.

:class:`PlanetOrdersHook` serves operators on workers; :class:`PlanetOrdersAsyncHook` serves
triggers in the triggerer's event loop. Each endpoint is a request built by
:class:`~airflow_provider_planet_orders.core.build.RequestBuilder` and sent by the transport of
:mod:`airflow_provider_planet_orders.hooks.base`; this module only names the endpoints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_planet_orders.core.auth import AuthMethod
from airflow_provider_planet_orders.core.build import ApiRequest
from airflow_provider_planet_orders.core.responses import Listing, expect_object
from airflow_provider_planet_orders.exceptions import PlanetOrdersError
from airflow_provider_planet_orders.hooks.base import API_KEY_ENV, PlanetAsyncHook, PlanetSyncHook

if TYPE_CHECKING:
    from collections.abc import Mapping

    from typing_extensions import Unpack

    from airflow_provider_planet_orders.core.build import ListFilters
    from airflow_provider_planet_orders.core.bundles import BundleSpec

#: Timeouts of a connection test (connect, read): a person is waiting for the answer.
TEST_TIMEOUT = (5.0, 10.0)


class PlanetOrdersHook(PlanetSyncHook):
    """
    Calls every Planet Orders API v2 endpoint, with retries, rate limiting and paging.

    The API key is the ``planet`` connection's password (or ``PL_API_KEY`` when it has none), sent
    as HTTP Basic user name; ``host`` overrides the base URL. Each method returns the API's
    decoded JSON, or raises a :class:`~airflow_provider_planet_orders.exceptions.PlanetOrdersError`.

    :param planet_conn_id: The ``planet`` connection to use.
    """

    def _object(self, request: ApiRequest) -> dict[str, Any]:
        return expect_object(request, self.call(request))

    def order_api_url(self, order_id: str) -> str:
        """The order's URL on the API (for links and XCom)."""
        return self.builder.order_url(order_id)

    def create_order(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """
        Submit an order request; return the new order (state ``queued``).

        Not retried once the request may have reached Planet: such failures raise
        :class:`~airflow_provider_planet_orders.exceptions.PlanetOrderMaybeCreatedError`.
        """
        return self._object(self.builder.create_order(request))

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._object(self.builder.get_order(order_id))

    def cancel_order(self, order_id: str) -> dict[str, Any]:
        """Cancel a queued order; a running or finished one raises ``PlanetConflictError`` (409)."""
        return self._object(self.builder.cancel_order(order_id))

    def cancel_orders(self, order_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Bulk cancel 1 to 10,000 orders, or with ``None`` every queued order of the key."""
        return self._object(self.builder.cancel_orders(order_ids))

    def get_order_stats(self) -> dict[str, Any]:
        """Queued and running order counts for the key's user and organization."""
        return self._object(self.builder.get_order_stats())

    def list_orders(
        self, *, limit: int | None = None, **filters: Unpack[ListFilters]
    ) -> Iterator[dict[str, Any]]:
        """
        Yield orders lazily, page by page, following ``_links.next``.

        The filters are those of :class:`~airflow_provider_planet_orders.core.build.ListFilters`,
        checked when called, before the first request. ``limit`` stops after that many orders.
        """
        return self._pages(Listing(self.builder, filters, limit))

    def _pages(self, listing: Listing) -> Iterator[dict[str, Any]]:
        while listing.request is not None:
            yield from listing.accept(self.call(listing.request))

    def get_bundle_spec(self) -> BundleSpec:
        """
        Planet's current product-bundle spec, cached for a day (in the process and on disk); the
        copy shipped with the provider when the API cannot be reached. See :mod:`.bundle_spec`.
        """
        from airflow_provider_planet_orders.hooks.bundle_spec import live_bundle_spec

        return live_bundle_spec(
            self.settings.base_url, lambda: self._object(self.builder.get_bundle_spec()), self.log.warning
        )

    def test_connection(self) -> tuple[bool, str]:
        """
        One authenticated call (order stats), short timeouts and no retries: a person is waiting.

        The answer names what was tried, so that a wrong host, port or key shows in the message.
        """
        request = self.builder.get_order_stats()
        try:
            stats = expect_object(request, self._attempt(request, timeout=TEST_TIMEOUT))
        except PlanetOrdersError as err:
            return False, f"{err} (base URL {self.settings.base_url}; one attempt, no retries)"
        user = stats.get("user") or {}
        return True, (
            f"Connected to the Planet Orders API at {self.settings.base_url}: the "
            f"{'OAuth2 client' if self.settings.auth is AuthMethod.OAUTH2 else 'key'} works "
            f"({user.get('queued_orders', '?')} queued and {user.get('running_orders', '?')} running orders)."
        )


class PlanetOrdersAsyncHook(PlanetAsyncHook):
    """
    The asynchronous :class:`PlanetOrdersHook`, for triggers: the endpoints that waits need.

    Same connection, errors, retry policy and rate limits; close it with ``aclose`` or use it as
    an async context manager.
    """

    async def _object(self, build: str, *args: Any) -> dict[str, Any]:
        request: ApiRequest = getattr(await self._builder_async(), build)(*args)
        return expect_object(request, await self.call(request))

    async def get_order(self, order_id: str) -> dict[str, Any]:
        return await self._object("get_order", order_id)

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        return await self._object("cancel_order", order_id)

    async def get_order_stats(self) -> dict[str, Any]:
        return await self._object("get_order_stats")

    async def list_orders(
        self, *, limit: int | None = None, **filters: Unpack[ListFilters]
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield orders lazily, page by page, as :meth:`PlanetOrdersHook.list_orders` does."""
        listing = Listing(await self._builder_async(), filters, limit)
        while listing.request is not None:
            for order in listing.accept(await self.call(listing.request)):
                yield order


__all__ = ["API_KEY_ENV", "PlanetOrdersAsyncHook", "PlanetOrdersHook"]
