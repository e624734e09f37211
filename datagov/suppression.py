"""Small-cell suppression of published counts (pure functions, no database).

A count under the threshold (default 5) but above zero could single out a few people: it is
suppressed (primary) and shown as "<5". Zeros are shown: "nobody" discloses no one.

A suppressed cell must not be recoverable from the totals beside it. Think of a table with its
row totals, column totals and grand total as one grid of entries in which every row and every
column adds up (the total entry with a minus sign). The suppressed entries are then unknowns of
a set of linear equations, one per row and one per column, and an unknown is determined exactly
when no cycle of suppressed entries passes through it (in the bipartite graph of rows and
columns, such an unknown is a bridge). So each primary cell is put on a rectangle of suppressed
entries — itself, one more in its row, one more in its column and the corner they share — chosen
to hide as little as possible (entries already suppressed cost nothing; non-zero entries are
preferred, as a suppressed zero would bound its neighbours). These complementary cells are shown
as "x". Every suppressed entry then lies on a cycle, so no combination of the published rows and
columns yields any of them (tests/datagov/test_suppression.py tries to).

A list (`suppress_columns`) has only column totals: each column is one equation, and two
suppressed entries in it are enough.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIMARY, COMPLEMENT = "primary", "complement"


@dataclass
class Grid:
    """A suppressed table: `values[i][j]` with the last row and the last column the totals, and
    `hidden[i][j]` None, PRIMARY or COMPLEMENT."""

    values: list[list[int]]
    hidden: list[list[str | None]]


def with_totals(cells: list[list[int]]) -> list[list[int]]:
    """`cells` with a total column and a total row (the grand total in the corner)."""
    width = len(cells[0]) if cells else 0
    rows = [[*row, sum(row)] for row in cells]
    rows.append([sum(row[j] for row in rows) for j in range(width + 1)])
    return rows


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def suppress_cross(cells: list[list[int]], threshold: int) -> Grid:
    """Suppress a rows × columns table of counts published with its row, column and grand
    totals. `cells` has at least one row and one column."""
    values = with_totals(cells)
    n_rows, n_cols = len(values), len(values[0])
    hidden: list[list[str | None]] = [
        [PRIMARY if is_small(v, threshold) else None for v in row] for row in values
    ]
    primaries = [(i, j) for i in range(n_rows) for j in range(n_cols) if hidden[i][j]]
    for i, j in primaries:
        best = None
        for i2 in range(n_rows):
            if i2 == i:
                continue
            for j2 in range(n_cols):
                if j2 == j:
                    continue
                corners = ((i, j2), (i2, j), (i2, j2))
                new = [(a, b) for a, b in corners if hidden[a][b] is None]
                cost = (
                    len(new),
                    sum(1 for a, b in new if values[a][b] == 0),  # avoid hiding zeros
                    sum(values[a][b] for a, b in new),  # hide as little as possible
                    sum(1 for a, b in new if a == n_rows - 1 or b == n_cols - 1),  # keep totals
                )
                if best is None or cost < best[0]:
                    best = (cost, new)
                    if cost[0] == 0:
                        break
            if best is not None and best[0][0] == 0:
                break
        for a, b in best[1]:
            hidden[a][b] = COMPLEMENT
    return Grid(values, hidden)


def suppress_columns(columns: list[list[int]], threshold: int) -> list[tuple[list[int], list]]:
    """Suppress independent columns of counts, each published with its total: per column, the
    values with the total last and their marks. A column with one suppressed entry gets a
    second: its smallest other non-zero entry (a total only if nothing else is left)."""
    out = []
    for column in columns:
        values = [*column, sum(column)]
        hidden: list[str | None] = [PRIMARY if is_small(v, threshold) else None for v in values]
        if sum(1 for mark in hidden if mark) == 1:
            candidates = sorted(
                (k for k, mark in enumerate(hidden) if mark is None),
                key=lambda k: (k == len(values) - 1, values[k] == 0, values[k]),
            )
            if candidates:
                hidden[candidates[0]] = COMPLEMENT
        out.append((values, hidden))
    return out


def shown(value: int, mark: str | None, threshold: int):
    if mark == PRIMARY:
        return f"<{threshold}"
    if mark == COMPLEMENT:
        return "x"
    return value
