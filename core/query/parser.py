"""Recursive-descent parser for the ActivityWatch query language.

Grammar (``;`` may be left out between statements that are on different lines)::

    program   := (assign (";" | newline))* EOF
    assign    := NAME "=" expr
    expr      := literal | NAME | NAME "(" [expr ("," expr)* [","]] ")"
               | "[" [expr ("," expr)* [","]] "]" | "{" [pair ("," pair)* [","]] "}"
               | "(" expr ")"
    pair      := STRING ":" expr
    literal   := STRING | ["-"] NUMBER | true | false | True | False | null | None
"""

from __future__ import annotations

from functools import lru_cache

from timelygator.core.query.errors import QueryError
from timelygator.core.query.lexer import EOF_KIND, NAME, NUMBER, PUNCT, STRING, Token, tokenize
from timelygator.core.query.syntax import (
    Assign,
    Call,
    DictExpr,
    Expr,
    ListExpr,
    Literal,
    Program,
    Var,
)

_KEYWORDS: dict[str, object] = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "null": None,
    "None": None,
}


def join_statements(statements: str | list[str]) -> str:
    """The query text: a list of statements is joined with newlines (one per line)."""
    if isinstance(statements, str):
        return statements
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        raise QueryError("The query must be a string or a list of strings.")
    return "\n".join(statements)


@lru_cache(maxsize=64)
def parse(text: str) -> Program:
    """Parse query text into a Program (cached: the tree is immutable)."""
    return _Parser(text).program()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    # -- helpers -------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def error(self, message: str, token: Token) -> QueryError:
        return QueryError.at(message, self.text, token.offset)

    def is_punct(self, char: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == PUNCT and token.value == char

    def expect(self, char: str, context: str) -> Token:
        token = self.peek()
        if not (token.kind == PUNCT and token.value == char):
            raise self.error(f"Expected '{char}' {context}, found {_describe(token)}", token)
        return self.advance()

    # -- grammar -------------------------------------------------------------------------
    def program(self) -> Program:
        statements: list[Assign] = []
        while True:
            while self.is_punct(";"):
                self.advance()
            if self.peek().kind == EOF_KIND:
                break
            statements.append(self.assign())
            token = self.peek()
            if token.kind == EOF_KIND or self.is_punct(";"):
                continue
            previous = self.tokens[self.pos - 1]
            if "\n" not in self.text[previous.end : token.offset]:
                raise self.error(
                    f"Expected ';' after the statement, found {_describe(token)}", token
                )
        return Program(self.text, tuple(statements))

    def assign(self) -> Assign:
        token = self.peek()
        if token.kind != NAME or token.value in _KEYWORDS:
            raise self.error(
                f"Expected a statement like 'name = expression', found {_describe(token)}", token
            )
        self.advance()
        self.expect("=", f"after '{token.value}'")
        return Assign(token.value, self.expr(), token.offset)

    def expr(self) -> Expr:
        token = self.peek()
        if token.kind == STRING or token.kind == NUMBER:
            self.advance()
            return Literal(token.value)
        if token.kind == NAME:
            self.advance()
            if token.value in _KEYWORDS:
                return Literal(_KEYWORDS[token.value])
            if self.is_punct("("):
                self.advance()
                args = self.sequence(")", f"in the call to {token.value}()")
                return Call(token.value, tuple(args), token.offset)
            return Var(token.value, token.offset)
        if token.kind == PUNCT:
            if token.value == "-" and self.peek(1).kind == NUMBER:
                self.advance()
                return Literal(-self.advance().value)
            if token.value == "[":
                self.advance()
                return ListExpr(tuple(self.sequence("]", "in the list")))
            if token.value == "{":
                self.advance()
                return self.dict_body()
            if token.value == "(":
                self.advance()
                inner = self.expr()
                self.expect(")", "to close '('")
                return inner
        raise self.error(f"Expected a value, found {_describe(token)}", token)

    def sequence(self, closer: str, context: str) -> list[Expr]:
        items: list[Expr] = []
        while not self.is_punct(closer):
            items.append(self.expr())
            if self.is_punct(","):
                self.advance()
            elif not self.is_punct(closer):
                token = self.peek()
                raise self.error(
                    f"Expected ',' or '{closer}' {context}, found {_describe(token)}", token
                )
        self.advance()
        return items

    def dict_body(self) -> DictExpr:
        items: list[tuple[str, Expr]] = []
        while not self.is_punct("}"):
            key = self.peek()
            if key.kind != STRING:
                raise self.error(f"Expected a string key in the dict, found {_describe(key)}", key)
            self.advance()
            self.expect(":", "after the dict key")
            items.append((key.value, self.expr()))
            if self.is_punct(","):
                self.advance()
            elif not self.is_punct("}"):
                token = self.peek()
                raise self.error(
                    f"Expected ',' or '}}' in the dict, found {_describe(token)}", token
                )
        self.advance()
        return DictExpr(tuple(items))


def _describe(token: Token) -> str:
    if token.kind == EOF_KIND:
        return "the end of the query"
    if token.kind == STRING:
        return f"string {token.value!r}"
    return f"'{token.value}'"
