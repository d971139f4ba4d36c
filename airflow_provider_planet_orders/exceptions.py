"""
Errors raised by the Planet Orders provider.

Every error is a :class:`PlanetOrdersError`, itself an ``AirflowException``, so that a task
fails with a message a person can act on. Messages name the client method, the API path, the
HTTP status and Planet's own message; they never carry the API key or a request body (order
requests may hold delivery credentials).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_planet_orders._compat import AirflowException, AirflowFailException


class PlanetOrdersError(AirflowException):
    """
    Root of every error this provider raises.

    :param message: Human-readable description.
    :param operation: The client method that failed (``get_order``, ...), when there was one.
    :param method: HTTP method of the failed request.
    :param path: API path of the failed request, without query string or host.
    :param status: HTTP status, when the API answered.
    :param planet_message: Planet's own message, as it sent it.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        planet_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.planet_message = planet_message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions; Airflow
        # pickles exceptions when it moves them between processes.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[PlanetOrdersError], message: str, state: dict[str, Any]) -> PlanetOrdersError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class PlanetInvalidInputError(PlanetOrdersError, AirflowFailException, ValueError):
    """
    An argument was rejected before any request was sent (for example a non-UUID order id).

    It is an ``AirflowFailException``: a task failing on bad input fails at once, since retrying
    cannot fix it.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class PlanetInvalidOrderRequestError(PlanetInvalidInputError):
    """
    An order request failed client-side validation; nothing was sent.

    :attr:`problems` lists every problem as ``(json_path, message)``, for example
    ``("products[0].item_ids", "must not be empty")``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {path or '(request)'}: {message}" for path, message in self.problems)
        count = len(self.problems)
        super().__init__("order_request", f"{count} problem{'s' if count != 1 else ''}:\n{lines}")


class PlanetConfigurationError(PlanetOrdersError, AirflowFailException, ValueError):
    """
    The ``planet`` connection, or an environment variable it relies on, is unusable.

    An ``AirflowFailException``: fix the connection, then clear the task.
    """


class PlanetApiError(PlanetOrdersError):
    """The API answered with an error status."""

    #: Seconds the API asked us to wait (``Retry-After``), if it said.
    retry_after: float | None = None


class PlanetBadRequestError(PlanetApiError, AirflowFailException):
    """
    400: Planet refused the request. An ``AirflowFailException``: the same request fails again.

    :attr:`field_errors` maps each field Planet complained about to its messages, and
    :attr:`general_errors` holds the messages not tied to a field.
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, Sequence[str]] | None = None,
        general_errors: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.field_errors: dict[str, list[str]] = {k: list(v) for k, v in (field_errors or {}).items()}
        self.general_errors: list[str] = list(general_errors or [])


class PlanetAuthError(PlanetApiError):
    """401 or 403: the API key is missing, wrong, or not allowed to do this."""


class PlanetNotFoundError(PlanetApiError):
    """404: no such order for this API key."""


class PlanetConflictError(PlanetApiError, AirflowFailException):
    """
    409: the order is not in a state that allows this (for example cancelling a running order).

    An ``AirflowFailException``: an order never goes back to a state that would allow it.
    """


class PlanetRateLimitError(PlanetApiError):
    """429: still rate limited after every retry."""


class PlanetServerError(PlanetApiError):
    """5xx: Planet failed, still after every retry."""


class PlanetUnexpectedResponseError(PlanetApiError):
    """Any other status, or a success whose body is not the JSON the endpoint promises."""


class PlanetConnectionError(PlanetOrdersError):
    """
    The request did not complete at the network level (refused, reset, timed out).

    :attr:`request_sent` tells whether the request may have reached Planet: ``False`` for a
    refused connection or a connect timeout, ``True`` when it failed after it was sent.
    """

    def __init__(self, message: str, *, request_sent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class PlanetOrderMaybeCreatedError(PlanetOrdersError):
    """
    A create request failed in a way that leaves it unknown whether Planet created the order.

    Creating an order is not idempotent on Planet's side, so it is not retried blindly after a
    timeout, a dropped connection, or a 5xx. Look the order up (by its name) before creating it
    again; :class:`~airflow_provider_planet_orders.operators.orders.PlanetCreateOrderOperator`
    does that for you.
    """


class PlanetPagingError(PlanetOrdersError):
    """The list endpoint sent the same ``next`` link twice; following it would loop forever."""


class PlanetOrderFailedError(PlanetOrdersError, AirflowFailException):
    """
    The order ended in a state the task does not accept (``failed``, ``cancelled``, or ``partial``
    when partial results are not accepted). The message carries Planet's ``last_message`` and
    error hints; :attr:`order_id` and :attr:`state` say which order and how it ended.
    """

    def __init__(self, message: str, *, order_id: str | None = None, state: str | None = None) -> None:
        super().__init__(message)
        self.order_id = order_id
        self.state = state


class PlanetDownloadError(PlanetOrdersError):
    """A result file could not be downloaded and verified."""


class PlanetResultUnavailableError(PlanetDownloadError, AirflowFailException):
    """
    The order has nothing to download here (unfinished, delivered to the cloud, hosted), or a
    result cannot be fetched (no link, not delivered, refused for good). Retrying cannot help.
    """


class PlanetChecksumMismatchError(PlanetDownloadError, AirflowFailException):
    """A file's digest kept differing from the one in ``manifest.json`` through every attempt."""


class PlanetDownloadRetriesExhaustedError(PlanetDownloadError):
    """
    A file kept failing for transient reasons (network, 5xx, 429) through every attempt.

    Not an ``AirflowFailException``: a later try of the task resumes what was kept.
    """


__all__ = [
    "PlanetApiError",
    "PlanetAuthError",
    "PlanetBadRequestError",
    "PlanetChecksumMismatchError",
    "PlanetConfigurationError",
    "PlanetConflictError",
    "PlanetConnectionError",
    "PlanetDownloadError",
    "PlanetDownloadRetriesExhaustedError",
    "PlanetInvalidInputError",
    "PlanetInvalidOrderRequestError",
    "PlanetNotFoundError",
    "PlanetOrderFailedError",
    "PlanetOrderMaybeCreatedError",
    "PlanetOrdersError",
    "PlanetPagingError",
    "PlanetRateLimitError",
    "PlanetResultUnavailableError",
    "PlanetServerError",
    "PlanetUnexpectedResponseError",
]
