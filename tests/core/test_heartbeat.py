"""The heartbeat rule (API-COMPAT.md) as a pure function, and through the writer."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timelygator.core.event import Event
from timelygator.core.heartbeat import merge_heartbeat
from timelygator.core.services import Services

S = 1_000_000
T = 1_700_000_000 * S


def test_example_from_the_spec() -> None:
    last = Event(T, T + 1 * S, {"app": "a"}, id=7)
    beat = Event(T + 2 * S, T + 3 * S, {"app": "a"})
    merged = merge_heartbeat(last, beat, 2 * S)
    assert merged == Event(T, T + 3 * S, {"app": "a"}, id=7)
    assert merge_heartbeat(last, beat, 0) is None


def test_data_must_be_equal_regardless_of_key_order() -> None:
    last = Event(T, T + S, {"app": "a", "title": "x"}, id=1)
    assert merge_heartbeat(last, Event(T + S, T + S, {"title": "x", "app": "a"}), S) is not None
    assert merge_heartbeat(last, Event(T + S, T + S, {"app": "a", "title": "y"}), S) is None


def test_older_heartbeat_never_merges() -> None:
    last = Event(T, T + 10 * S, {"app": "a"}, id=1)
    assert merge_heartbeat(last, Event(T - 1, T + S, {"app": "a"}), 100 * S) is None


def test_merge_never_shrinks_the_event() -> None:
    last = Event(T, T + 10 * S, {"app": "a"}, id=1)
    merged = merge_heartbeat(last, Event(T + 2 * S, T + 3 * S, {"app": "a"}), S)
    assert merged is not None
    assert merged.end_us == T + 10 * S


def reference_apply(
    events: list[dict[str, Any]], beat: tuple[int, int, str], pulsetime: int
) -> None:
    """The rule written as plainly as possible, over a list of dicts."""
    start, duration, app = beat
    last = max(events, key=lambda e: (e["start"], e["n"])) if events else None
    if (
        last is not None
        and last["data"] == {"app": app}
        and last["start"] <= start <= last["end"] + pulsetime
    ):
        last["end"] = max(last["end"], start + duration)
        return
    events.append({"start": start, "end": start + duration, "data": {"app": app}, "n": len(events)})


beats = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40), st.integers(0, 5), st.sampled_from(["a", "b"])
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=beats, pulsetime=st.integers(0, 5))
def test_writer_matches_the_reference_model(
    dirs: Any, steps: list[tuple[int, int, str]], pulsetime: int
) -> None:
    with Services.open(dirs, "hypothesis-pass") as services:
        key = services.ensure_bucket(
            f"b{abs(hash((tuple(steps), pulsetime)))}", type="t", client="c", hostname="h"
        )
        expected: list[dict[str, Any]] = []
        for start, duration, app in steps:
            services.writer.heartbeat(
                key, Event(T + start * S, T + (start + duration) * S, {"app": app}), pulsetime
            ).result()
            reference_apply(expected, (T + start * S, duration * S, app), pulsetime * S)
        with services.read() as conn:
            from timelygator.core.reader import get_events

            stored = get_events(conn, key)
        got = sorted((e.start_us, e.end_us, e.data["app"]) for e in stored)
        want = sorted((e["start"], e["end"], e["data"]["app"]) for e in expected)
        assert got == want
