"""Re-time a visiting order on its own terms, independent of the solver: ETAs and feasibility.

The rep leaves the start point at shift start, drives each leg of the matrix, waits for a window
to open, serves, and must reach the end point by shift end. At each stop the earliest window in
which the whole visit fits is used: starting as early as possible never hurts what follows. The
lunch break is tried in every gap that can matter, either before driving on (where the rep is) or
on arrival (before serving the next stop, typically while waiting for it to open); the feasible
choice that ends the day earliest wins. Matrix indices: 0 = start, 1 = end, 2 + i = stop i.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo.routing.matrix import Matrix
from geo.routing.request import DayRequest, LunchBreak
from geo.routing.schedule import Leg, LunchSlot, Schedule, ScheduledVisit

__all__ = ["Evaluator", "Leg", "LunchSlot", "Schedule", "ScheduledVisit", "evaluate"]

# (arrival, lunch_s on arrival, start, departure, window index or -1, overshoot past window end)
_Rec = tuple[int, int, int, int, int, int]


class Evaluator:
    """Checks and times orders of stop indices for one request and matrix."""

    def __init__(self, request: DayRequest, matrix: Matrix, *, ignore_windows: bool = False):
        if matrix.size != len(request.stops) + 2:
            raise ValueError(
                f"matrix covers {matrix.size} points, expected {len(request.stops) + 2}"
            )
        self.request = request
        self._dur = matrix.durations_s
        self._dist = matrix.distances_m
        self._service = [s.service_s for s in request.stops]
        self._windows = [
            [(w.start, w.end) for w in s.windows] if s.windows and not ignore_windows else []
            for s in request.stops
        ]
        self.locked = self._indices(request.locked)

    def _indices(self, ids: Sequence[str]) -> list[int]:
        index = {s.id: i for i, s in enumerate(self.request.stops)}
        return [index[i] for i in ids]

    def feasible(self, order: Sequence[int]) -> bool:
        """Whether ``order`` (stop indices) passes every check."""
        return self._may_fit(order) and self.schedule(order).feasible

    def _may_fit(self, order: Sequence[int]) -> bool:
        """Cheap necessary condition: the order fits without lunch (lunch only ever delays)."""
        t, prev = self.request.shift.start, 0
        for stop in order:
            start, _, over = self._fit(stop, t + self._dur[prev][stop + 2])
            if over > 0:
                return False
            t, prev = start + self._service[stop], stop + 2
        return t + self._dur[prev][1] <= self.request.shift.end

    def schedule(self, order: Sequence[int]) -> Schedule:
        """Full timing of ``order`` (stop indices) with the best lunch placement."""
        if any(not 0 <= i < len(self._service) for i in order):
            raise ValueError(f"order names stop indices outside 0..{len(self._service) - 1}")
        problems = self._structure(order)
        base, base_end = self._run(order, 0, self.request.shift.start, 0, False)
        lunch = self.request.lunch
        if lunch is None:
            return self._build(order, base, base_end, None, problems)
        options = []
        for gap in self._lunch_gaps(order, base, lunch):
            for on_arrival in (False, True):
                recs, end, slot = self._with_lunch(order, base, base_end, lunch, gap, on_arrival)
                late = _lateness(recs, end, slot, self.request)
                options.append(((late, end[1], slot.start), recs, end, slot))
        # feasible options have zero lateness: earliest end of day wins, then the earliest lunch
        _, recs, end, slot = min(options, key=lambda option: option[0])
        return self._build(order, recs, end, slot, problems)

    def _lunch_gaps(self, order: Sequence[int], base: list[_Rec], lunch: LunchBreak) -> range:
        """Gaps worth trying: from the last one reached by the window's opening (an earlier gap
        only delays what follows) to the last one reached early enough to eat within the window."""
        leave = [self.request.shift.start, *(rec[3] for rec in base)]  # time at each gap
        first = last = 0
        for gap, t in enumerate(leave):
            if t <= lunch.window.start:
                first = gap
            if t <= lunch.window.end - lunch.duration_s:
                last = gap
        return range(first, last + 1)

    def _structure(self, order: Sequence[int]) -> list[str]:
        problems = []
        if len(set(order)) != len(order):
            problems.append("a stop is visited more than once")
        if list(order[: len(self.locked)]) != self.locked:
            problems.append("the locked prefix is not kept first and in order")
        cap = self.request.max_stops
        if cap is not None and len(order) > cap:
            problems.append(f"{len(order)} stops exceed max_stops={cap}")
        return problems

    def _fit(self, stop: int, t: int) -> tuple[int, int, int]:
        """Earliest start at or after ``t``: (start, window index or -1, overshoot)."""
        windows = self._windows[stop]
        if not windows:
            return t, -1, 0
        service = self._service[stop]
        best = (t, 0, 1 << 62)
        for k, (open_, close) in enumerate(windows):
            start = max(t, open_)
            over = start + service - close
            if over <= 0:
                return start, k, 0
            if over < best[2]:
                best = (start, k, over)
        return best

    def _run(
        self,
        order: Sequence[int],
        pos: int,
        t: int,
        prev: int,
        lunch_on_arrival: bool,
        base: list[_Rec] | None = None,
        base_end: tuple[int, int] = (0, 0),
    ) -> tuple[list[_Rec], tuple[int, int]]:
        """Drive from node ``prev`` leaving at ``t`` through ``order[pos:]``; (records, end)."""
        lunch = self.request.lunch
        recs: list[_Rec] = []
        for k in range(pos, len(order)):
            stop = order[k]
            arrival = t + self._dur[prev][stop + 2]
            ready, eat = arrival, 0
            if lunch_on_arrival and k == pos and lunch is not None:
                ready, eat = max(arrival, lunch.window.start) + lunch.duration_s, lunch.duration_s
            start, window, over = self._fit(stop, ready)
            if base is not None and k > pos and start == base[k][2] and over == base[k][5]:
                return recs + base[k:], base_end  # merged: the rest is the lunch-free timing
            t = start + self._service[stop]
            recs.append((arrival, eat, start, t, window, over))
            prev = stop + 2
        arrival = t + self._dur[prev][1]
        end_time = arrival
        if lunch_on_arrival and pos == len(order) and lunch is not None:
            end_time = max(arrival, lunch.window.start) + lunch.duration_s
        return recs, (arrival, end_time)

    def _with_lunch(
        self,
        order: Sequence[int],
        base: list[_Rec],
        base_end: tuple[int, int],
        lunch: LunchBreak,
        gap: int,
        on_arrival: bool,
    ) -> tuple[list[_Rec], tuple[int, int], LunchSlot]:
        t = base[gap - 1][3] if gap else self.request.shift.start
        prev = order[gap - 1] + 2 if gap else 0
        at_stop = self.request.stops[order[gap - 1]].id if gap else None
        if not on_arrival:
            eat_start = max(t, lunch.window.start)
            t = eat_start + lunch.duration_s
        recs, end = self._run(order, gap, t, prev, on_arrival, base, base_end)
        if on_arrival:
            if gap < len(order):
                eat_start = max(recs[0][0], lunch.window.start)
                at_stop = self.request.stops[order[gap]].id
            else:
                eat_start, at_stop = end[1] - lunch.duration_s, None
        slot = LunchSlot(eat_start, eat_start + lunch.duration_s, gap, at_stop)
        return base[:gap] + recs, end, slot

    def _build(
        self,
        order: Sequence[int],
        recs: list[_Rec],
        end: tuple[int, int],
        lunch: LunchSlot | None,
        problems: list[str],
    ) -> Schedule:
        violations = list(problems)
        visits = []
        prev = 0
        for stop, (arrival, eat, start, departure, window, over) in zip(order, recs, strict=True):
            sid = self.request.stops[stop].id
            if over > 0:
                violations.append(f"stop {sid!r}: no window fits a visit arriving at {arrival}")
            leg = Leg(self._dist[prev][stop + 2], self._dur[prev][stop + 2])
            visit = ScheduledVisit(
                sid,
                arrival,
                start - arrival - eat,
                start,
                departure,
                window if window >= 0 else None,
                leg,
            )
            visits.append(visit)
            prev = stop + 2
        shift_end = self.request.shift.end
        if end[1] > shift_end:
            violations.append(f"day ends at {end[1]}, after the shift ends at {shift_end}")
        wanted = self.request.lunch
        if lunch is not None and wanted is not None and lunch.end > wanted.window.end:
            violations.append(f"lunch ends at {lunch.end}, after its window closes")
        return Schedule(
            feasible=not violations,
            violations=tuple(violations),
            visits=tuple(visits),
            end_leg=Leg(self._dist[prev][1], self._dur[prev][1]),
            start_time=self.request.shift.start,
            end_arrival=end[0],
            end_time=end[1],
            lunch=lunch,
            lateness_s=_lateness(recs, end, lunch, self.request),
            late_positions=tuple(k for k, rec in enumerate(recs) if rec[5] > 0),
        )


def _lateness(
    recs: list[_Rec], end: tuple[int, int], lunch: LunchSlot | None, request: DayRequest
) -> int:
    late = sum(r[5] for r in recs) + max(0, end[1] - request.shift.end)
    if lunch is not None and request.lunch is not None:
        late += max(0, lunch.end - request.lunch.window.end)
    return late


def evaluate(request: DayRequest, matrix: Matrix, order: Sequence[str]) -> Schedule:
    """Time the stops named in ``order`` for ``request`` over ``matrix`` and list violations."""
    index = {s.id: i for i, s in enumerate(request.stops)}
    unknown = [sid for sid in order if sid not in index]
    if unknown:
        raise ValueError(f"order names unknown stops: {unknown}")
    return Evaluator(request, matrix).schedule([index[sid] for sid in order])
