"""Tests for projects.schedule_math: validation, DST behaviour with exact UTC instants, and properties.

DST switches used (2024 unless noted):
  Europe/Berlin      spring 03-31 01:00Z (02:00 CET -> 03:00 CEST), fall 10-27 01:00Z (03:00 CEST -> 02:00 CET)
  America/New_York   spring 03-10 07:00Z (02:00 EST -> 03:00 EDT), fall 11-03 06:00Z (02:00 EDT -> 01:00 EST)
  Australia/Sydney   fall-back 04-06 16:00Z (03:00 AEDT -> 02:00 AEST), spring 10-05 16:00Z (02:00 AEST -> 03:00 AEDT)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.schedule_math import ScheduleError, ScheduleRule, next_run_at, upcoming_runs, validate_rule

UTC = timezone.utc


def z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------------------------- validation


def test_validate_rule_normalizes_days_and_drops_irrelevant_fields() -> None:
    weekly = validate_rule("weekly", "07:05", "Europe/Berlin", days_of_week=[6, 2, 2, 0])
    assert weekly == ScheduleRule("weekly", "07:05", "Europe/Berlin", (0, 2, 6), None)
    assert (weekly.hour, weekly.minute) == (7, 5)

    daily = validate_rule("daily", "23:59", "UTC", days_of_week=[1, 2], day_of_month=5)
    assert daily.days_of_week == () and daily.day_of_month is None

    monthly = validate_rule("monthly", "00:00", "Asia/Tokyo", days_of_week=[3], day_of_month=28)
    assert monthly.days_of_week == () and monthly.day_of_month == 28

    hourly = validate_rule("hourly", "13:45")
    assert hourly.timezone == "UTC" and hourly.minute == 45


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"frequency": "yearly", "time": "09:00"}, "frequency"),
        ({"frequency": "Daily", "time": "09:00"}, "frequency"),
        ({"frequency": "daily", "time": "24:00"}, "time"),
        ({"frequency": "daily", "time": "9:00"}, "time"),
        ({"frequency": "daily", "time": "09:60"}, "time"),
        ({"frequency": "daily", "time": "09:00:00"}, "time"),
        ({"frequency": "daily", "time": " 09:00"}, "time"),
        ({"frequency": "daily", "time": "09:00", "timezone": "Mars/Olympus"}, "timezone"),
        ({"frequency": "daily", "time": "09:00", "timezone": "europe/berlin"}, "timezone"),
        ({"frequency": "daily", "time": "09:00", "timezone": "localtime"}, "timezone"),
        ({"frequency": "daily", "time": "09:00", "timezone": "../etc/passwd"}, "timezone"),
        ({"frequency": "daily", "time": "09:00", "timezone": ""}, "timezone"),
        ({"frequency": "weekly", "time": "09:00"}, "days_of_week"),
        ({"frequency": "weekly", "time": "09:00", "days_of_week": []}, "days_of_week"),
        ({"frequency": "weekly", "time": "09:00", "days_of_week": [0, 7]}, "days_of_week"),
        ({"frequency": "weekly", "time": "09:00", "days_of_week": [-1]}, "days_of_week"),
        ({"frequency": "weekly", "time": "09:00", "days_of_week": [True]}, "days_of_week"),
        ({"frequency": "weekly", "time": "09:00", "days_of_week": ["1"]}, "days_of_week"),
        ({"frequency": "monthly", "time": "09:00"}, "day_of_month"),
        ({"frequency": "monthly", "time": "09:00", "day_of_month": 0}, "day_of_month"),
        ({"frequency": "monthly", "time": "09:00", "day_of_month": 29}, "day_of_month"),
        ({"frequency": "monthly", "time": "09:00", "day_of_month": 31}, "day_of_month"),
    ],
)
def test_validate_rule_errors_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ScheduleError) as info:
        validate_rule(**kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(ScheduleError) as info:
        ScheduleRule("weekly", "09:00", "UTC", (3, 1))
    assert info.value.field == "days_of_week"
    with pytest.raises(ScheduleError) as info:
        ScheduleRule("daily", "09:00", "UTC", (1,))
    assert info.value.field == "days_of_week"
    with pytest.raises(ScheduleError) as info:
        ScheduleRule("daily", "09:00", "UTC", (), 3)
    assert info.value.field == "day_of_month"


def test_naive_after_and_bad_n_are_rejected() -> None:
    rule = validate_rule("daily", "09:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run_at(rule, datetime(2024, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        upcoming_runs(rule, z(2024, 1, 1), -1)
    assert upcoming_runs(rule, z(2024, 1, 1), 0) == []


# ------------------------------------------------------------------------------------- DST: exact instants

DST_CASES = [
    # ---- Europe/Berlin
    pytest.param(
        validate_rule("daily", "09:00", "Europe/Berlin"),
        z(2024, 3, 29, 12),
        [z(2024, 3, 30, 8), z(2024, 3, 31, 7), z(2024, 4, 1, 7)],
        id="berlin-daily-0900-spring",
    ),
    pytest.param(
        validate_rule("daily", "09:00", "Europe/Berlin"),
        z(2024, 10, 25, 12),
        [z(2024, 10, 26, 7), z(2024, 10, 27, 8), z(2024, 10, 28, 8)],
        id="berlin-daily-0900-fall",
    ),
    pytest.param(  # 02:30 does not exist on 03-31: shifted by the 1 h gap to 03:30 CEST = 01:30Z
        validate_rule("daily", "02:30", "Europe/Berlin"),
        z(2024, 3, 30),
        [z(2024, 3, 30, 1, 30), z(2024, 3, 31, 1, 30), z(2024, 4, 1, 0, 30)],
        id="berlin-daily-gap",
    ),
    pytest.param(  # 02:30 happens twice on 10-27: only the first (CEST, 00:30Z) runs
        validate_rule("daily", "02:30", "Europe/Berlin"),
        z(2024, 10, 26),
        [z(2024, 10, 26, 0, 30), z(2024, 10, 27, 0, 30), z(2024, 10, 28, 1, 30)],
        id="berlin-daily-fold",
    ),
    pytest.param(  # between the two 02:30s: the second occurrence must not run
        validate_rule("daily", "02:30", "Europe/Berlin"),
        z(2024, 10, 27, 0, 45),
        [z(2024, 10, 28, 1, 30)],
        id="berlin-daily-fold-after-first",
    ),
    pytest.param(  # 02:30 local skipped (02:MM does not exist), then summer time
        validate_rule("hourly", "17:30", "Europe/Berlin"),
        z(2024, 3, 30, 23),
        [z(2024, 3, 30, 23, 30), z(2024, 3, 31, 0, 30), z(2024, 3, 31, 1, 30), z(2024, 3, 31, 2, 30)],
        id="berlin-hourly-spring",
    ),
    pytest.param(  # both 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) run
        validate_rule("hourly", "00:30", "Europe/Berlin"),
        z(2024, 10, 26, 23),
        [z(2024, 10, 26, 23, 30), z(2024, 10, 27, 0, 30), z(2024, 10, 27, 1, 30), z(2024, 10, 27, 2, 30)],
        id="berlin-hourly-fall",
    ),
    pytest.param(  # Wednesday and Sunday; Sunday 03-31 02:30 shifted to 03:30 CEST
        validate_rule("weekly", "02:30", "Europe/Berlin", days_of_week=[6, 2]),
        z(2024, 3, 25),
        [z(2024, 3, 27, 1, 30), z(2024, 3, 31, 1, 30), z(2024, 4, 3, 0, 30)],
        id="berlin-weekly-spring",
    ),
    pytest.param(
        validate_rule("weekly", "02:30", "Europe/Berlin", days_of_week=[6]),
        z(2024, 10, 20, 1),
        [z(2024, 10, 27, 0, 30), z(2024, 11, 3, 1, 30)],
        id="berlin-weekly-fall",
    ),
    pytest.param(  # 2021-03-28 was the spring switch
        validate_rule("monthly", "02:30", "Europe/Berlin", day_of_month=28),
        z(2021, 2, 1),
        [z(2021, 2, 28, 1, 30), z(2021, 3, 28, 1, 30), z(2021, 4, 28, 0, 30)],
        id="berlin-monthly-spring",
    ),
    pytest.param(
        validate_rule("monthly", "02:30", "Europe/Berlin", day_of_month=27),
        z(2024, 9, 1),
        [z(2024, 9, 27, 0, 30), z(2024, 10, 27, 0, 30), z(2024, 11, 27, 1, 30)],
        id="berlin-monthly-fall",
    ),
    # ---- America/New_York
    pytest.param(
        validate_rule("daily", "09:00", "America/New_York"),
        z(2024, 3, 9),
        [z(2024, 3, 9, 14), z(2024, 3, 10, 13), z(2024, 3, 11, 13)],
        id="ny-daily-0900-spring",
    ),
    pytest.param(
        validate_rule("daily", "09:00", "America/New_York"),
        z(2024, 11, 2),
        [z(2024, 11, 2, 13), z(2024, 11, 3, 14), z(2024, 11, 4, 14)],
        id="ny-daily-0900-fall",
    ),
    pytest.param(
        validate_rule("daily", "02:30", "America/New_York"),
        z(2024, 3, 9),
        [z(2024, 3, 9, 7, 30), z(2024, 3, 10, 7, 30), z(2024, 3, 11, 6, 30)],
        id="ny-daily-gap",
    ),
    pytest.param(
        validate_rule("daily", "01:30", "America/New_York"),
        z(2024, 11, 2),
        [z(2024, 11, 2, 5, 30), z(2024, 11, 3, 5, 30), z(2024, 11, 4, 6, 30)],
        id="ny-daily-fold",
    ),
    pytest.param(
        validate_rule("hourly", "08:15", "America/New_York"),
        z(2024, 3, 10, 5),
        [z(2024, 3, 10, 5, 15), z(2024, 3, 10, 6, 15), z(2024, 3, 10, 7, 15), z(2024, 3, 10, 8, 15)],
        id="ny-hourly-spring",
    ),
    pytest.param(  # 01:15 EDT (05:15Z) and 01:15 EST (06:15Z) both run
        validate_rule("hourly", "08:15", "America/New_York"),
        z(2024, 11, 3, 4),
        [z(2024, 11, 3, 4, 15), z(2024, 11, 3, 5, 15), z(2024, 11, 3, 6, 15), z(2024, 11, 3, 7, 15)],
        id="ny-hourly-fall",
    ),
    pytest.param(
        validate_rule("weekly", "02:30", "America/New_York", days_of_week=[6]),
        z(2024, 3, 4),
        [z(2024, 3, 10, 7, 30), z(2024, 3, 17, 6, 30)],
        id="ny-weekly-spring",
    ),
    pytest.param(
        validate_rule("weekly", "01:30", "America/New_York", days_of_week=[6]),
        z(2024, 10, 28),
        [z(2024, 11, 3, 5, 30), z(2024, 11, 10, 6, 30)],
        id="ny-weekly-fall",
    ),
    pytest.param(
        validate_rule("monthly", "02:30", "America/New_York", day_of_month=10),
        z(2024, 2, 1),
        [z(2024, 2, 10, 7, 30), z(2024, 3, 10, 7, 30), z(2024, 4, 10, 6, 30)],
        id="ny-monthly-spring",
    ),
    pytest.param(
        validate_rule("monthly", "01:30", "America/New_York", day_of_month=3),
        z(2024, 10, 1),
        [z(2024, 10, 3, 5, 30), z(2024, 11, 3, 5, 30), z(2024, 12, 3, 6, 30)],
        id="ny-monthly-fall",
    ),
    # ---- Australia/Sydney (southern hemisphere: fall-back in April, spring-forward in October)
    pytest.param(
        validate_rule("daily", "09:00", "Australia/Sydney"),
        z(2024, 4, 5),
        [z(2024, 4, 5, 22), z(2024, 4, 6, 23), z(2024, 4, 7, 23)],
        id="sydney-daily-0900-april",
    ),
    pytest.param(
        validate_rule("daily", "09:00", "Australia/Sydney"),
        z(2024, 10, 4),
        [z(2024, 10, 4, 23), z(2024, 10, 5, 22), z(2024, 10, 6, 22)],
        id="sydney-daily-0900-october",
    ),
    pytest.param(  # 2024-04-07 02:30 AEDT (15:30Z) runs, 02:30 AEST (16:30Z) does not
        validate_rule("daily", "02:30", "Australia/Sydney"),
        z(2024, 4, 5),
        [z(2024, 4, 5, 15, 30), z(2024, 4, 6, 15, 30), z(2024, 4, 7, 16, 30)],
        id="sydney-daily-fold",
    ),
    pytest.param(  # 2024-10-06 02:30 does not exist: 03:30 AEDT = 10-05 16:30Z
        validate_rule("daily", "02:30", "Australia/Sydney"),
        z(2024, 10, 4),
        [z(2024, 10, 4, 16, 30), z(2024, 10, 5, 16, 30), z(2024, 10, 6, 15, 30)],
        id="sydney-daily-gap",
    ),
    pytest.param(
        validate_rule("hourly", "00:45", "Australia/Sydney"),
        z(2024, 4, 6, 13),
        [z(2024, 4, 6, 13, 45), z(2024, 4, 6, 14, 45), z(2024, 4, 6, 15, 45), z(2024, 4, 6, 16, 45)],
        id="sydney-hourly-fold",
    ),
    pytest.param(
        validate_rule("hourly", "00:45", "Australia/Sydney"),
        z(2024, 10, 5, 14),
        [z(2024, 10, 5, 14, 45), z(2024, 10, 5, 15, 45), z(2024, 10, 5, 16, 45), z(2024, 10, 5, 17, 45)],
        id="sydney-hourly-gap",
    ),
    pytest.param(
        validate_rule("weekly", "02:30", "Australia/Sydney", days_of_week=[6]),
        z(2024, 9, 30),
        [z(2024, 10, 5, 16, 30), z(2024, 10, 12, 15, 30)],
        id="sydney-weekly-gap",
    ),
    pytest.param(
        validate_rule("weekly", "02:30", "Australia/Sydney", days_of_week=[6]),
        z(2024, 4, 1),
        [z(2024, 4, 6, 15, 30), z(2024, 4, 13, 16, 30)],
        id="sydney-weekly-fold",
    ),
    pytest.param(
        validate_rule("monthly", "02:30", "Australia/Sydney", day_of_month=7),
        z(2024, 3, 1),
        [z(2024, 3, 6, 15, 30), z(2024, 4, 6, 15, 30), z(2024, 5, 6, 16, 30)],
        id="sydney-monthly-fold",
    ),
    pytest.param(
        validate_rule("monthly", "02:30", "Australia/Sydney", day_of_month=6),
        z(2024, 9, 1),
        [z(2024, 9, 5, 16, 30), z(2024, 10, 5, 16, 30), z(2024, 11, 5, 15, 30)],
        id="sydney-monthly-gap",
    ),
    # ---- Pacific/Apia skipped all of 2011-12-30 (UTC-10 -> UTC+14): the shifted run coincides with 12-31
    pytest.param(
        validate_rule("daily", "09:00", "Pacific/Apia"),
        z(2011, 12, 29),
        [z(2011, 12, 29, 19), z(2011, 12, 30, 19), z(2011, 12, 31, 19)],
        id="apia-skipped-day",
    ),
]


@pytest.mark.parametrize(("rule", "after", "expected"), DST_CASES)
def test_dst_exact_instants(rule: ScheduleRule, after: datetime, expected: list[datetime]) -> None:
    runs = upcoming_runs(rule, after, len(expected))
    assert runs == expected
    assert all(run.tzinfo is UTC for run in runs)


def test_daily_0900_stays_0900_local_across_both_switches() -> None:
    rule = validate_rule("daily", "09:00", "Europe/Berlin")
    runs = upcoming_runs(rule, z(2024, 1, 1), 366)
    berlin = ZoneInfo("Europe/Berlin")
    assert {(r.astimezone(berlin).hour, r.astimezone(berlin).minute) for r in runs} == {(9, 0)}
    assert [r.astimezone(berlin).date() for r in runs] == [date(2024, 1, 1) + timedelta(days=i) for i in range(366)]


def test_after_is_strict_and_any_input_zone_is_accepted() -> None:
    rule = validate_rule("daily", "09:00", "America/New_York")
    run = z(2024, 6, 3, 13)
    assert next_run_at(rule, run) == z(2024, 6, 4, 13)
    assert next_run_at(rule, run - timedelta(microseconds=1)) == run
    tokyo = run.astimezone(ZoneInfo("Asia/Tokyo"))
    assert next_run_at(rule, tokyo) == z(2024, 6, 4, 13)


def test_weekly_monday_is_zero() -> None:
    rule = validate_rule("weekly", "12:00", "UTC", days_of_week=[0])
    run = next_run_at(rule, z(2024, 6, 5))  # a Wednesday
    assert run == z(2024, 6, 10, 12)
    assert run.weekday() == 0


# --------------------------------------------------------------------------------------- property tests
# Oracle: scan UTC minute by minute (independent of the fold arithmetic the module uses).

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 with DST
    "Europe/Dublin",  # negative DST in tzdata
    "Africa/Casablanca",  # DST suspended during Ramadan
    "America/Santiago",  # transitions at local midnight
    "Asia/Beirut",  # transitions at local midnight
    "America/Havana",  # transitions at local midnight
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped a whole day in 2011
]


@lru_cache(maxsize=None)
def transitions(zone_name: str, year: int) -> tuple[datetime, ...]:
    """UTC instants (to the minute) at which the zone's offset changes during ``year``."""
    zone = ZoneInfo(zone_name)
    found = []
    t = z(year, 1, 1)
    end = z(year + 1, 1, 1)
    while t < end:
        nxt = t + timedelta(days=1)
        if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = t, nxt  # bisect to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid == lo:
                    break
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t = nxt
    return tuple(found)


@st.composite
def rules(draw: st.DrawFn) -> ScheduleRule:
    frequency = draw(st.sampled_from(["hourly", "daily", "weekly", "monthly"]))
    # Bias toward the hours where transitions happen so gaps and folds are hit often.
    hour = draw(st.one_of(st.integers(0, 4), st.integers(0, 23)))
    minute = draw(st.sampled_from([0, 15, 30, 45]) | st.integers(0, 59))
    days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7))
    return validate_rule(
        frequency,
        f"{hour:02d}:{minute:02d}",
        draw(st.sampled_from(ZONES)),
        days_of_week=days,
        day_of_month=draw(st.integers(1, 28)),
    )


@st.composite
def afters(draw: st.DrawFn, zone_name: str) -> datetime:
    year = draw(st.integers(2008, 2032))
    near = transitions(zone_name, year)
    if near and draw(st.booleans()):
        base = draw(st.sampled_from(near))
        return base + timedelta(seconds=draw(st.integers(-40 * 3600, 40 * 3600)))
    return draw(st.datetimes(min_value=datetime(year, 1, 1), max_value=datetime(year, 12, 31))).replace(  # noqa: DTZ001
        tzinfo=UTC
    )


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def oracle_day_run(zone: ZoneInfo, day: date, hour: int, minute: int) -> datetime:
    """Run instant for an eligible local ``day`` found by scanning UTC minutes around the wall time."""
    target = datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001 - naive local wall time
    scan = [target.replace(tzinfo=UTC) + timedelta(minutes=m) for m in range(-15 * 60, 15 * 60 + 1)]
    exact = [u for u in scan if _wall(u, zone) == target]
    if exact:
        return exact[0]  # first occurrence
    for before, after in zip(scan, scan[1:], strict=False):
        if _wall(before, zone) < target < _wall(after, zone):
            # Gap: interpret the wall time with the offset in force before the gap.
            return (target - before.astimezone(zone).utcoffset()).replace(tzinfo=UTC)
    raise AssertionError(f"oracle found neither {target} nor a gap around it in {zone}")


def eligible(rule: ScheduleRule, day: date) -> bool:
    if rule.frequency == "weekly":
        return day.weekday() in rule.days_of_week
    if rule.frequency == "monthly":
        return day.day == rule.day_of_month
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_next_run_matches_minute_scan_oracle(data: st.DataObject) -> None:
    rule = data.draw(rules())
    after = data.draw(afters(rule.timezone))
    zone = rule.zone
    run = next_run_at(rule, after)

    assert run.tzinfo is UTC
    assert run > after

    if rule.frequency == "hourly":
        # First real minute strictly after `after` whose local minute is MM.
        u = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while u.astimezone(zone).minute != rule.minute:
            u += timedelta(minutes=1)
            assert u - after < timedelta(days=2), "oracle ran away"
        assert run == u
        assert _wall(run, zone).minute == rule.minute
        return

    local_after = after.astimezone(zone).date()
    local_run = run.astimezone(zone).date()
    days = [local_after + timedelta(days=i) for i in range(-2, (local_run - local_after).days + 2)]
    candidates = [oracle_day_run(zone, d, rule.hour, rule.minute) for d in days if eligible(rule, d)]
    assert run == min(c for c in candidates if c > after)

    wall = _wall(run, zone)
    if (wall.hour, wall.minute) != (rule.hour, rule.minute) or not eligible(rule, wall.date()):
        # Only a spring-forward gap may move a run off the requested wall time or day: it must be the
        # shifted run of an eligible day on which the requested wall time does not exist.
        shifted_from = [
            d
            for d in days
            if eligible(rule, d)
            and oracle_day_run(zone, d, rule.hour, rule.minute) == run
            and _wall(run, zone) != datetime.combine(d, datetime.min.time()).replace(hour=rule.hour, minute=rule.minute)
        ]
        assert shifted_from, f"{run} matches neither the rule nor a gap shift"


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_upcoming_runs_strictly_increasing_and_chained(data: st.DataObject) -> None:
    rule = data.draw(rules())
    after = data.draw(afters(rule.timezone))
    runs = upcoming_runs(rule, after, 12)
    assert len(runs) == 12
    assert all(a < b for a, b in zip(runs, runs[1:], strict=False))
    assert runs[0] == next_run_at(rule, after)
    for prev, nxt in zip(runs, runs[1:], strict=False):
        assert next_run_at(rule, prev) == nxt
    # Gaps are bounded by the frequency (plus DST slack; Apia's skipped day makes weekly/daily 48 h).
    limit = {"hourly": 25, "daily": 49, "weekly": 7 * 24 + 25, "monthly": 31 * 24 + 25}[rule.frequency]
    assert all(b - a <= timedelta(hours=limit) for a, b in zip(runs, runs[1:], strict=False))
