"""Small-cell suppression of published counts (pure functions, no database).

A count under the threshold (default 5) but above zero could single out a few people: it is
suppressed (primary) and shown as "<5". Zeros are shown: "nobody" discloses no one.

A suppressed cell must not be recoverable from the totals beside it. Think of a table with its
row totals, column totals and grand total as one grid of entries in which every row and every
column adds up (the total entry with a minus sign). The suppressed entries are then unknowns of
a set of linear equations, one per row and one per column, and an unknown is determined exactly
when no cycle of suppressed entries passes through it. So:

1. The margins first, from their own values only (`suppress_line`): in the row totals and in
   the column totals, each a line adding up to the grand total, the small ones are hidden and,
   where a line would hide only one, its smallest other non-zero entry too. Tables that publish
   the same margins (cases by area and by category share the month totals; the two population
   tables share the area totals; case handling's received column is the area totals again)
   therefore hide exactly the same ones, and one table's shown total never undoes another's
   hidden one.
2. Then each hidden entry is put on a rectangle of hidden entries — itself, one more in its row,
   one more in its column and the corner they share — adding inner cells only (the cheapest:
   cells already hidden cost nothing, non-zero cells are preferred, as a hidden zero would bound
   its neighbours). A hidden total is paired with the partner step 1 gave it, so the same
   perturbation of the shared margins is absorbed inside every table that shows them.

These complementary cells are shown as "x". Every hidden entry then lies on a cycle, so no
combination of the published rows and columns yields any of them (tests/datagov/ try to, one
table and two tables sharing totals).
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


def _complete(values: list[int], marks: list[str | None]) -> None:
    """A line hiding exactly one entry hides a second: its smallest other non-zero entry (the
    line's total, last, only if nothing else is left)."""
    if sum(1 for mark in marks if mark) != 1:
        return
    last = len(values) - 1
    candidates = sorted(
        (k for k, mark in enumerate(marks) if mark is None),
        key=lambda k: (k == last, values[k] == 0, values[k], k),
    )
    if candidates:
        marks[candidates[0]] = COMPLEMENT


def suppress_line(values: list[int], threshold: int) -> list[str | None]:
    """The marks of a line of counts whose last entry is their total."""
    marks: list[str | None] = [PRIMARY if is_small(v, threshold) else None for v in values]
    _complete(values, marks)
    return marks


def _partner(line: list[int], marks: list[str | None], k: int) -> int | None:
    """The hidden entry of a margin line that entry `k` is paired with: the smallest other
    hidden one, the grand total (last) only if there is no other. The same in every table that
    publishes this line."""
    last = len(line) - 1
    others = sorted(
        (m for m, mark in enumerate(marks) if mark and m != k),
        key=lambda m: (m == last, line[m], m),
    )
    return others[0] if others else None


def suppress_cross(cells: list[list[int]], threshold: int) -> Grid:
    """Suppress a rows × columns table of counts published with its row, column and grand
    totals. `cells` has at least one row and one column."""
    values = with_totals(cells)
    n_rows, n_cols = len(values), len(values[0])
    last_row, last_col = n_rows - 1, n_cols - 1
    hidden: list[list[str | None]] = [
        [PRIMARY if is_small(v, threshold) and i < last_row and j < last_col else None
         for j, v in enumerate(row)]
        for i, row in enumerate(values)
    ]  # fmt: skip

    # 1. The margins, from their values alone.
    row_totals = [values[i][last_col] for i in range(n_rows)]
    col_totals = [values[last_row][j] for j in range(n_cols)]
    by_rows = suppress_line(row_totals, threshold)
    by_cols = suppress_line(col_totals, threshold)
    while (by_rows[-1] is None) != (by_cols[-1] is None):  # the grand total is in both lines
        if by_rows[-1] is None:
            by_rows[-1] = by_cols[-1]
            _complete(row_totals, by_rows)
        else:
            by_cols[-1] = by_rows[-1]
            _complete(col_totals, by_cols)
    for i, mark in enumerate(by_rows):
        hidden[i][last_col] = mark
    for j, mark in enumerate(by_cols):
        hidden[last_row][j] = mark

    def cheapest(rectangles):
        best = None
        for corners in rectangles:
            new = [(a, b) for a, b in corners if hidden[a][b] is None]
            cost = (
                sum(1 for a, b in new if a == last_row or b == last_col),  # keep margins
                len(new),
                sum(1 for a, b in new if values[a][b] == 0),  # avoid hiding zeros
                sum(values[a][b] for a, b in new),  # hide as little as possible
            )
            if best is None or cost < best[0]:
                best = (cost, new)
        return best[1] if best else None

    # 2. Each hidden entry on a rectangle of hidden entries, adding inner cells.
    inner_rows, inner_cols = range(last_row), range(last_col)
    for i in range(n_rows):
        for j in range(n_cols):
            if not hidden[i][j]:
                continue
            if i < last_row and j < last_col:
                rectangles = [
                    ((i, j2), (i2, j), (i2, j2))
                    for i2 in range(n_rows) if i2 != i
                    for j2 in range(n_cols) if j2 != j
                ]  # fmt: skip
            elif j == last_col and i < last_row:
                i2 = _partner(row_totals, by_rows, i)
                rectangles = [((i, j2), (i2, j), (i2, j2)) for j2 in inner_cols]
            elif i == last_row and j < last_col:
                j2 = _partner(col_totals, by_cols, j)
                rectangles = [((i2, j), (i, j2), (i2, j2)) for i2 in inner_rows]
            else:  # the grand total: with a hidden row total and a hidden column total
                i2 = _partner(row_totals, by_rows, i)
                j2 = _partner(col_totals, by_cols, j)
                rectangles = [((i2, j), (i, j2), (i2, j2))] if None not in (i2, j2) else []
            new = cheapest(rectangles)
            if new is None:  # a degenerate table (nothing to pair with): any rectangle
                new = cheapest(
                    ((i, j2), (i2, j), (i2, j2))
                    for i2 in range(n_rows) if i2 != i
                    for j2 in range(n_cols) if j2 != j
                )  # fmt: skip
            for a, b in new or ():
                hidden[a][b] = COMPLEMENT
    return Grid(values, hidden)


def suppress_columns(columns: list[list[int]], threshold: int) -> list[tuple[list[int], list]]:
    """Suppress independent columns of counts, each published with its total: per column, the
    values with the total last and their marks (`suppress_line`, so a column that is another
    table's margin hides what that table hides)."""
    out = []
    for column in columns:
        values = [*column, sum(column)]
        out.append((values, suppress_line(values, threshold)))
    return out


def shown(value: int, mark: str | None, threshold: int):
    if mark == PRIMARY:
        return f"<{threshold}"
    if mark == COMPLEMENT:
        return "x"
    return value
