"""The ActivityWatch query language: parser, interpreter and functions (Qt-free)."""

from core.query.datasource import MemoryDataSource, QueryDataSource
from core.query.errors import QueryError
from core.query.functions import FUNCTIONS
from core.query.interpreter import evaluate, parse_timeperiod, run_query
from core.query.parser import parse
from core.query.serialize import event_to_json, to_json

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
