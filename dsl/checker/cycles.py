"""No condition or rule may depend on itself, through any chain of references.

Strongly connected components (Tarjan, without recursion) find every cycle in linear time; each
component is reported once, at its first declaration, with one path through it: `a -> b -> a`.
"""

from __future__ import annotations

from collections import deque

from ruleward.dsl import nodes as n
from ruleward.dsl.checker.context import Context
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.source import Span

CYCLE = DiagnosticCode("E106", "cycle", "conditions or rules that depend on themselves")

# node -> {referenced node: span of the first reference}
Graph = dict[str, dict[str, Span]]


def run(ctx: Context) -> None:
    graph = dependency_graph(ctx)
    order = {name: i for i, name in enumerate(graph)}
    for component in strongly_connected(graph):
        members = set(component)
        start = min(component, key=order.__getitem__)
        if len(component) == 1 and start not in graph[start]:
            continue
        path = _cycle_through(graph, members, start)
        declaration = ctx.symbols.conditions.get(start) or ctx.symbols.rules[start]
        kind = "condition" if isinstance(declaration, n.Condition) else "rule"
        shown = " -> ".join(f"{name}" for name in path)
        ctx.emit(
            CYCLE.at(
                graph[start][path[1]],
                f"{kind} `{start}` depends on itself: `{shown}`",
                "a condition or rule cannot refer back to itself; name the shared part as its own condition",
            )
        )


def dependency_graph(ctx: Context) -> Graph:
    graph: Graph = {name: {} for name in (*ctx.symbols.conditions, *ctx.symbols.rules)}
    for site in ctx.sites:
        owner = site.owner
        if isinstance(owner, n.Invariant) or owner.name not in graph:
            continue
        if ctx.symbols.conditions.get(owner.name, ctx.symbols.rules.get(owner.name)) is not owner:
            continue  # a duplicate declaration: the names pass reports it, the first one counts
        edges = graph[owner.name]
        for node, scope in ctx.index(site).names:
            if node.name in graph and node.name not in scope:
                if ctx.symbols.resolve(node.name, scope) in ("condition", "rule"):
                    edges.setdefault(node.name, node.span)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm with an explicit stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, list(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, list(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_through(graph: Graph, members: set[str], start: str) -> list[str]:
    """The shortest path `start -> ... -> start` inside one component (breadth first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph[node]:
            if nxt not in members:
                continue
            if nxt == start:
                path = [start]
                while node != start:
                    path.append(node)
                    node = previous[node]
                path.append(start)
                return [path[0], *reversed(path[1:-1]), start] if len(path) > 2 else [start, start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return [start, start]  # pragma: no cover - a component always holds a cycle through its members
