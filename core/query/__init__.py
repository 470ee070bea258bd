"""The ActivityWatch query language: parser, interpreter and functions (Qt-free)."""

from timelygator.core.query.datasource import MemoryDataSource, QueryDataSource
from timelygator.core.query.errors import QueryError
from timelygator.core.query.functions import FUNCTIONS
from timelygator.core.query.interpreter import evaluate, parse_timeperiod, run_query
from timelygator.core.query.parser import parse
from timelygator.core.query.serialize import event_to_json, to_json

__all__ = [
    "FUNCTIONS",
    "MemoryDataSource",
    "QueryDataSource",
    "QueryError",
    "evaluate",
    "event_to_json",
    "parse",
    "parse_timeperiod",
    "run_query",
    "to_json",
]
