"""Parser: literals, statements, and errors with message and position."""

from __future__ import annotations

import pytest
from timelygator.core.errors import ValidationError
from timelygator.core.query.errors import QueryError
from timelygator.core.query.parser import join_statements, parse
from timelygator.core.query.syntax import Assign, Call, DictExpr, ListExpr, Literal, Var


def _value(text: str) -> object:
    program = parse(f"RETURN = {text};")
    return program.statements[0].expr


def test_literals() -> None:
    assert _value("1") == Literal(1)
    assert _value("-2.5") == Literal(-2.5)
    assert _value("1e3") == Literal(1000.0)
    assert _value("true") == Literal(True)
    assert _value("False") == Literal(False)
    assert _value("null") == Literal(None)
    assert _value("None") == Literal(None)
    assert _value("'single'") == Literal("single")
    assert _value('"double"') == Literal("double")


def test_string_escapes() -> None:
    assert _value(r'"a\"b"') == Literal('a"b')
    assert _value(r"'it\'s'") == Literal("it's")
    assert _value(r'"tab\there\nnl"') == Literal("tab\there\nnl")
    assert _value(r'"\u00e9"') == Literal("é")
    # JSON-escaped and naive regex backslashes both reach the regex engine as "\."
    assert _value(r'"github\\.com"') == Literal(r"github\.com")
    assert _value(r'"github\.com \d+"') == Literal(r"github\.com \d+")


def test_lists_dicts_calls_and_vars() -> None:
    expr = _value('f(a, [1, "x",], {"k": g(), "l": []})')
    assert expr == Call(
        "f",
        (
            Var("a", 11),
            ListExpr((Literal(1), Literal("x"))),
            DictExpr((("k", Call("g", (), 31)), ("l", ListExpr(())))),
        ),
        9,
    )


def test_statements_separated_by_semicolons_or_newlines() -> None:
    program = parse("a = 1; b = a;;\nc = 2\nRETURN = c")
    assert [s.name for s in program.statements] == ["a", "b", "c", "RETURN"]
    assert program.statements[1] == Assign("b", Var("a", 11), 7)


def test_comments_are_ignored() -> None:
    program = parse("# header\na = 1; # trailing\nRETURN = a;")
    assert [s.name for s in program.statements] == ["a", "RETURN"]


def test_list_of_statements_is_joined_one_per_line() -> None:
    text = join_statements(["a = 1;", "RETURN = a;"])
    assert text == "a = 1;\nRETURN = a;"
    assert join_statements("x = 1;") == "x = 1;"
    with pytest.raises(QueryError, match="list of strings"):
        join_statements(["a = 1;", 2])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("a = ", "Expected a value, found the end of the query", 1, 5),
        ("a = f(1 2);", "Expected ',' or ')' in the call to f(), found '2'", 1, 9),
        ("a = 1 b = 2;", "Expected ';' after the statement, found 'b'", 1, 7),
        ("a = 1;\n= 3;", "Expected a statement like 'name = expression', found '='", 2, 1),
        ('a = 1;\nb = "abc;', "Unterminated string", 2, 5),
        ("a = {1: 2};", "Expected a string key in the dict, found '1'", 1, 6),
        ("a = [1, 2;", "Expected ',' or ']' in the list, found ';'", 1, 10),
        ("a = @;", "Unexpected character '@'", 1, 5),
        ("a 1;", "Expected '=' after 'a', found '1'", 1, 3),
        ("true = 1;", "Expected a statement like 'name = expression', found 'true'", 1, 1),
    ],
)
def test_parse_errors_have_message_and_position(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(QueryError) as info:
        parse(text)
    error = info.value
    assert error.message == message
    assert (error.line, error.column) == (line, column)
    assert str(error) == f"{message} (at line {line}, column {column})"
    assert isinstance(error, ValidationError)


def test_error_offset_is_a_char_offset() -> None:
    with pytest.raises(QueryError) as info:
        parse("a = 1;\nb = $;")
    assert info.value.offset == 11
