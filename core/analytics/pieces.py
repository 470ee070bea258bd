"""A day's active pieces as arrays, the form timelines draw from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import orjson
from timelygator.core.analytics.digest import DayDigest
from timelygator.core.analytics.localdays import day_date
from timelygator.core.event import Event


@dataclass(slots=True)
class DayPieces:
    """One local day's active pieces as arrays (what a day row of a timeline draws).

    ``starts``/``ends`` (UTC microseconds, sorted by start) and ``offsets`` per piece;
    ``value`` indexes the day's distinct values: ``paths`` (each value's category) and their
    data, read and parsed only when a piece is asked for (``event``).
    """

    day: date
    starts: np.ndarray[Any, np.dtype[np.int64]]
    ends: np.ndarray[Any, np.dtype[np.int64]]
    offsets: np.ndarray[Any, np.dtype[np.int32]]
    value: np.ndarray[Any, np.dtype[np.int32]]
    paths: list[tuple[str, ...]]
    text_of: Callable[[int], str]
    _datas: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.starts.size)

    def data(self, value: int) -> dict[str, Any]:
        """The data of value ``value`` (parsed once; shared by the pieces holding it)."""
        found = self._datas.get(value)
        if found is None:
            found = self._datas[value] = _data_of(self.text_of(value), {})
        return found

    def event(self, index: int) -> Event:
        """Piece ``index`` as an event."""
        return Event(
            int(self.starts[index]),
            int(self.ends[index]),
            self.data(int(self.value[index])),
            tz_offset_s=int(self.offsets[index]),
        )

    def path(self, index: int) -> tuple[str, ...]:
        return self.paths[int(self.value[index])]


def day_pieces_of(
    digest: DayDigest, paths: list[tuple[str, ...]], text_of: Callable[[int], str]
) -> DayPieces:
    return DayPieces(
        day_date(digest.day),
        np.frombuffer(digest.starts, dtype=np.int64),
        np.frombuffer(digest.ends, dtype=np.int64),
        np.asarray(digest.offsets, dtype=np.int32),
        np.asarray(digest.vidx, dtype=np.int32),
        paths,
        text_of,
    )


def _data_of(text: str, memo: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data = memo.get(text)
    if data is None:
        try:
            loaded = orjson.loads(text)
        except orjson.JSONDecodeError:
            loaded = {}
        data = memo[text] = loaded if isinstance(loaded, dict) else {}
    return data
