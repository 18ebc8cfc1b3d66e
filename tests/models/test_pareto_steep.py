"""The Pareto/NBD death-time integrals in local coordinates (clvmodel.models._pareto_steep): a
row's nodes, and so its value, do not depend on the other rows integrated with it.

A panel of a flat stretch of G (tiny α or β: a window hundreds of units wide) is split into up to
32 parts. The number of parts was the largest any row of the call needed, so one such customer
multiplied the nodes of every other customer of the batch (scoring 150 customers 1000 times
outside a covariate's fitted range took 2.1 s instead of 0.18 s), and a customer's prediction
changed in the 13th digit with the batch it was scored in."""

from __future__ import annotations

import numpy as np

from clvmodel.models._pareto_steep import integrate

LOG_T = np.log(39.0)
# (A, c₁, a₁, c₂, a₂, lo, hi) of rows that the generic rule hands to the local one:
WIDE = (1.0, 1.6, 1e-60, 1.8, 12.0, -np.inf, LOG_T)  # α ~ 1e-60: a flat stretch, split
STEEP = (1.0, 1e12, 8.0, 1.8, 12.0, np.log(10.0), LOG_T)  # r + x ~ 1e12: a peak at lo, not split
ORDINARY = (1.0, 1.6, 8.0, 1.8, 12.0, -np.inf, LOG_T)  # the generic rule's


def _integrate(*rows, **options):
    columns = [np.array(values, dtype="float64") for values in zip(*rows, strict=True)]
    return integrate(*columns, **options)


def _nodes_per_row(groups, n):
    nodes = np.zeros(n, dtype=int)
    for rows, terms, weights in groups:
        assert terms[0].shape == weights.shape
        nodes[rows] = weights.shape[1]
    return nodes


def test_a_rows_nodes_and_value_do_not_depend_on_the_other_rows():
    alone_value, alone_groups = _integrate(STEEP)
    (steep_nodes,) = _nodes_per_row(alone_groups, 1)
    (wide_nodes,) = _nodes_per_row(_integrate(WIDE)[1], 1)
    assert wide_nodes > 4 * steep_nodes  # the wide row is split, the steep one is not
    for rows, at in (((WIDE, STEEP), 1), ((STEEP, WIDE, STEEP), 0)):
        value, groups = _integrate(*rows)
        assert _nodes_per_row(groups, len(rows))[at] == steep_nodes
        assert value[at] == alone_value[0]
    assert np.isfinite(value).all()


def test_the_value_is_the_same_without_the_node_terms():
    rows = (WIDE, ORDINARY, STEEP, (1.0, 1.6, 1e-200, 1.8, 1e-200, -np.inf, LOG_T))
    with_terms, groups = _integrate(*rows)
    without, some_groups = _integrate(*rows, node_terms=False)
    np.testing.assert_array_equal(without, with_terms)
    assert sorted(np.concatenate([g[0] for g in groups])) == [0, 1, 2, 3]
    # only the generic rule's row keeps its group: the local rows' node terms were skipped
    assert [list(g[0]) for g in some_groups] == [[1]]
