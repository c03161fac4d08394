"""Working-day arithmetic with holidays and make-up working days."""

from datetime import UTC, date, datetime

from svc_runtime.workdays import CHINA_TZ, WorkdayCalendar

# A National Day week shaped like the published ones: Oct 1-7 off, the Sunday before worked.
CAL = WorkdayCalendar.from_dates(
    holidays=[f"2026-10-0{d}" for d in range(1, 8)],
    workdays=["2026-09-27"],
)


def test_weekends_holidays_and_makeup_days() -> None:
    assert CAL.is_workday(date(2026, 9, 25))  # Friday
    assert not CAL.is_workday(date(2026, 9, 26))  # Saturday
    assert CAL.is_workday(date(2026, 9, 27))  # Sunday, worked (调休)
    assert not CAL.is_workday(date(2026, 10, 5))  # Monday, holiday


def test_seven_working_days_skip_the_holiday_week() -> None:
    # Received Wednesday Sep 30: Oct 8 (Thu) is the first working day after the holidays.
    assert CAL.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.add_workdays(date(2026, 9, 30), 7) == date(2026, 10, 16)
    assert CAL.workdays_between(date(2026, 9, 30), date(2026, 10, 16)) == 7


def test_going_back_and_zero() -> None:
    assert CAL.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert CAL.add_workdays(date(2026, 10, 8), 0) == date(2026, 10, 8)


def test_deadline_is_end_of_the_working_day_in_china_time() -> None:
    received = datetime(2026, 9, 29, 20, 0, tzinfo=UTC)  # already Sep 30 04:00 in Beijing
    due = CAL.deadline(received, 7)
    assert due == datetime(2026, 10, 16, 23, 59, 59, tzinfo=CHINA_TZ)


def test_calendar_from_json_text() -> None:
    cal = WorkdayCalendar.from_json('{"holidays": ["2026-01-01"], "workdays": []}')
    assert not cal.is_workday(date(2026, 1, 1))
