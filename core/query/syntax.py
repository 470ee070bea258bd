"""Syntax tree of a parsed query (immutable, so a parsed query can be cached and reused)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # str, int, float, bool or None


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class DictExpr:
    items: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    offset: int


Expr = Literal | ListExpr | DictExpr | Var | Call


@dataclass(frozen=True, slots=True)
class Assign:
    name: str
    expr: Expr
    offset: int


@dataclass(frozen=True, slots=True)
class Program:
    text: str
    statements: tuple[Assign, ...]
