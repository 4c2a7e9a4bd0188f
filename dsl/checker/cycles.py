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
    suspects = _reaching_cycles(graph)
    if not suspects:
        return
    order = {name: i for i, name in enumerate(graph)}
    # the others cannot be on a cycle, nor lead the search from one cycle to another
    within = {
        name: {k: v for k, v in edges.items() if k in suspects}
        for name, edges in graph.items()
        if name in suspects
    }
    for component in strongly_connected(within):
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        members = set(component)
        start = min(component, key=order.__getitem__)
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


def _reaching_cycles(graph: Graph) -> set[str]:
    """The nodes from which some path leads into a cycle: what remains once nodes with no way on are
    taken away, again and again (most rulesets have no cycle, and this is cheaper than the search)."""
    ways_on = {name: len(edges) for name, edges in graph.items()}
    callers: dict[str, list[str]] = {}
    for name, edges in graph.items():
        for target in edges:
            callers.setdefault(target, []).append(name)
    dead_ends = [name for name, count in ways_on.items() if count == 0]
    while dead_ends:
        for caller in callers.get(dead_ends.pop(), ()):
            ways_on[caller] -= 1
            if ways_on[caller] == 0:
                dead_ends.append(caller)
    return {name for name, count in ways_on.items() if count}


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
