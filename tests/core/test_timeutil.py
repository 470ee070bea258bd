from __future__ import annotations

import pytest
from timelygator.core.errors import ValidationError
from timelygator.core.timeutil import format_iso, parse_iso

BASE = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("text", "expected_us", "offset"),
    [
        ("2023-11-14T22:13:20Z", BASE, 0),
        ("2023-11-14T22:13:20+00:00", BASE, 0),
        ("2023-11-14T23:13:20+01:00", BASE, 3600),
        ("2023-11-14T23:13:20 01:00", BASE, 3600),  # "+" decoded to a space in a URL
        ("2023-11-14T17:13:20-05:00", BASE, -18000),
        ("2023-11-14T22:13:20", BASE, None),  # naive = UTC
        ("2023-11-14T22:13:20.123456Z", BASE + 123456, 0),
        ("2023-11-14T22:13:20.1234567+00:00", BASE + 123456, 0),  # .NET-style 7 digits
        ("2023-11-14T22:13:20.5Z", BASE + 500000, 0),
    ],
)
def test_parse_iso_accepts_what_clients_send(
    text: str, expected_us: int, offset: int | None
) -> None:
    assert parse_iso(text) == (expected_us, offset)


@pytest.mark.parametrize("text", ["", "yesterday", "2023-13-01T00:00:00Z", "12345"])
def test_parse_iso_rejects_junk_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValidationError, match="timestamp"):
        parse_iso(text)


def test_format_iso_is_utc_with_microseconds() -> None:
    assert format_iso(BASE + 42) == "2023-11-14T22:13:20.000042+00:00"
    assert parse_iso(format_iso(BASE + 42))[0] == BASE + 42
