"""Runs parsed queries: one evaluation per timeperiod, results serialised at the end."""

from __future__ import annotations

from typing import Any

from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.query.budget import QueryBudget, QueryLimitError
from timelygator.core.query.datasource import QueryDataSource
from timelygator.core.query.errors import QueryError
from timelygator.core.query.functions import FUNCTIONS, QueryContext
from timelygator.core.query.parser import join_statements, parse
from timelygator.core.query.serialize import to_json
from timelygator.core.query.syntax import Call, DictExpr, Expr, ListExpr, Literal, Program, Var
from timelygator.core.timeutil import RANGE_TEXT, format_iso, in_time_range, parse_iso


def parse_timeperiod(period: str) -> tuple[int, int]:
    """``"<iso>/<iso>"`` -> (start_us, end_us)."""
    if not isinstance(period, str) or period.count("/") != 1:
        raise QueryError(f"Invalid timeperiod {period!r}: expected '<start>/<end>' in ISO 8601.")
    start_text, end_text = period.split("/")
    try:
        start_us, _ = parse_iso(start_text)
        end_us, _ = parse_iso(end_text)
    except ValidationError as exc:
        raise QueryError(f"Invalid timeperiod {period!r}: {exc}") from None
    if not (in_time_range(start_us) and in_time_range(end_us)):
        raise QueryError(
            f"Invalid timeperiod {period[:130]!r}: it must lie in the supported range "
            f"({RANGE_TEXT})."
        )
    if end_us < start_us:
        raise QueryError(f"Invalid timeperiod {period!r}: the end is before the start.")
    return start_us, end_us


def evaluate(
    program: Program,
    source: QueryDataSource,
    start_us: int,
    end_us: int,
    budget: QueryBudget | None = None,
) -> Any:
    """Run ``program`` for one period and return the raw value of ``RETURN`` (not serialised).

    With a ``budget`` every call, list and dict is charged to it (``core.query.budget``).
    """
    start_iso, end_iso = format_iso(start_us), format_iso(end_us)
    namespace: dict[str, Any] = {
        "TIMEINTERVAL": f"{start_iso}/{end_iso}",
        "STARTTIME": start_iso,
        "ENDTIME": end_iso,
    }
    ctx = _Evaluator(program.text, namespace, QueryContext(source, start_us, end_us, budget))
    for statement in program.statements:
        namespace[statement.name] = ctx.eval(statement.expr)
    if "RETURN" not in namespace:
        raise QueryError("The query has no RETURN statement: add one like 'RETURN = events;'.")
    return namespace["RETURN"]


class _Evaluator:
    def __init__(self, text: str, namespace: dict[str, Any], context: QueryContext) -> None:
        self.text = text
        self.namespace = namespace
        self.context = context

    def eval(self, expr: Expr) -> Any:
        kind = type(expr)
        if kind is Var:
            assert isinstance(expr, Var)
            try:
                return self.namespace[expr.name]
            except KeyError:
                hint = " (functions need parentheses)" if expr.name in FUNCTIONS else ""
                raise QueryError.at(
                    f"Unknown variable '{expr.name}'{hint}", self.text, expr.offset
                ) from None
        if kind is Call:
            assert isinstance(expr, Call)
            function = FUNCTIONS.get(expr.name)
            if function is None:
                raise QueryError.at(f"Unknown function '{expr.name}'", self.text, expr.offset)
            args = [self.eval(arg) for arg in expr.args]
            budget = self.context.budget
            try:
                if budget is None:
                    return function(self.context, args)
                budget.check_time()
                result = function(self.context, args)
                budget.check_time()
                if type(result) is list and result and type(result[0]) is not Event:
                    size = 1 + sum(map(budget.size_of, result))
                    return budget.built(result, size, f"a list in {expr.name}()")
                return result
            except QueryLimitError:
                raise
            except QueryError as exc:
                if exc.offset is not None:
                    raise
                raise QueryError.at(exc.message, self.text, expr.offset) from None
        if kind is Literal:
            assert isinstance(expr, Literal)
            return expr.value
        budget = self.context.budget
        if kind is ListExpr:
            assert isinstance(expr, ListExpr)
            items = [self.eval(item) for item in expr.items]
            if budget is None:
                return items
            return budget.built(items, 1 + sum(map(budget.size_of, items)), "a list")
        assert isinstance(expr, DictExpr)
        mapping = {key: self.eval(value) for key, value in expr.items}
        if budget is None:
            return mapping
        return budget.built(mapping, 1 + sum(map(budget.size_of, mapping.values())), "a dict")


def run_query(
    statements: str | list[str],
    timeperiods: list[str],
    source: QueryDataSource,
    budget: QueryBudget | None = None,
) -> list[Any]:
    """Run a query once per timeperiod; one JSON-ready result per period, in order.

    Raises QueryError (a ValidationError) for anything wrong with the query or its input,
    QueryLimitError when it spends one of ``budget``'s limits (shared by all periods).
    """
    program = parse(join_statements(statements))
    if not isinstance(timeperiods, list):
        raise QueryError("'timeperiods' must be a list of '<start>/<end>' strings.")
    periods = [parse_timeperiod(p) for p in timeperiods]
    return [to_json(evaluate(program, source, start, end, budget)) for start, end in periods]
