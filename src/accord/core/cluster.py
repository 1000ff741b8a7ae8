"""Screening on a Dask cluster: the blocks, brackets and refinement of
:func:`accord.core.screening.screen`, spread over the cluster's workers.

The window's node intervals are cut into blocks of time, as in one process, and the objects
into ``partitions`` contiguous ranges of indices.  One task screens one block for one range:
it propagates every object over the block and sieves them all (a pair's brackets depend on
the pair alone, never on the other objects: :func:`accord.core.sieve.block_brackets`), but
keeps only the pairs that its range owns.  A pair ``(i, j)``, ``i < j``, is owned by the
range that holds ``i`` when ``i`` is a primary (every object is one when all pairs are
screened), otherwise ``j``: exactly one range owns each pair, so nothing is counted twice or
lost.  The tasks' brackets are gathered and split by pair, and each share is refined on a
worker (:func:`accord.core.screening.refine`, whose result for a pair depends on that pair's
brackets only); the rows are merged in the order of one process (TCA, then pair).  The
conjunction list is therefore the single-process one.

Blocks of time are the cheap axis: object ranges repeat the block's propagation and sieve
in every range, and pay only where the brackets dominate (very dense samples) or a task
must be smaller.  Dask (Rocklin, "Dask: Parallel Computation with Blocked algorithms and
Task Scheduling", SciPy 2015) is imported by the caller that makes the client; this module
needs only the client's ``scatter``, ``submit`` and ``gather``.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.core.brackets import BRACKET_COLUMNS
from accord.core.screening import (
    MIN_REFINE_BRACKETS,
    Conjunctions,
    Ensemble,
    Plan,
    Progress,
    merge,
    pair_shares,
    refine,
    screen_block,
    spread,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def screen_on_cluster(
    client: Any,
    ensemble: Ensemble,
    plan: Plan,
    *,
    partitions: int = 1,
    shares: int | None = None,
    progress: Progress | None = None,
) -> Conjunctions:
    """Given a ``dask.distributed.Client``, an ensemble and the :class:`Plan` of a
    screening (:func:`accord.core.screening.plan`), screen it on the client's cluster in
    blocks of time x ``partitions`` ranges of objects; return what
    :func:`accord.core.screening.screen` returns in one process.

    The ensemble travels to every worker once (it must pickle: :class:`Sgp4Ensemble` does).
    The brackets are refined in ``shares`` tasks (default: one per worker thread, with at
    least ``MIN_REFINE_BRACKETS`` brackets each).
    ``progress(done, total)`` is called in node intervals as tasks finish.
    """
    from distributed import as_completed

    size = ensemble.size
    plan = spread(plan, max(1, sum(client.nthreads().values())))
    ranges = object_ranges(size, 1 if plan.few_primaries else partitions)
    if not plan.all_primary:
        # Ranges without a primary own no pair.
        ranges = [(lo, hi) for lo, hi in ranges if plan.primary[lo:hi].any()]
    shared, shared_plan = client.scatter([ensemble, plan], broadcast=True, hash=False)
    tasks = [(first, lo, hi) for first in plan.firsts() for lo, hi in ranges]
    futures = [
        client.submit(range_block, shared, shared_plan, first, lo, hi, pure=False)
        for first, lo, hi in tasks
    ]
    order = {future.key: k for k, future in enumerate(futures)}
    found: list[FloatArray | None] = [None] * len(futures)
    for done, future in enumerate(as_completed(futures), start=1):
        found[order[future.key]] = future.result()
        if progress is not None:
            progress(done * plan.n_intervals // len(futures), plan.n_intervals)
    del futures
    rows = [b for b in found if b is not None]
    brackets = np.concatenate(rows) if rows else np.empty((0, BRACKET_COLUMNS))
    if shares is None:
        threads = max(1, sum(client.nthreads().values()))
        shares = max(1, min(threads, len(brackets) // MIN_REFINE_BRACKETS))
    arguments = (plan.duration_s, plan.threshold_km, plan.node_step_s)
    # The shares travel as data of their own, not inside the task graph.
    parts = client.scatter(pair_shares(brackets, size, shares), hash=False)
    refined = [client.submit(refine, shared, part, *arguments, pure=False) for part in parts]
    return merge(client.gather(refined))


def object_ranges(size: int, partitions: int) -> list[tuple[int, int]]:
    """Given a number of objects and of partitions, return ``partitions`` contiguous
    ``[lo, hi)`` ranges of object indices covering ``0 .. size - 1`` (none empty)."""
    edges = np.linspace(0, size, max(1, min(partitions, size)) + 1).round().astype(int)
    return [(int(lo), int(hi)) for lo, hi in pairwise(edges.tolist())]


def range_block(ensemble: Ensemble, plan: Plan, first: int, lo: int, hi: int) -> FloatArray:
    """Given an ensemble, a plan, a block's first node interval and a range ``[lo, hi)`` of
    objects, return the block's brackets of the pairs that the range owns (rows as
    :data:`accord.core.brackets.BRACKET_COLUMNS`; owner as the module says)."""
    size = ensemble.size
    if lo == 0 and hi == size:
        return screen_block(ensemble, plan, first)
    primary = np.ones(size, dtype=bool) if plan.all_primary else plan.primary
    mine = np.zeros(size, dtype=bool)
    mine[lo:hi] = True
    rows = screen_block(ensemble, replace(plan, primary=primary & mine, all_primary=False), first)
    i, j = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    owner = np.where(primary[i], i, j)
    return rows[(owner >= lo) & (owner < hi)]
