"""The query functions: argument checking and the registry the interpreter calls into."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from timelygator.core.categories.categorizer import Categorizer, Tagger
from timelygator.core.errors import NotFoundError, ValidationError
from timelygator.core.event import Event
from timelygator.core.patterns import UserPattern, compile_pattern
from timelygator.core.query import transforms as tf
from timelygator.core.query.budget import QueryBudget
from timelygator.core.query.datasource import QueryDataSource
from timelygator.core.query.errors import QueryError
from timelygator.core.timeutil import seconds_to_us


@dataclass(slots=True)
class QueryContext:
    """What functions may read besides their arguments, and what they may spend."""

    source: QueryDataSource
    start_us: int
    end_us: int
    budget: QueryBudget | None = None


# Argument kinds and how they are described in errors.
EVENTS, LIST, STR, INT, NUMBER, ANY, STR_LIST = (
    "a list of events",
    "a list",
    "a string",
    "an integer",
    "a number",
    "any value",
    "a list of strings",
)


@dataclass(frozen=True, slots=True)
class QueryFunction:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, kind)
    required: int
    impl: Callable[..., Any]

    def signature(self) -> str:
        shown = [n if i < self.required else f"{n}?" for i, (n, _) in enumerate(self.params)]
        return f"{self.name}({', '.join(shown)})"

    def __call__(self, ctx: QueryContext, args: list[Any]) -> Any:
        if not self.required <= len(args) <= len(self.params):
            count = (
                f"{self.required}"
                if self.required == len(self.params)
                else f"{self.required} to {len(self.params)}"
            )
            raise QueryError(
                f"{self.signature()} takes {count} argument{'s' if count != '1' else ''}, "
                f"got {len(args)}"
            )
        for index, (arg, (pname, kind)) in enumerate(zip(args, self.params, strict=False)):
            if not _is_kind(arg, kind):
                raise QueryError(
                    f"Argument {index + 1} ({pname}) of {self.name}() must be {kind}, "
                    f"got {describe(arg)}"
                )
        try:
            return self.impl(ctx, *args)
        except QueryError:
            raise
        except (ValidationError, NotFoundError) as exc:
            raise QueryError(f"{self.name}(): {exc}") from None
        except (OverflowError, ZeroDivisionError):
            raise QueryError(f"{self.name}(): a number in its arguments is out of range") from None
        except (TypeError, ValueError, KeyError, IndexError):
            raise QueryError(
                f"{self.name}() cannot work with these arguments (see "
                f"{self.signature()} in the documentation)"
            ) from None


def _is_kind(value: Any, kind: str) -> bool:
    if kind == ANY:
        return True
    if kind == EVENTS:
        return type(value) is list and (not value or set(map(type, value)) == {Event})
    if kind == LIST:
        return type(value) is list
    if kind == STR:
        return type(value) is str
    if kind == STR_LIST:
        return type(value) is list and all(type(v) is str for v in value)
    if kind == INT:
        return type(value) is int
    if kind == NUMBER:
        return type(value) in (int, float)
    raise AssertionError(kind)


def describe(value: Any) -> str:
    """A value's type in words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Event):
        return "an event"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, list):
        if value and any(not isinstance(v, Event) for v in value):
            return "a list that is not all events"
        return "a list"
    return type(value).__name__


FUNCTIONS: dict[str, QueryFunction] = {}


def _register(*params: tuple[str, str], optional: int = 0) -> Callable[[Callable[..., Any]], Any]:
    def decorate(impl: Callable[..., Any]) -> Callable[..., Any]:
        name = impl.__name__.removeprefix("q_")
        FUNCTIONS[name] = QueryFunction(name, params, len(params) - optional, impl)
        return impl

    return decorate


MAX_PULSETIME_S = 366 * 86_400  # a year: longer gaps are not "the same activity"
MAX_RULES = 5000  # as many as a category tree may have


def _pulsetime_us(seconds: float, name: str) -> int:
    if not 0 <= seconds <= MAX_PULSETIME_S:  # also NaN and infinity
        raise QueryError(
            f"{name}() pulsetime must be a number of seconds from 0 to {MAX_PULSETIME_S}, "
            f"got {seconds:.6g}"
        )
    return seconds_to_us(seconds)


@lru_cache(maxsize=32)
def _categorizer(rules_json: str) -> Categorizer:
    return Categorizer.from_aw_classes(json.loads(rules_json))


@lru_cache(maxsize=32)
def _tagger(rules_json: str) -> Tagger:
    return Tagger.from_aw_classes(json.loads(rules_json))


def _regex(pattern: str) -> UserPattern:
    try:
        return compile_pattern(pattern)
    except ValidationError as exc:
        raise QueryError(str(exc).rstrip(".")) from None


# -- data access ----------------------------------------------------------------------------
@_register()
def q_query_bucket_names(ctx: QueryContext) -> list[str]:
    return list(ctx.source.bucket_names())


@_register(("bucket", STR))
def q_query_bucket(ctx: QueryContext, bucket: str) -> list[Event]:
    budget = ctx.budget
    try:
        if budget is None:
            return ctx.source.bucket_events(bucket, ctx.start_us, ctx.end_us)
        # One more than what is left: enough to notice the limit, never much more.
        events = ctx.source.bucket_events(
            bucket, ctx.start_us, ctx.end_us, budget.events_left() + 1
        )
    except NotFoundError:
        raise QueryError(f"There is no bucket named {bucket!r}") from None
    budget.take_events(len(events))
    return events


@_register(("bucket", STR))
def q_query_bucket_eventcount(ctx: QueryContext, bucket: str) -> int:
    try:
        return ctx.source.bucket_event_count(bucket, ctx.start_us, ctx.end_us)
    except NotFoundError:
        raise QueryError(f"There is no bucket named {bucket!r}") from None


@_register(("prefix", STR), ("hostname", STR), optional=1)
def q_find_bucket(ctx: QueryContext, prefix: str, hostname: str | None = None) -> str:
    first: str | None = None
    for name in ctx.source.bucket_names():
        if not name.startswith(prefix):
            continue
        if hostname is not None and ctx.source.bucket_hostname(name) != hostname:
            continue
        if name == prefix:
            return name
        if first is None:
            first = name
    if first is None:
        where = f" on host {hostname!r}" if hostname is not None else ""
        raise QueryError(f"No bucket matches {prefix!r}{where}")
    return first


# -- filtering ------------------------------------------------------------------------------
@_register(("events", EVENTS), ("key", STR), ("values", LIST))
def q_filter_keyvals(ctx: QueryContext, events: list[Event], key: str, vals: list[Any]) -> Any:
    return tf.filter_keyvals(events, key, vals)


@_register(("events", EVENTS), ("key", STR), ("values", LIST))
def q_exclude_keyvals(ctx: QueryContext, events: list[Event], key: str, vals: list[Any]) -> Any:
    return tf.filter_keyvals(events, key, vals, exclude=True)


@_register(("events", EVENTS), ("key", STR), ("regex", STR))
def q_filter_keyvals_regex(ctx: QueryContext, events: list[Event], key: str, regex: str) -> Any:
    return tf.filter_keyvals_regex(events, key, _regex(regex))


@_register(("events", EVENTS), ("filter_events", EVENTS))
def q_filter_period_intersect(ctx: QueryContext, events: Any, filters: Any) -> Any:
    return tf.filter_period_intersect(events, filters)


@_register(("events1", EVENTS), ("events2", EVENTS))
def q_period_union(ctx: QueryContext, events1: Any, events2: Any) -> Any:
    return tf.period_union(events1, events2)


@_register(("events1", EVENTS), ("events2", EVENTS))
def q_union_no_overlap(ctx: QueryContext, events1: Any, events2: Any) -> Any:
    return tf.union_no_overlap(events1, events2)


@_register(("events", EVENTS), ("count", INT))
def q_limit_events(ctx: QueryContext, events: list[Event], count: int) -> Any:
    if count < 0:
        raise QueryError(f"limit_events() count must be zero or more, got {count}")
    return events[:count]


# -- merging, sorting, summing --------------------------------------------------------------
@_register(("events", EVENTS), ("keys", STR_LIST))
def q_merge_events_by_keys(ctx: QueryContext, events: Any, keys: list[str]) -> Any:
    return tf.merge_events_by_keys(events, keys)


@_register(("events", EVENTS), ("key", STR), ("pulsetime", NUMBER), optional=1)
def q_chunk_events_by_key(ctx: QueryContext, events: Any, key: str, pulsetime: float = 5) -> Any:
    return tf.chunk_events_by_key(events, key, _pulsetime_us(pulsetime, "chunk_events_by_key"))


@_register(("events", EVENTS))
def q_sort_by_timestamp(ctx: QueryContext, events: Any) -> Any:
    return tf.sort_by_timestamp(events)


@_register(("events", EVENTS))
def q_sort_by_duration(ctx: QueryContext, events: Any) -> Any:
    return tf.sort_by_duration(events)


@_register(("events", EVENTS))
def q_sum_durations(ctx: QueryContext, events: Any) -> float:
    return tf.sum_durations(events)


@_register(("list1", LIST), ("list2", LIST))
def q_concat(ctx: QueryContext, list1: list[Any], list2: list[Any]) -> list[Any]:
    budget = ctx.budget
    if budget is None:
        return [*list1, *list2]
    # Checked before the list is built: ``x = concat(x, x);`` doubles it each time.
    size = budget.size_of(list1) + budget.size_of(list2) - 1
    budget.check_items(size, "a list in concat()")
    return budget.built([*list1, *list2], size, "a list in concat()")


@_register(("events", EVENTS), ("pulsetime", NUMBER), optional=1)
def q_flood(ctx: QueryContext, events: Any, pulsetime: float = 5) -> Any:
    return tf.flood(events, _pulsetime_us(pulsetime, "flood"))


# -- enrichment -----------------------------------------------------------------------------
@_register(("events", EVENTS))
def q_split_url_events(ctx: QueryContext, events: Any) -> Any:
    return tf.split_url_events(events)


@_register(("events", EVENTS), ("key", STR), optional=1)
def q_simplify_window_titles(ctx: QueryContext, events: Any, key: str = "title") -> Any:
    return tf.simplify_window_titles(events, key)


@_register(("events", EVENTS), ("classes", LIST))
def q_categorize(ctx: QueryContext, events: Any, classes: list[Any]) -> Any:
    return tf.categorize(events, _categorizer(_rules_json(classes, "categorize")))


@_register(("events", EVENTS), ("classes", LIST))
def q_tag(ctx: QueryContext, events: Any, classes: list[Any]) -> Any:
    return tf.tag(events, _tagger(_rules_json(classes, "tag")))


def _rules_json(classes: list[Any], name: str) -> str:
    if len(classes) > MAX_RULES:
        raise QueryError(f"{name}() takes at most {MAX_RULES} rules, got {len(classes)}")
    try:
        return json.dumps(classes, sort_keys=True)
    except (TypeError, ValueError):
        raise QueryError("Category rules must be plain lists, strings and dicts") from None


# -- misc -----------------------------------------------------------------------------------
@_register(("collection", ANY), ("value", ANY))
def q_contains(ctx: QueryContext, collection: Any, value: Any) -> bool:
    if isinstance(collection, dict):
        if not isinstance(value, str):
            raise QueryError(f"contains() on a dict needs a string key, got {describe(value)}")
        return value in collection
    if isinstance(collection, list | str):
        if isinstance(collection, str) and not isinstance(value, str):
            raise QueryError(f"contains() on a string needs a string, got {describe(value)}")
        return value in collection
    raise QueryError(
        "Argument 1 (collection) of contains() must be a list or a dict, "
        f"got {describe(collection)}"
    )


@_register()
def q_nop(ctx: QueryContext) -> int:
    return 1
