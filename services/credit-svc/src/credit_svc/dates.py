"""Dates of the domain: decisions, windows and list validity are China Standard Time dates (UTC+8, no DST)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def today() -> date:
    return datetime.now(CHINA).date()


def local_date(at: datetime) -> date:
    """The China Standard Time date of an instant (a naive datetime is taken as local already)."""
    return at.astimezone(CHINA).date() if at.tzinfo is not None else at.date()
