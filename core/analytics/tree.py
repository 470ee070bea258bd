"""The category tree of a range with rolled-up totals (a parent includes its children)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]


@dataclass(slots=True)
class CategoryNode:
    """One category with its own time and the time of everything under it."""

    path: Path
    total_us: int = 0  # self + descendants
    self_us: int = 0  # events filed exactly here
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": list(self.path),
            "total_s": self.total_us / 1e6,
            "self_s": self.self_us / 1e6,
            "children": [c.to_dict() for c in self.children],
        }


def category_tree(leaf_totals: Mapping[Path, int]) -> list[CategoryNode]:
    """Top-level nodes, largest first; children sorted the same way."""
    nodes: dict[Path, CategoryNode] = {}
    roots: list[CategoryNode] = []
    for path, us in leaf_totals.items():
        if us <= 0 or not path:
            continue
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            node = nodes.get(prefix)
            if node is None:
                node = nodes[prefix] = CategoryNode(prefix)
                (roots if depth == 1 else nodes[path[: depth - 1]].children).append(node)
            node.total_us += us
        nodes[path].self_us += us

    def order(items: list[CategoryNode]) -> None:
        items.sort(key=lambda n: (-n.total_us, n.path))
        for item in items:
            order(item.children)

    order(roots)
    return roots


def flatten(nodes: list[CategoryNode]) -> list[tuple[Path, int]]:
    """Every node's (path, rolled-up total), depth first."""
    out: list[tuple[Path, int]] = []
    for node in nodes:
        out.append((node.path, node.total_us))
        out.extend(flatten(node.children))
    return out
