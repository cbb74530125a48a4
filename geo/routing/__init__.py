"""Day-route planning for a rep: PyVRP search, independent re-timing, pluggable road matrices.

Framework-free: plain values and frozen dataclasses in and out (metres, seconds, WGS-84 degrees).
"""

from geo.routing.core import VrpClient, VrpFleet, VrpProblem, VrpSolution, solve_vrp
from geo.routing.errors import (
    InfeasibleLockedOrder,
    InvalidCoordinates,
    InvalidLockedOrder,
    InvalidLunchBreak,
    InvalidOption,
    InvalidShift,
    InvalidStop,
    InvalidTimeWindow,
    MatrixError,
    RoutingInputError,
    TooManyStops,
)
from geo.routing.evaluator import Evaluator, evaluate
from geo.routing.matrix import HaversineProvider, Matrix, MatrixProvider
from geo.routing.osrm import OsrmError, OsrmProvider
from geo.routing.plan import DayPlan, DroppedStop, DropReason, SolveStatus
from geo.routing.planner import plan_day
from geo.routing.reoptimize import reoptimize
from geo.routing.request import (
    DayRequest,
    LunchBreak,
    Objective,
    PlannerConfig,
    Point,
    Stop,
    TimeWindow,
)
from geo.routing.schedule import Leg, LunchSlot, Schedule, ScheduledVisit

__all__ = [
    "DayPlan",
    "DayRequest",
    "DropReason",
    "DroppedStop",
    "Evaluator",
    "HaversineProvider",
    "InfeasibleLockedOrder",
    "InvalidCoordinates",
    "InvalidLockedOrder",
    "InvalidLunchBreak",
    "InvalidOption",
    "InvalidShift",
    "InvalidStop",
    "InvalidTimeWindow",
    "Leg",
    "LunchBreak",
    "LunchSlot",
    "Matrix",
    "MatrixError",
    "MatrixProvider",
    "Objective",
    "OsrmError",
    "OsrmProvider",
    "PlannerConfig",
    "Point",
    "RoutingInputError",
    "Schedule",
    "ScheduledVisit",
    "SolveStatus",
    "Stop",
    "TimeWindow",
    "TooManyStops",
    "VrpClient",
    "VrpFleet",
    "VrpProblem",
    "VrpSolution",
    "evaluate",
    "plan_day",
    "reoptimize",
    "solve_vrp",
]
