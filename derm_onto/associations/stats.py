"""Vectorised association statistics over arrays of 2x2 counts.

For a condition c and a feature f in one source: ``n`` images in the source (annotated for
the feature's column), ``n_c`` images of c, ``n_f`` images with f, ``n_cf`` images of c with
f. Then support = n_cf / n, confidence = n_cf / n_c, lift = confidence / (n_f / n). The
one-sided Fisher exact test of enrichment is the hypergeometric upper tail
``P(X >= n_cf)`` with ``X ~ Hypergeom(n, n_f, n_c)`` (what ``scipy.stats.fisher_exact(...,
alternative="greater")`` computes, here for whole arrays at once); depletion is the lower
tail. q-values are Benjamini-Hochberg adjusted.

>>> import numpy as np
>>> low, high = wilson(np.array([0]), np.array([20]))
>>> round(float(low[0]), 3), round(float(high[0]), 3)
(0.0, 0.161)
"""

from __future__ import annotations

from typing import Any

Array = Any  # numpy.ndarray


def wilson(k: Array, n: Array, level: float = 0.95) -> tuple[Array, Array]:
    """Wilson score interval of a proportion k/n (0..1 for n = 0)."""
    from statistics import NormalDist

    import numpy as np

    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    safe = np.where(n > 0, n, 1.0)
    p = k / safe
    denom = 1 + z * z / safe
    centre = (p + z * z / (2 * safe)) / denom
    half = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe)) / denom
    # exact at the edges: 0/n has lower bound 0 and n/n upper bound 1 (no rounding dust)
    low = np.where((n > 0) & (k > 0), np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where((n > 0) & (k < n), np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def fisher_greater(n_cf: Array, n_c: Array, n_f: Array, n: Array) -> Array:
    """One-sided Fisher exact p-values for enrichment (feature more common in c):
    ``P(X >= n_cf)``, ``X ~ Hypergeom(n, n_f, n_c)``.

    Summed in float64 by the pmf's ratio recurrence, for all pairs at once: from ``n_cf`` up
    when it lies above the mean, else ``1 - P(X <= n_cf - 1)`` summed down (both sums are
    short: they stop when a term no longer changes the total). scipy's ``hypergeom.sf``
    gives the same numbers but costs ~60 us per pair for tables of 10^2-10^5 images.

    >>> from scipy.stats import fisher_exact
    >>> p = fisher_greater(8, 10, 20, 100)
    >>> bool(abs(float(p) - fisher_exact([[8, 2], [12, 78]], "greater")[1]) < 1e-12)
    True
    """
    import numpy as np
    from scipy.special import gammaln

    a, c, f, t = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (n_cf, n_c, n_f, n))
    )
    a, c, f, t = (x.ravel().copy() for x in (a, c, f, t))
    lo = np.maximum(0.0, c + f - t)
    hi = np.minimum(c, f)
    out = np.ones(a.size)
    upper = a > c * f / np.where(t > 0, t, 1.0)
    start = np.where(upper, a, a - 1)
    valid = (start >= lo) & (start <= hi)
    out[~valid & upper] = 0.0  # a above the support: P = 0
    # below the support (a <= lo): P(X >= a) = 1, already set

    def logpmf(k: Array, c: Array, f: Array, t: Array) -> Array:
        return (
            gammaln(f + 1)
            - gammaln(k + 1)
            - gammaln(f - k + 1)
            + gammaln(t - f + 1)
            - gammaln(c - k + 1)
            - gammaln(t - f - c + k + 1)
            - gammaln(t + 1)
            + gammaln(c + 1)
            + gammaln(t - c + 1)
        )

    idx = np.flatnonzero(valid)
    k, cc, ff, tt, up = start[idx], c[idx], f[idx], t[idx], upper[idx]
    term = np.exp(logpmf(k, cc, ff, tt))
    total = np.empty_like(term)
    for upward, bound in ((True, hi), (False, lo)):
        group = np.flatnonzero(up == upward)
        total[group] = _tail_sums(
            upward, k[group], cc[group], ff[group], tt[group], bound[idx][group], term[group]
        )
    out[idx] = np.where(up, total, 1.0 - total)
    return np.clip(out, 0.0, 1.0).reshape(np.shape(n_cf) if np.ndim(n_cf) else ())


#: Below this many pairs still summing, the rest are finished one by one in Python: a
#: numpy step costs the same for 3 pairs as for 300, and a few pairs with large counts
#: take a thousand steps after the others have stopped.
SCALAR_TAIL = 48


def _tail_sums(
    upward: bool, k: Array, c: Array, f: Array, t: Array, bound: Array, term: Array
) -> Array:
    """The sums of the hypergeometric pmf from ``term`` (the pmf at ``k``) on: up to
    ``bound`` (the support's top) when ``upward``, else down to it, each stopped when a
    term no longer changes its sum (< 1e-17 of it). All operands are whole numbers below
    2**53, so every product and sum of counts is exact and the only roundings are the
    step's division, the term's product and the sum's addition, in the same order for
    the vectorised steps and for the pairs finished in Python: the same floats (a test
    compares both with a one-pair-at-a-time reference).
    """
    import numpy as np

    out = term.copy()
    total = term.copy()
    pos = np.arange(k.size)
    rest = t - f - c  # t - f - c + k >= 0 inside the support
    while pos.size > SCALAR_TAIL:
        if upward:
            step = (f - k) * (c - k) / ((k + 1) * (rest + k + 1))
            k = k + 1
            inside = k <= bound
        else:
            step = k * (rest + k) / np.maximum((f - k + 1) * (c - k + 1), 1.0)
            k = k - 1
            inside = k >= bound
        term = term * step
        total = np.where(inside, total + term, total)
        keep = inside & (term > total * 1e-17)
        done = ~keep
        out[pos[done]] = total[done]
        pos, k, c, f, rest, bound, term, total = (
            x[keep] for x in (pos, k, c, f, rest, bound, term, total)
        )
    for i, ki, ci, fi, ri, bi, te, to in zip(
        pos.tolist(),
        k.tolist(),
        c.tolist(),
        f.tolist(),
        rest.tolist(),
        bound.tolist(),
        term.tolist(),
        total.tolist(),
        strict=True,
    ):
        out[i] = _tail_sum(upward, ki, ci, fi, ri, bi, te, to)
    return out


def _tail_sum(
    upward: bool, k: float, c: float, f: float, rest: float, bound: float, term: float, total: float
) -> float:
    """One pair's :func:`_tail_sums`, with Python floats (the same IEEE operations)."""
    while True:
        if upward:
            step = (f - k) * (c - k) / ((k + 1) * (rest + k + 1))
            k += 1
            if k > bound:
                return total
        else:
            step = k * (rest + k) / max((f - k + 1) * (c - k + 1), 1.0)
            k -= 1
            if k < bound:
                return total
        term *= step
        total += term
        if not term > total * 1e-17:
            return total


def fisher_less(n_cf: Array, n_c: Array, n_f: Array, n: Array) -> Array:
    """One-sided Fisher exact p-values for depletion (feature rarer in c)."""
    import numpy as np
    from scipy.stats import hypergeom

    return np.clip(hypergeom.cdf(n_cf, n, n_f, n_c), 0.0, 1.0)


def benjamini_hochberg(p: Array) -> Array:
    """Benjamini-Hochberg q-values (an empty array stays empty): the p-values sorted,
    scaled by m / rank, made monotone from the top, capped at 1. The same numbers as
    ``scipy.stats.false_discovery_control(p, method="bh")`` (the tests compare them),
    without importing scipy.stats (a second of start-up).

    >>> [round(float(q), 3) for q in benjamini_hochberg([0.01, 0.04, 0.03])]
    [0.03, 0.04, 0.04]
    """
    import numpy as np

    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(ranked, 1.0)
    return q
