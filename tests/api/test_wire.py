"""The wire shortcuts give what their plain twins give: JSON, timestamps, data checks, reads."""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection
from timelygator.core import reader, wire_format
from timelygator.core.api import wire
from timelygator.core.api.wire import DataLimits
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services
from timelygator.core.timeutil import format_iso, in_time_range, parse_iso

from tests.api.conftest import DictKeyring

MIN_US = -62_135_596_800_000_000  # 0001-01-01
MAX_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)


def plain_loads(raw: bytes) -> Any:
    """The body parser, plainly: the standard library, then every string must be text."""

    def reject(name: str) -> Any:
        raise ValidationError(f"{name} is not valid JSON.")

    try:
        value = json.loads(raw, parse_constant=reject)
    except ValidationError:
        raise
    except (ValueError, RecursionError):
        raise ValidationError("The request body is not valid JSON.") from None
    try:
        for text in _texts(value):
            text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "The request body has text that is not valid Unicode (a lone surrogate such as "
            "\\ud800)."
        ) from None
    return value


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except ValidationError as exc:
        return ("error", str(exc))


def same(a: Any, b: Any) -> bool:
    """Equal, with float types and -0.0 and NaN told apart (== alone would not)."""
    if isinstance(a, float) or isinstance(b, float):
        return (
            type(a) is type(b)
            and (a == b or (math.isnan(a) and math.isnan(b)))
            and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_loads_matches_the_standard_library_on_json(value: Any) -> None:
    raw = json.dumps(value).encode()
    expected = outcome(plain_loads, raw)
    got = outcome(wire.loads, raw)
    assert got[0] == expected[0]
    assert same(got[1], expected[1])


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40) | st.text(alphabet='[]{}",:0123456789.eE+-tru\\ \ud800', max_size=30))
def test_loads_matches_the_standard_library_on_anything(raw: Any) -> None:
    raw = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    expected, got = outcome(plain_loads, raw), outcome(wire.loads, raw)
    assert got[0] == expected[0]
    assert same(got[1], expected[1]) if got[0] == "ok" else got == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"18446744073709551616",
        b"-9223372036854775809",
        b'{"a": 123456789012345678901234567890}',
        b"1e400",
        b"[NaN]",
        b"[-Infinity]",
        b'"\\ud800"',
        b"\xef\xbb\xbf[1]",
        "[1, 2]".encode("utf-16"),
        b"[1,]",
        b"",
        b"[" * 2000 + b"]" * 2000,
    ],
)
def test_loads_edge_cases(raw: bytes) -> None:
    expected, got = outcome(plain_loads, raw), outcome(wire.loads, raw)
    assert got[0] == expected[0]
    assert same(got[1], expected[1]) if got[0] == "ok" else got == expected


timestamps = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none()
).flatmap(
    lambda moment: st.sampled_from(
        [
            moment.isoformat(),
            moment.isoformat(timespec="seconds"),
            moment.isoformat(timespec="milliseconds") + "Z",
            moment.replace(tzinfo=UTC).isoformat(),
            moment.replace(tzinfo=UTC).isoformat(timespec="microseconds"),
            moment.replace(tzinfo=UTC).isoformat(timespec="microseconds").replace("+", "-"),
            moment.replace(tzinfo=timezone(timedelta(hours=5, minutes=30))).isoformat(),
            moment.replace(tzinfo=timezone(-timedelta(hours=11))).isoformat(),
            moment.isoformat() + "1234",
            moment.isoformat(sep=" "),
            " " + moment.isoformat() + " ",
            moment.isoformat() + " 02:00",
        ]
    )
)


@settings(max_examples=600, deadline=None)
@given(timestamps | st.text(alphabet="0123456789-:T.Z+ ", max_size=34))
def test_parse_timestamp_matches_parse_iso(text: str) -> None:
    assert outcome(wire.parse_timestamp, text) == outcome(parse_iso, text)
    try:
        start_us, _offset, canonical = wire_format._timestamp(text)
    except ValidationError:
        return
    if canonical:  # the insert answer reuses the text: it must be what utc_iso writes
        assert wire.utc_iso(start_us) == text


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=MIN_US, max_value=MAX_US))
def test_utc_iso_texts_are_reused_as_they_are(us: int) -> None:
    text = format_iso(us)
    assert wire_format._timestamp(text) == (us, 0, True)
    assert wire_format._timestamp(text.replace("+00:00", "Z"))[2] is False


@pytest.mark.parametrize(
    "text",
    [
        "2024-13-01T10:00:00Z",
        "2024-02-30T10:00:00+00:00",
        "2024-05-01T24:00:00",
        "2024-05-01T10:00:00+24:00",
        "0000-01-01T00:00:00",
        "9999-12-31T23:59:59.999999-23:59",
        "2024-05-01T10:00:00.1234567",
        "2024-05-01T10:00:00+02:00:30",
        "2024-05-01T10:60:00.000000+00:00",
        "2024-05-01T10:00:60.000000+00:00",
        "2024-05-01T10:59:59.999999-00:00",
        "2024-02-30T10:00:00.000000+00:00",
        "2024-02-29T23:59:59.000001+14:00",
        "2024-05-01T24:00:00.000000+00:00",
        "2024-05-01T10:00:00.000000+24:00",
        "2024-05-01T10:00:00.000000+01:60",
        "2024-05-01T10:0\u0661:00.000000+00:00",
        "2024-05-01T10:00:00.00000\u0661+00:00",
        "0001-01-01T00:00:00.000000+00:01",
        "9999-12-31T23:59:59.999999-00:01",
    ],
)
def test_parse_timestamp_edge_cases(text: str) -> None:
    assert outcome(wire.parse_timestamp, text) == outcome(parse_iso, text)


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=MIN_US, max_value=MAX_US))
def test_utc_iso_matches_format_iso(us: int) -> None:
    assert wire.utc_iso(us) == format_iso(us)


def exact_check(data: Any, limits: DataLimits) -> Any:
    """check_data without the shortcut (data always measured)."""
    flat = wire_format._small_flat  # check_data's shortcut lives with it, in core.wire_format
    try:
        wire_format._small_flat = lambda *_args: False
        return outcome(wire.check_data, data, limits)
    finally:
        wire_format._small_flat = flat


plain_values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(alphabet=string.printable + 'é日\ud800\U0001f600\x00\n"\\', max_size=40)
)
data_values = st.dictionaries(
    st.text(alphabet=string.ascii_letters + "\n\ud800é", max_size=6),
    plain_values | st.lists(plain_values, max_size=2) | st.dictionaries(st.text(), plain_values),
    max_size=6,
)


@settings(max_examples=600, deadline=None)
@given(data_values, st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=3))
def test_check_data_shortcut_matches_the_exact_check(
    data: dict[str, Any], max_bytes: int, max_depth: int
) -> None:
    limits = DataLimits(max_bytes, max_depth)
    assert outcome(wire.check_data, data, limits) == exact_check(data, limits)


# -- request bodies: the msgspec lane against the plain parser ----------------------------------
def plain_insert(raw: bytes, limits: DataLimits, most: int) -> Any:
    parsed = wire.parse_insert(plain_loads(raw), limits, most)
    return parsed.events, parsed.many, parsed.stamps


def typed_insert(raw: bytes, limits: DataLimits, most: int) -> Any:
    parsed = wire.parse_insert_body(raw, limits, most)
    return parsed.events, parsed.many, parsed.stamps


def same_parse(got: Any, expected: Any) -> bool:
    if got[0] != expected[0] or got[0] == "error":
        return bool(got == expected)
    (events, many, stamps), (want, want_many, want_stamps) = got[1], expected[1]
    return (
        many == want_many
        and stamps == want_stamps
        and [(e.start_us, e.end_us, e.id, e.tz_offset_s) for e in events]
        == [(e.start_us, e.end_us, e.id, e.tz_offset_s) for e in want]
        and all(same(e.data, w.data) for e, w in zip(events, want, strict=True))
    )


wire_fields = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": timestamps | st.integers() | st.none() | st.text(max_size=5),
        "duration": st.floats(min_value=-1, max_value=4e9)
        | st.integers(min_value=-1, max_value=2**63)
        | st.none()
        | st.booleans()
        | st.text(max_size=3),
        "data": data_values | st.none() | st.lists(st.integers(), max_size=2) | st.text(max_size=3),
        "id": st.integers(min_value=-1, max_value=2**63) | st.none() | st.booleans() | st.floats(),
        "extra": st.integers(),
    },
)
# Mostly well-formed events (the typed lane's own results), with odd fields mixed in.
good_fields = st.fixed_dictionaries(
    {"timestamp": timestamps},
    optional={
        "duration": st.floats(min_value=0, max_value=1e6) | st.integers(0, 10**6),
        "data": data_values | st.none(),
        "id": st.integers(min_value=1, max_value=2**62 - 1) | st.none(),
    },
)
some_fields = good_fields | wire_fields
wire_bodies = some_fields | st.lists(some_fields, max_size=4) | json_values


def as_raw(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@settings(max_examples=800, deadline=None)
@given(wire_bodies, st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=5))
def test_typed_body_parsing_gives_the_plain_events_or_errors(
    body: Any, max_bytes: int, most: int
) -> None:
    limits = DataLimits(max_bytes, 2)
    raw = as_raw(body)
    expected = outcome(plain_insert, raw, limits, most)
    assert same_parse(outcome(typed_insert, raw, limits, most), expected)
    if not isinstance(body, list):
        one = outcome(wire.parse_event_body, raw, limits)
        want = outcome(lambda text: wire.parse_event(plain_loads(text), limits), raw)
        assert one[0] == want[0]
        if one[0] == "ok":
            assert (one[1].start_us, one[1].end_us, one[1].id) == (
                want[1].start_us,
                want[1].end_us,
                want[1].id,
            )
            assert same(one[1].data, want[1].data)
        else:
            assert one == want


@pytest.mark.parametrize(
    "raw",
    [
        b'{"timestamp":"2024-05-01T10:00:00.000000+00:00","timestamp":"2024-05-01T11:00:00Z"}',
        b'[{"timestamp":"2024-05-01T10:00:00+00:00","duration":1,"data":{"a":1,"a":2}}]',
        b'{"timestamp":"2024-05-01T10:00:00Z","data":{"n":123456789012345678901234567890}}',
        rb'{"timestamp":"2024-05-01T10:00:00Z","data":{"s":"\\ud800"}}',
        rb'{"timestamp":"2024-05-01T10:00:00Z","data":{"s":"\ud800"}}',
        b'{"timestamp":"2024-05-01T10:00:00Z","data":{"s":"\xed\xa0\x80"}}',
        b'{"timestamp":"2024-05-01T10:00:00Z","duration":1e400}',
        b'{"timestamp":"2024-05-01T10:00:00Z","duration":null,"id":null,"data":null}',
        b'{"timestamp":"2024-05-01T10:00:00Z","id":1.0}',
        b'{"timestamp":"2024-05-01T10:00:00Z","data":' + b'{"a":' * 3000 + b"1" + b"}" * 3001,
        b"\xef\xbb\xbf" + b'{"timestamp":"2024-05-01T10:00:00Z"}',
        '{"timestamp":"2024-05-01T10:00:00Z"}'.encode("utf-16"),
        b'[{"timestamp":"2024-05-01T10:00:00Z"}, 7]',
        b"[]",
        b"  [ ]  ",
        b'{"timestamp":"2024-13-01T10:00:00Z"}',
        b'{"timestamp":"2024-05-01T10:00:00.000000+00:00","duration":3162240000}',
    ],
)
def test_typed_body_parsing_edge_cases(raw: bytes) -> None:
    limits = DataLimits()
    expected = outcome(plain_insert, raw, limits, 10)
    got = outcome(typed_insert, raw, limits, 10)
    assert same_parse(got, expected), (got, expected)


# -- reader.events_json ------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path, fake_keyring: DictKeyring) -> Iterator[Services]:
    services = Services.open(resolve_dirs(tmp_path / "data"), create=True, max_delay=0.05)
    yield services
    services.close()


def expected_json(events: list[Event]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "timestamp": format_iso(e.start_us),
            "duration": (e.end_us - e.start_us) / 1_000_000,
            "data": e.data,
        }
        for e in events
    ]


EDGE_BASE = 1_714_557_600_000_000


@pytest.fixture
def edge_events(store: Services) -> int:
    """A bucket of events at the edges of what the wire form writes; its key."""
    key = store.ensure_bucket("b", type="t", client="c", hostname="h")
    base = EDGE_BASE
    spans = [
        (base, base + 1),
        (base, base + 1_500_000),  # the same start: newest id first
        (base + 7, base + 7),
        (base - 86_400_000_000 * 20_000, base - 86_400_000_000 * 20_000 + 999_999),
        (-1, 0),
        (-1_000_001, 5),
        (MIN_US, MIN_US + 1),
        (MAX_US - 10, MAX_US),
        (MAX_US + 10, MAX_US + 20),  # beyond what ISO 8601 text can say: written at its end
        (MIN_US - 10, MIN_US - 5),
        (base + 10**6, base + 10**6 + 3_155_760_000_123_456),
    ]
    events = [
        Event(s, e, {"i": i, "text": 'é\n"', "nested": {"x": [1.5, None]}})
        for i, (s, e) in enumerate(spans)
    ]
    # Times outside the range the writer accepts now: rows stored before that check.
    inside = [e for e in events if in_time_range(e.start_us) and in_time_range(e.end_us)]
    outside = [e for e in events if e not in inside]
    store.writer.insert_events(key, inside[::-1]).result()

    def store_raw(conn: Connection) -> None:
        for e in outside:
            conn.exec_driver_sql(
                "INSERT INTO events (bucket_id, start_us, end_us, data) VALUES (?, ?, ?, ?)",
                (key, e.start_us, e.end_us, json.dumps(e.data)),
            )

    store.writer.call(store_raw, events=True).result()
    return key


EDGE_READS = [
    (None, None, None),
    (None, None, -1),
    (None, None, 0),
    (None, None, 3),
    (EDGE_BASE, None, None),
    (None, EDGE_BASE + 3, None),
    (EDGE_BASE + 1, EDGE_BASE + 1_000_000, None),
    (-500_000, 3, 2),
    (EDGE_BASE + 10**6 + 5, EDGE_BASE + 10**6 + 3_000_000_000_000_000, None),
    (MAX_US + 1, None, None),
]


def test_events_json_is_get_events_on_the_wire(store: Services, edge_events: int) -> None:
    key = edge_events
    with store.read() as conn:
        for start, end, limit in EDGE_READS:
            text = reader.events_json(conn, key, start, end, limit)
            rows = reader.get_events(conn, key, start, end, limit)
            assert json.loads(text) == expected_json(rows), (start, end, limit)
            assert text == wire.events_json(conn, key, start, end, limit).decode()
        assert reader.events_json(conn, key + 1) == "[]"


def test_events_json_built_in_python_is_the_same_text(store: Services, edge_events: int) -> None:
    """The text other engines than SQLite get (rows encoded in Python) is SQLite's byte for
    byte, on the same rows."""
    key = edge_events
    with store.read() as conn:
        for start, end, limit in [*EDGE_READS, (None, None, 1), (EDGE_BASE, EDGE_BASE, None)]:
            text = reader.events_json(conn, key, start, end, limit)
            assert reader.events_json_encoded(conn, key, start, end, limit) == text
            assert len(json.loads(text)) == len(reader.get_events(conn, key, start, end, limit))
        assert reader.events_json_encoded(conn, key + 1) == "[]"
