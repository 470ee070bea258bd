"""How durations, percentages and times are written in the GUI."""

from __future__ import annotations


def format_duration(us: float) -> str:
    """``2h 05m``, ``12m 30s``, ``45s``."""
    seconds = int(round(us / 1_000_000))  # noqa: RUF046
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_hours(us: float) -> str:
    """``3.5 h``."""
    return f"{us / 3_600_000_000:.1f} h"
