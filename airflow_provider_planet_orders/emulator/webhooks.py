"""
Webhook delivery: POST the order's JSON to ``notifications.webhook.url`` when it finishes.

Completion is read from the clock, so a background task must watch it: it sleeps until the next
planned completion, or until the emulator says a plan changed (create, cancel, forced state,
``advance``), and then posts every due notification, one attempt each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from airflow_provider_planet_orders.emulator.state import Emulator
from airflow_provider_planet_orders.emulator.store import Order

log = logging.getLogger(__name__)

#: Longest sleep between two looks at the clock, in case a wake-up was missed.
_MAX_IDLE = 1.0


async def run_notifier(emulator: Emulator) -> None:
    """Deliver webhooks until cancelled."""
    woken = asyncio.Event()
    emulator.loop = asyncio.get_running_loop()
    emulator.wake = woken.set
    sending: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(timeout=emulator.config.webhook_timeout) as client:
        try:
            while True:
                woken.clear()
                payloads, upcoming, now = emulator.due_webhooks()
                for order, payload in payloads:
                    task = asyncio.create_task(_post(emulator, client, order, payload))
                    sending.add(task)
                    task.add_done_callback(sending.discard)
                timeout = _MAX_IDLE if upcoming is None else min(_MAX_IDLE, max(0.0, upcoming - now))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout)
        finally:
            emulator.wake = lambda: None
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)


async def _post(emulator: Emulator, client: httpx.AsyncClient, order: Order, payload: object) -> None:
    assert order.webhook_url is not None
    try:
        response = await client.post(order.webhook_url, json=payload)
        delivered = response.is_success
    except httpx.HTTPError as error:
        log.warning("Webhook for order %s failed: %s", order.id, type(error).__name__)
        delivered = False
    emulator.record_webhook(delivered)
