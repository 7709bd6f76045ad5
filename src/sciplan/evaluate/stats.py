"""The statistics of an evaluation: bootstrap CIs, win rates, paired tests, relative improvement, κ.

Everything is a plain function of numbers (no records, no pandas), so each can be checked
against scipy/statsmodels and hand-worked cases. Bootstraps are percentile bootstraps with
a seeded generator: the same inputs and seed give the same interval in any process.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

__all__ = [
    "TIE_TOL",
    "WinRate",
    "bootstrap_ci",
    "binary_agreement",
    "cluster_weights",
    "cohen_kappa",
    "fleiss_kappa",
    "fleiss_kappa_table",
    "krippendorff_alpha",
    "mean_pair_agreement",
    "relative_improvement",
    "relative_improvement_ci",
    "sign_test",
    "wilcoxon_test",
    "win_rate",
    "win_rate_ci",
]

# Scores are means of fractions; differences below this are float noise and count as ties.
TIE_TOL = 1e-9

Interval = tuple[float | None, float | None]


def _arr(x: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _paired(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = _arr(a), _arr(b)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("paired statistics need two 1-D sequences of the same length")
    return x, y


def _resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    """`n_boot` rows of `n` indices drawn with replacement from a seeded generator."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _percentiles(samples: np.ndarray, level: float) -> Interval:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return None, None
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def cluster_weights(clusters: Sequence[Hashable], n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) multiplicities of `n` units when whole clusters are drawn with replacement.

    Units that share a cluster label (goals of one paper) are drawn together, so their
    correlation is kept in every resample; with one unit per cluster this is the plain
    bootstrap over units.
    """
    codes = pd.factorize(pd.Series([str(c) for c in clusters], dtype=object))[0]
    k = int(codes.max()) + 1 if codes.size else 0
    if k == 0:
        return np.zeros((n_boot, 0))
    idx = _resample_indices(k, n_boot, seed)
    # One bincount over all rows at once: row r's clusters are offset by r * k.
    flat = (idx + np.arange(n_boot)[:, None] * k).ravel()
    counts = np.bincount(flat, minlength=n_boot * k).reshape(n_boot, k)
    return counts[:, codes].astype(float)


def _weighted_means(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (w * x).sum(axis=1) / w.sum(axis=1)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap CI of the mean of `values`; (None, None) when empty.

    With `clusters` (one label per value, e.g. the goal's paper) whole clusters are
    resampled: the cluster bootstrap, wider and honest when units of a cluster correlate.
    """
    x = _arr(values)
    if x.size == 0:
        return None, None
    if clusters is not None:
        if len(clusters) != x.size:
            raise ValueError("bootstrap_ci needs one cluster label per value")
        return _percentiles(_weighted_means(x, cluster_weights(clusters, n_boot, seed)), level)
    means = x[_resample_indices(x.size, n_boot, seed)].mean(axis=1)
    return _percentiles(means, level)


def _signs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    return np.where(np.abs(d) <= TIE_TOL, 0, np.sign(d)).astype(int)


@dataclass(frozen=True)
class WinRate:
    """Per-unit comparison of A with B: wins, ties and losses of A; ties count half."""

    wins: int
    ties: int
    losses: int

    @property
    def n(self) -> int:
        return self.wins + self.ties + self.losses

    @property
    def rate(self) -> float | None:
        return (self.wins + 0.5 * self.ties) / self.n if self.n else None


def win_rate(a: Sequence[float], b: Sequence[float]) -> WinRate:
    """How often A beats B unit by unit (paired), ties within `TIE_TOL`."""
    s = _signs(*_paired(a, b))
    return WinRate(int((s > 0).sum()), int((s == 0).sum()), int((s < 0).sum()))


def win_rate_ci(
    a: Sequence[float],
    b: Sequence[float],
    *,
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Bootstrap CI of the win rate (ties half), resampling units (or whole `clusters` of units)."""
    s = _signs(*_paired(a, b))
    if s.size == 0:
        return None, None
    points = np.where(s > 0, 1.0, np.where(s == 0, 0.5, 0.0))
    return bootstrap_ci(points, clusters=clusters, n_boot=n_boot, level=level, seed=seed)


def sign_test(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided exact sign test of paired A vs B (ties dropped); None with no untied pair."""
    w = win_rate(a, b)
    n = w.wins + w.losses
    if n == 0:
        return None
    k = min(w.wins, w.losses)
    # Exact binomial tail under p = 1/2, doubled for the two-sided test; exact integers avoid
    # rounding for the small n a per-goal comparison usually has.
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2.0 * tail)


def wilcoxon_test(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided Wilcoxon signed-rank p-value of paired A vs B (zero differences dropped).

    None when no difference is non-zero (the test is undefined there).
    """
    x, y = _paired(a, b)
    d = x - y
    d = d[np.abs(d) > TIE_TOL]
    if d.size == 0:
        return None
    # scipy picks the exact null distribution for small samples without ties and the
    # normal approximation (with tie correction) otherwise.
    return float(sps.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def relative_improvement(a: Sequence[float], b: Sequence[float]) -> float | None:
    """(mean A − mean B) / mean B; None when B's mean is 0 or there is no data."""
    x, y = _paired(a, b)
    if x.size == 0 or abs(y.mean()) <= TIE_TOL:
        return None
    return float((x.mean() - y.mean()) / y.mean())


def relative_improvement_ci(
    a: Sequence[float],
    b: Sequence[float],
    *,
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Paired percentile bootstrap CI of the relative improvement, resampling units (or `clusters`) together."""
    x, y = _paired(a, b)
    if x.size == 0:
        return None, None
    if clusters is not None:
        w = cluster_weights(clusters, n_boot, seed)
        ma, mb = _weighted_means(x, w), _weighted_means(y, w)
    else:
        idx = _resample_indices(x.size, n_boot, seed)
        ma, mb = x[idx].mean(axis=1), y[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.abs(mb) > TIE_TOL, (ma - mb) / mb, np.nan)
    return _percentiles(ratio, level)


def cohen_kappa(x: Sequence[Hashable], y: Sequence[Hashable]) -> float | None:
    """Cohen's κ of two raters' labels on the same units; None when undefined (chance agreement 1)."""
    if len(x) != len(y):
        raise ValueError("cohen_kappa needs two label lists of the same length")
    n = len(x)
    if n == 0:
        return None
    observed = sum(p == q for p, q in zip(x, y, strict=True)) / n
    cx, cy = Counter(x), Counter(y)
    expected = sum(cx[c] * cy[c] for c in cx) / (n * n)
    if expected >= 1.0 - 1e-12:
        return None
    return (observed - expected) / (1.0 - expected)


def mean_pair_agreement(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Mean over units (≥ 2 labels) of the share of rater pairs that agree."""
    shares = []
    for u in units:
        if len(u) < 2:
            continue
        counts = Counter(u)
        shares.append(sum(c * (c - 1) for c in counts.values()) / (len(u) * (len(u) - 1)))
    return sum(shares) / len(shares) if shares else None


def fleiss_kappa(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' κ; each unit is the list of its raters' labels (units with < 2 labels skipped).

    With the same number of raters per unit this is Fleiss (1971) exactly; a unit a judge
    failed to grade keeps its other raters (per-unit pair agreement, pooled label shares).
    """
    units = [list(u) for u in units if len(u) >= 2]
    if not units:
        return None
    p_bar = mean_pair_agreement(units)
    pooled = Counter(label for u in units for label in u)
    total = sum(pooled.values())
    expected = sum((c / total) ** 2 for c in pooled.values())
    if p_bar is None or expected >= 1.0 - 1e-12:
        return None
    return (p_bar - expected) / (1.0 - expected)


def fleiss_kappa_table(table: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' κ from a units × categories table of counts (the textbook layout)."""
    counts = np.asarray(table, dtype=int)
    units = [[c for c, k in enumerate(row) for _ in range(k)] for row in counts]
    return fleiss_kappa(units)


def binary_agreement(reference: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float | int | None]:
    """Confusion matrix, precision and recall of both classes, macro F1 and Cohen's κ of `predicted` vs `reference`.

    The positive class is True. A class's precision (recall) is None when nothing was
    predicted (is labelled) in it; its F1 is then 0, so macro F1 penalises a one-class judge.
    """
    if len(reference) != len(predicted):
        raise ValueError("binary_agreement needs two label lists of the same length")
    tp = sum(r and p for r, p in zip(reference, predicted, strict=True))
    tn = sum(not r and not p for r, p in zip(reference, predicted, strict=True))
    fp = sum(not r and p for r, p in zip(reference, predicted, strict=True))
    fn = sum(r and not p for r, p in zip(reference, predicted, strict=True))

    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    def _f1(p: float | None, r: float | None) -> float:
        return 2 * p * r / (p + r) if p and r else 0.0

    out: dict[str, float | int | None] = {"n": len(reference), "tp": tp, "fn": fn, "fp": fp, "tn": tn}
    out["precision_pos"], out["recall_pos"] = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    out["precision_neg"], out["recall_neg"] = _ratio(tn, tn + fn), _ratio(tn, tn + fp)
    p_pos, r_pos = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    p_neg, r_neg = _ratio(tn, tn + fn), _ratio(tn, tn + fp)
    f1s = [_f1(p_pos, r_pos), _f1(p_neg, r_neg)]
    out["macro_f1"] = sum(f1s) / 2 if reference else None
    out["kappa"] = cohen_kappa(list(reference), list(predicted))
    return out


def krippendorff_alpha(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Krippendorff's α for nominal labels; each unit lists its raters' labels (missing ones left out).

    α = 1 − D_o / D_e from the coincidence matrix (Krippendorff 2011): units with fewer
    than two labels are not pairable and drop out; None when every label is the same.
    """
    units = [list(u) for u in units if len(u) >= 2]
    if not units:
        return None
    coincidence: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for u in units:
        m = len(u)
        counts = Counter(u)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                coincidence[(c, k)] += pairs / (m - 1)
    n_c: dict[Hashable, float] = defaultdict(float)
    for (c, _k), v in coincidence.items():
        n_c[c] += v
    n = sum(n_c.values())
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = (n * n - sum(v * v for v in n_c.values())) / (n - 1)
    if expected <= 1e-12:
        return None
    return 1.0 - observed / expected
