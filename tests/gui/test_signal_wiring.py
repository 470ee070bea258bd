"""No Qt signal's argument can reach a slot as data.

``clicked(bool)`` connected to ``rename(name=None)`` once renamed categories to ``False``:
PySide passes a signal's arguments to every parameter the slot can take. This reads the GUI's
source and fails on any connection of a signal that carries arguments to a method with an
optional parameter (split such a method into a prompt without parameters and a setter).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "timelygator_gui"

# Qt's own signals that carry arguments, by name (the GUI connects these).
QT_SIGNALS_WITH_ARGS = {
    "activated", "clicked", "colorSelected", "currentChanged", "currentIndexChanged",
    "currentItemChanged", "currentRowChanged", "currentTextChanged", "dateChanged",
    "doubleClicked", "finished", "itemChanged", "stateChanged", "textChanged",
    "textEdited", "textValueSelected", "toggled", "triggered", "valueChanged",
    "colorSchemeChanged", "sigXRangeChanged", "sigResized", "sigMouseMoved",
    "sigMouseClicked",
}  # fmt: skip


def _own_signals(tree: ast.Module) -> dict[str, int]:
    """``sig_x = Signal(a, b)`` in the GUI's classes: name -> number of arguments."""
    found = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "Signal"
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = len(node.value.args)
    return found


def _optional_params(tree: ast.Module) -> dict[str, list[str]]:
    """Methods with optional positional parameters: name -> those parameters."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.args.defaults:
            params = node.args.args[len(node.args.args) - len(node.args.defaults) :]
            found[node.name] = [p.arg for p in params]
    return found


def test_no_signal_argument_reaches_an_optional_parameter() -> None:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in ROOT.rglob("*.py")}
    everywhere: dict[str, int] = {}
    for tree in trees.values():
        everywhere.update(_own_signals(tree))
    problems = []
    checked = 0
    for path, tree in trees.items():
        # A signal declared in this file wins over one of the same name elsewhere.
        signals = {**everywhere, **_own_signals(tree)}
        optional = _optional_params(tree)  # ``self.method`` is a method of this file
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Attribute)
                and node.args
                and isinstance(node.args[0], ast.Attribute)
                and isinstance(node.args[0].value, ast.Name)
                and node.args[0].value.id == "self"
            ):
                continue
            checked += 1
            signal, slot = node.func.value.attr, node.args[0].attr
            carries = signals[signal] > 0 if signal in signals else signal in QT_SIGNALS_WITH_ARGS
            if carries and slot in optional:
                problems.append(
                    f"{path.name}:{node.lineno}: {signal} -> {slot}({', '.join(optional[slot])})"
                )
    assert checked > 40  # the scan sees the GUI's connections
    assert problems == []
