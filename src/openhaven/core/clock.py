"""Time in one place, so tests and reproducible refreshes can pin it."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    return utc_now().date()


def parse_date(text: str) -> date:
    """Parse an ISO date (YYYY-MM-DD); a datetime string keeps only its date."""
    return date.fromisoformat(text[:10])
