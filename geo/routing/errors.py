"""Errors of the route planner: bad input (a 4xx for the API) and matrix provider failures."""

from __future__ import annotations


class RoutingInputError(ValueError):
    """A day-plan request the planner refuses; ``code`` is stable, the message says why."""

    code = "routing.invalid_input"


class InvalidCoordinates(RoutingInputError):
    """A latitude/longitude that is NaN, infinite or out of range."""

    code = "routing.invalid_coordinates"


class InvalidTimeWindow(RoutingInputError):
    """A time window that ends before it starts, or holds a non-integer time."""

    code = "routing.invalid_time_window"


class InvalidShift(RoutingInputError):
    """A shift that is empty, or too short for any visit or for the trip from start to end."""

    code = "routing.invalid_shift"


class InvalidLunchBreak(RoutingInputError):
    """A lunch break that cannot fit: window shorter than the break, or outside the shift."""

    code = "routing.invalid_lunch_break"


class InvalidStop(RoutingInputError):
    """A stop with a duplicate or empty id, a negative duration or a negative prize."""

    code = "routing.invalid_stop"


class TooManyStops(RoutingInputError):
    """More stops than the planner accepts in one request."""

    code = "routing.too_many_stops"


class InvalidLockedOrder(RoutingInputError):
    """A locked prefix naming unknown or repeated stops, or more stops than the cap."""

    code = "routing.invalid_locked_order"


class InfeasibleLockedOrder(RoutingInputError):
    """A locked prefix that cannot be driven within its time windows and the shift."""

    code = "routing.infeasible_locked_order"


class InvalidOption(RoutingInputError):
    """An unknown objective, or a time budget or stop cap that is not a positive number."""

    code = "routing.invalid_option"


class MatrixError(RuntimeError):
    """A distance/time matrix provider failed (unreachable, timed out, or answered nonsense)."""

    code = "routing.matrix_unavailable"
