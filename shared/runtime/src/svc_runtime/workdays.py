"""Working-day deadlines (工作日) with a configurable holiday calendar.

Deadlines in the domain (complaint acceptance in 7 working days, disclosure within 20, ...) count
working days: Monday to Friday, minus official holidays, plus the make-up working days (调休) on
which a weekend day is worked. The State Council publishes each year's schedule in December; it is
data, loaded from JSON (`{"holidays": ["2026-10-01", ...], "workdays": ["2026-09-27", ...]}`) given by
the `WORKDAY_CALENDAR` setting or passed in, never hard-coded in a service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class WorkdayCalendar:
    """Which dates are working days."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_dates(cls, holidays: Iterable[date | str] = (), workdays: Iterable[date | str] = ()) -> WorkdayCalendar:
        def parse(values: Iterable[date | str]) -> frozenset[date]:
            return frozenset(v if isinstance(v, date) else date.fromisoformat(v) for v in values)

        return cls(parse(holidays), parse(workdays))

    @classmethod
    def from_json(cls, source: str | Path) -> WorkdayCalendar:
        """Load `{"holidays": [...], "workdays": [...]}` from a file path or a JSON string."""
        text = Path(source).read_text(encoding="utf-8") if not str(source).lstrip().startswith("{") else str(source)
        data = json.loads(text)
        return cls.from_dates(data.get("holidays", ()), data.get("workdays", ()))

    def is_workday(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted); negative goes back."""
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        current = start
        while remaining:
            current += timedelta(days=step)
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count

    def deadline(self, received_at: datetime, days: int) -> datetime:
        """End of the working day `days` working days after `received_at` (China time), as an aware datetime."""
        local = received_at.astimezone(CHINA_TZ).date()
        due = self.add_workdays(local, days)
        return datetime(due.year, due.month, due.day, 23, 59, 59, tzinfo=CHINA_TZ)
