"""Pure schedule arithmetic: validate a project's schedule and compute its next run instants.

No Django, no database: the Django layer stores the rule fields and the computed ``next_run_at``
(aware UTC) and calls :func:`next_run_at` again after each run.

Conventions (read these before storing anything):

* ``days_of_week`` uses **0 = Monday .. 6 = Sunday**, the same numbering as Python's
  ``date.weekday()`` and ISO 8601 minus one. The seed disagrees with itself (``projects.config.schedule.days``
  says 0 = Sunday, the ``schedules`` collection says 0 = Monday); this module follows the latter.
  Any 0 = Sunday value coming from a client must be converted before it reaches :func:`validate_rule`.
* ``time`` is local wall-clock ``"HH:MM"`` in ``timezone`` (an IANA name). For ``hourly`` only the
  ``MM`` part is used: the rule fires at minute ``MM`` of every local hour.
* ``day_of_month`` is limited to 1-28 so that every month has the day.

Daylight-saving behaviour (wall time is what the user picked, so runs follow local wall time):

* Daily/weekly/monthly at a wall time that **does not exist** on a spring-forward day (e.g. 02:30 in
  Europe/Berlin on the last Sunday of March) run **shifted forward by the length of the gap**
  (02:30 -> 03:30 CEST). This is PEP 495 ``fold=0`` semantics and what ``java.time`` does; it keeps the
  real elapsed time since the previous run at exactly 24 h.
* Daily/weekly/monthly at an **ambiguous** wall time (fall-back, e.g. 02:30 on the last Sunday of
  October in Berlin) run **once**, at the first occurrence (``fold=0``, the summer-time instant).
* Hourly rules fire at **every real instant** whose local minute is ``MM``: in the fall-back hour both
  occurrences of ``01:MM``/``02:MM`` are distinct instants and both run; in the spring-forward gap the
  nonexistent ``02:MM`` is skipped (no shifted run, the next hour's run is minutes away anyway).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "FREQUENCIES",
    "MAX_UPCOMING",
    "ScheduleError",
    "ScheduleRule",
    "known_zones",
    "next_run_at",
    "upcoming_runs",
    "validate_rule",
]

FREQUENCIES: tuple[str, ...] = ("hourly", "daily", "weekly", "monthly")
MAX_UPCOMING = 1000

_TIME_RE = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)")
# Names zoneinfo can load but that are not user-meaningful IANA zones: "localtime" is the server's own
# setting (would silently change with the host), "posixrules"/"Factory" are tzdata internals.
_REJECTED_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class ScheduleError(ValueError):
    """A schedule field is invalid. ``field`` names the offending input field for API error bodies."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """The IANA names a schedule (and a user's timezone setting) may use."""
    return frozenset(available_timezones()) - _REJECTED_ZONES


@dataclass(frozen=True)
class ScheduleRule:
    """A validated schedule. Build it with :func:`validate_rule`, which normalizes the input.

    ``days_of_week`` is sorted, de-duplicated, 0 = Monday .. 6 = Sunday, and empty unless weekly.
    ``day_of_month`` is 1-28 for monthly and ``None`` otherwise.
    """

    frequency: str
    time: str
    timezone: str = "UTC"
    days_of_week: tuple[int, ...] = ()
    day_of_month: int | None = None

    def __post_init__(self) -> None:
        # Direct construction gets the same checks as validate_rule, so an invalid rule cannot exist.
        _check_frequency(self.frequency)
        _parse_time(self.time)
        _check_zone(self.timezone)
        if self.frequency == "weekly":
            _check_days(self.days_of_week)
            if tuple(sorted(set(self.days_of_week))) != tuple(self.days_of_week):
                raise ScheduleError("days_of_week", "must be sorted and without duplicates")
        elif self.days_of_week:
            raise ScheduleError("days_of_week", f"only allowed for weekly schedules, not {self.frequency}")
        if self.frequency == "monthly":
            _check_day_of_month(self.day_of_month)
        elif self.day_of_month is not None:
            raise ScheduleError("day_of_month", f"only allowed for monthly schedules, not {self.frequency}")

    @property
    def hour(self) -> int:
        """Local hour of ``time`` (ignored by hourly rules)."""
        return _parse_time(self.time)[0]

    @property
    def minute(self) -> int:
        """Local minute of ``time``; for hourly rules, the minute of every hour at which they fire."""
        return _parse_time(self.time)[1]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _check_frequency(frequency: object) -> str:
    if not isinstance(frequency, str) or frequency not in FREQUENCIES:
        raise ScheduleError("frequency", f"must be one of {', '.join(FREQUENCIES)}; got {frequency!r}")
    return frequency


def _parse_time(value: object) -> tuple[int, int]:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ScheduleError("time", f"must be HH:MM (00:00-23:59); got {value!r}")
    return int(match["hour"]), int(match["minute"])


def _check_zone(name: object) -> str:
    if not isinstance(name, str) or name not in known_zones():
        raise ScheduleError("timezone", f"unknown IANA timezone {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # listed but unreadable: broken tzdata install
        raise ScheduleError("timezone", f"cannot load timezone {name!r}") from exc
    return name


def _is_int(value: object) -> bool:
    # bool is an int subclass; True as "Tuesday" is a client bug, not a weekday.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_days(days: Iterable[object]) -> tuple[int, ...]:
    values = tuple(days)
    if not values:
        raise ScheduleError("days_of_week", "weekly schedules need at least one day (0=Monday .. 6=Sunday)")
    for day in values:
        if not _is_int(day) or not 0 <= day <= 6:
            raise ScheduleError("days_of_week", f"days are 0=Monday .. 6=Sunday; got {day!r}")
    return tuple(sorted(set(values)))  # type: ignore[arg-type]  # ints checked above


def _check_day_of_month(day: object) -> int:
    if not _is_int(day) or not 1 <= day <= 28:  # type: ignore[operator]
        raise ScheduleError("day_of_month", f"monthly schedules need a day_of_month in 1-28; got {day!r}")
    return day  # type: ignore[return-value]


def validate_rule(
    frequency: str,
    time: str,
    timezone: str = "UTC",
    days_of_week: Iterable[int] | None = None,
    day_of_month: int | None = None,
) -> ScheduleRule:
    """Validate raw schedule fields and return a normalized :class:`ScheduleRule`.

    Fields that do not apply to the frequency (``days_of_week`` unless weekly, ``day_of_month`` unless
    monthly) are dropped rather than rejected: clients keep them around when the user switches frequency.

    Raises :class:`ScheduleError` (with ``field``) for an unknown frequency, a time that is not HH:MM,
    an unknown IANA zone, a weekly rule without days or with days outside 0-6, or a monthly rule whose
    ``day_of_month`` is outside 1-28.
    """
    _check_frequency(frequency)
    _parse_time(time)
    _check_zone(timezone)
    days: tuple[int, ...] = ()
    if frequency == "weekly":
        days = _check_days(days_of_week if days_of_week is not None else ())
    dom: int | None = None
    if frequency == "monthly":
        dom = _check_day_of_month(day_of_month)
    return ScheduleRule(frequency=frequency, time=time, timezone=timezone, days_of_week=days, day_of_month=dom)


def _resolve_first(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """UTC instant of local wall time ``day hour:minute`` with fold=0.

    fold=0 gives the first occurrence of an ambiguous time and, for a nonexistent time, applies the
    offset from before the transition, which is exactly "shift forward by the gap".
    """
    local = datetime.combine(day, dtime(hour, minute), tzinfo=zone)
    return local.astimezone(timezone.utc)


def _exists(instant_utc: datetime, wall: datetime, zone: ZoneInfo) -> bool:
    return instant_utc.astimezone(zone).replace(tzinfo=None, fold=0) == wall


def _hourly_candidates(rule: ScheduleRule, after: datetime) -> list[datetime]:
    zone = rule.zone
    start = after.astimezone(zone).replace(tzinfo=None, fold=0, minute=0, second=0, microsecond=0)
    found: list[datetime] = []
    # Local hour slots from a little before `after` (a fold can put later instants on earlier wall hours)
    # to 30 h ahead (enough to cross a whole skipped day, e.g. Pacific/Apia on 2011-12-30).
    for step in range(-3, 31):
        wall = start + timedelta(hours=step, minutes=rule.minute)
        for fold in (0, 1):
            instant = wall.replace(tzinfo=zone, fold=fold).astimezone(timezone.utc)
            # Nonexistent wall times (spring-forward gap) are skipped for hourly rules.
            if _exists(instant, wall, zone) and instant > after:
                found.append(instant)
    return found


def _day_eligible(rule: ScheduleRule, day: date) -> bool:
    if rule.frequency == "weekly":
        return day.weekday() in rule.days_of_week
    if rule.frequency == "monthly":
        return day.day == rule.day_of_month
    return True


def _daily_like_candidates(rule: ScheduleRule, after: datetime) -> list[datetime]:
    zone = rule.zone
    hour, minute = _parse_time(rule.time)
    first_day = after.astimezone(zone).date() - timedelta(days=2)
    # 2 days back (shifted gap times can land later than their wall date suggests) and far enough ahead
    # to contain at least one eligible day: 7 for weekly, 31 for monthly (day_of_month <= 28).
    span = {"daily": 5, "weekly": 12, "monthly": 36}[rule.frequency]
    found: list[datetime] = []
    for offset in range(span):
        day = first_day + timedelta(days=offset)
        if _day_eligible(rule, day):
            instant = _resolve_first(day, hour, minute, zone)
            if instant > after:
                found.append(instant)
    return found


def _require_aware(after: datetime) -> None:
    if not isinstance(after, datetime) or after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be a timezone-aware datetime")


def next_run_at(rule: ScheduleRule, after: datetime) -> datetime:
    """First instant strictly after ``after`` at which ``rule`` fires, as an aware UTC datetime.

    ``after`` must be timezone-aware (any zone). See the module docstring for DST handling.
    """
    _require_aware(after)
    if rule.frequency == "hourly":
        candidates = _hourly_candidates(rule, after)
    else:
        candidates = _daily_like_candidates(rule, after)
    if not candidates:  # every window above contains an eligible slot; reaching here is a bug
        raise RuntimeError(f"no run found for {rule!r} after {after.isoformat()}")
    return min(candidates)


def upcoming_runs(rule: ScheduleRule, after: datetime, n: int) -> list[datetime]:
    """The next ``n`` run instants after ``after`` (aware UTC, strictly increasing), for display."""
    _require_aware(after)
    if not _is_int(n) or not 0 <= n <= MAX_UPCOMING:
        raise ValueError(f"n must be an integer in 0-{MAX_UPCOMING}; got {n!r}")
    runs: list[datetime] = []
    cursor = after
    for _ in range(n):
        cursor = next_run_at(rule, cursor)
        runs.append(cursor)
    return runs
