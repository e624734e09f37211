"""Small-cell suppression: small counts hidden, and no hidden count recoverable from the
published rows, columns and totals — checked by trying to solve for it."""

import random
from fractions import Fraction

from datagov import suppression
from datagov.suppression import COMPLEMENT, PRIMARY


def determined(values, hidden):
    """The hidden entries an attacker can compute exactly from one published table with its
    totals (see determined_jointly)."""
    return determined_jointly([(values, hidden, lambda i, j: (i, j))])


def determined_jointly(tables):
    """The hidden entries an attacker can compute exactly from published tables with totals,
    each given as (values, hidden, name) where name(i, j) names an entry (tables that publish
    the same total give it the same name): solve every row and column equation (each line adds
    up to its total) for the hidden entries by Gaussian elimination over the rationals; an
    unknown is determined when its row of the reduced system names no other unknown."""
    unknowns = []
    for values, hidden, name in tables:
        for i, row in enumerate(values):
            for j, _value in enumerate(row):
                if hidden[i][j] and name(i, j) not in unknowns:
                    unknowns.append(name(i, j))
    index = {key: k for k, key in enumerate(unknowns)}
    equations = []
    for values, hidden, name in tables:
        n_rows, n_cols = len(values), len(values[0])
        lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
        for line in lines:
            *parts, total = line
            row = [Fraction(0)] * (len(unknowns) + 1)
            known = Fraction(0)
            for sign, (i, j) in [(1, c) for c in parts] + [(-1, total)]:
                if hidden[i][j]:
                    row[index[name(i, j)]] += sign
                else:
                    known += sign * values[i][j]
            row[-1] = -known
            equations.append(row)
    pivots = []
    rank = 0
    for col in range(len(unknowns)):
        pivot = next((r for r in range(rank, len(equations)) if equations[r][col] != 0), None)
        if pivot is None:
            continue
        equations[rank], equations[pivot] = equations[pivot], equations[rank]
        lead = equations[rank][col]
        equations[rank] = [x / lead for x in equations[rank]]
        for r in range(len(equations)):
            if r != rank and equations[r][col] != 0:
                factor = equations[r][col]
                equations[r] = [
                    a - factor * b for a, b in zip(equations[r], equations[rank], strict=True)
                ]
        pivots.append(col)
        rank += 1
    found = {}
    for r, col in enumerate(pivots):
        if not any(equations[r][c] for c in range(len(unknowns)) if c != col):
            found[unknowns[col]] = equations[r][-1]
    return found


def test_a_cell_of_three_is_shown_as_under_five_and_cannot_be_derived_from_the_totals():
    cells = [[3, 40, 25], [30, 22, 18], [12, 9, 50]]

    grid = suppression.suppress_cross(cells, 5)

    assert suppression.shown(grid.values[0][0], grid.hidden[0][0], 5) == "<5"
    assert grid.hidden[0][0] == PRIMARY
    assert any(mark == COMPLEMENT for row in grid.hidden for mark in row)
    assert determined(grid.values, grid.hidden) == {}


def test_subtracting_the_shown_cells_from_a_total_never_gives_a_hidden_cell():
    cells = [[3, 40], [30, 22]]
    grid = suppression.suppress_cross(cells, 5)

    for marks in grid.hidden:
        # Each line with anything hidden hides at least two of its entries.
        assert sum(1 for m in marks if m) != 1
    for j in range(len(grid.values[0])):
        assert sum(1 for row in grid.hidden if row[j]) != 1
    assert determined(grid.values, grid.hidden) == {}


def test_without_suppression_the_solver_does_find_a_lone_hidden_cell():
    """The attacker in these tests works: hide one cell only, and it is found."""
    values = suppression.with_totals([[3, 40], [30, 22]])
    hidden = [[None] * 3 for _ in range(3)]
    hidden[0][0] = PRIMARY

    assert determined(values, hidden) == {(0, 0): 3}


def test_random_tables_never_leak_a_hidden_count():
    rng = random.Random(16)
    for _ in range(200):
        rows, cols = rng.randint(1, 6), rng.randint(1, 6)
        cells = [
            [rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 20, 60]) for _ in range(cols)] for _ in range(rows)
        ]
        grid = suppression.suppress_cross(cells, 5)
        for i, row in enumerate(grid.values):
            for j, value in enumerate(row):
                if 0 < value < 5:
                    assert grid.hidden[i][j] == PRIMARY
        assert determined(grid.values, grid.hidden) == {}, cells


def test_zeros_are_shown_and_big_counts_too():
    grid = suppression.suppress_cross([[0, 10], [7, 12]], 5)

    shown = [
        [suppression.shown(v, m, 5) for v, m in zip(r, h, strict=True)]
        for r, h in zip(grid.values, grid.hidden, strict=True)
    ]

    assert shown == [
        [0, 10, 10],
        [7, 12, 19],
        [7, 22, 29],
    ]


def test_a_column_with_one_small_count_hides_a_second_entry():
    [(values, hidden)] = suppression.suppress_columns([[3, 40, 25]], 5)

    assert values == [3, 40, 25, 68]
    assert hidden == [PRIMARY, None, COMPLEMENT, None]  # the smallest other count


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def test_two_tables_sharing_their_area_totals_never_leak_together():
    """The two population tables (by age band, by type) publish the same area totals: what one
    shows must not undo what the other hides, and the two together determine nothing."""
    rng = random.Random(1616)
    for _ in range(150):
        rows, cols = rng.randint(1, 5), rng.randint(1, 5)
        by_age = [[rng.choice([0, 1, 2, 3, 6, 9, 30]) for _ in range(cols)] for _ in range(rows)]
        width = rng.randint(1, 4)
        by_type = [_split(sum(row), width, rng) for row in by_age]
        a = suppression.suppress_cross(by_age, 5)
        b = suppression.suppress_cross(by_type, 5)
        last_a, last_b = len(a.values[0]) - 1, len(b.values[0]) - 1

        def names(last, table):
            def name(i, j):
                return ("area total", i) if j == last else (table, i, j)

            return name

        assert [bool(r[last_a]) for r in a.hidden] == [bool(r[last_b]) for r in b.hidden]
        joint = [
            (a.values, a.hidden, names(last_a, "age")),
            (b.values, b.hidden, names(last_b, "type")),
        ]
        assert determined_jointly(joint) == {}, (by_age, by_type)
