"""Bradley–Terry ranking of several models from per-goal comparisons, with bootstrap CIs.

As Chatbot Arena reports it: each goal is a set of battles between every pair of models
(the jury's scores decide; a tie counts half a win each way), model strengths are the
maximum-likelihood Bradley–Terry fit (P(i beats j) = σ(θ_i − θ_j)), shown on the Elo
scale (400 / ln 10 per unit of θ, mean 1000). The CI of each rating is a percentile
bootstrap over goals, or over papers (whole clusters of goals), like every other interval.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from sciplan.evaluate.config import StatsConfig
from sciplan.evaluate.frames import JURY, EvalData
from sciplan.evaluate.stats import TIE_TOL, cluster_weights

__all__ = ["ELO_SCALE", "Ranking", "bradley_terry", "battles_from_scores", "rank_models", "ranking_table"]

ELO_SCALE = 400.0 / np.log(10.0)
ELO_MEAN = 1000.0


def bradley_terry(wins: np.ndarray, *, l2: float = 1e-4) -> np.ndarray:
    """Strengths θ (mean 0) maximising Σ W_ij log σ(θ_i − θ_j) − l2/2 |θ|² for a k × k win matrix.

    `wins[i, j]` is how often i beat j (fractions allowed: ties are halves). The small L2
    term keeps θ finite when a model won or lost every battle (the unpenalised MLE would
    be infinite there); with every model both winning and losing it moves θ negligibly.
    """
    w = np.asarray(wins, dtype=float)
    k = w.shape[0]
    if w.shape != (k, k):
        raise ValueError("bradley_terry needs a square win matrix")
    if k < 2:
        return np.zeros(k)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = theta[:, None] - theta[None, :]
        # log σ(d) = −log(1 + e^(−d)), computed stably.
        nll = float((w * np.logaddexp(0.0, -d)).sum()) + 0.5 * l2 * float(theta @ theta)
        p = 1.0 / (1.0 + np.exp(-d))  # P(i beats j)
        g = w * (1.0 - p)  # d/dθ_i of W_ij log σ(θ_i − θ_j)
        grad = -(g.sum(axis=1) - g.sum(axis=0)) + l2 * theta
        return nll, grad

    res = minimize(loss, np.zeros(k), jac=True, method="L-BFGS-B", options={"maxiter": 500, "gtol": 1e-10})
    theta = np.asarray(res.x, dtype=float)
    return theta - theta.mean()


def battles_from_scores(scores: np.ndarray) -> np.ndarray:
    """Per-goal win tensors (goals × k × k) from a goals × models score matrix (NaN: not scored).

    Entry [g, i, j] is 1 when model i scored higher than j on goal g, 0.5 on a tie.
    """
    s = np.asarray(scores, dtype=float)
    d = s[:, :, None] - s[:, None, :]
    both = np.isfinite(d)
    out = np.where(d > TIE_TOL, 1.0, np.where(np.abs(d) <= TIE_TOL, 0.5, 0.0))
    out = np.where(both, out, 0.0)
    k = s.shape[1]
    out[:, np.arange(k), np.arange(k)] = 0.0
    return out


@dataclass(frozen=True)
class Ranking:
    """Elo-scale ratings with percentile-bootstrap CIs, best first."""

    models: list[str]
    ratings: list[float]
    ci_low: list[float | None]
    ci_high: list[float | None]
    method: str


def rank_models(
    models: Sequence[str],
    scores: np.ndarray,
    *,
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
    l2: float = 1e-4,
) -> Ranking:
    """Bradley–Terry ratings of `models` from a goals × models score matrix, CIs by resampling goals (or clusters)."""
    per_goal = battles_from_scores(scores)
    n = per_goal.shape[0]
    theta = bradley_terry(per_goal.sum(axis=0), l2=l2)
    weights = cluster_weights(clusters if clusters is not None else list(range(n)), n_boot, seed)
    boots = np.array([bradley_terry(np.tensordot(w, per_goal, axes=1), l2=l2) for w in weights])
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(boots, [alpha, 1.0 - alpha], axis=0) if n else (np.full(len(models), np.nan),) * 2
    order = np.argsort(-theta, kind="stable")
    elo = ELO_MEAN + ELO_SCALE * theta
    unit = "papers" if clusters is not None else "goals"
    method = f"Bradley–Terry (L2 {l2:g}), percentile bootstrap over {unit}, {n_boot} resamples"
    return Ranking(
        models=[models[i] for i in order],
        ratings=[float(elo[i]) for i in order],
        ci_low=[float(ELO_MEAN + ELO_SCALE * lo[i]) if np.isfinite(lo[i]) else None for i in order],
        ci_high=[float(ELO_MEAN + ELO_SCALE * hi[i]) if np.isfinite(hi[i]) else None for i in order],
        method=method,
    )


def ranking_table(data: EvalData, models: list[str], stats: StatsConfig) -> pd.DataFrame | None:
    """Bradley–Terry ratings (Elo scale) of the models by the jury's per-goal scores; None with ≤ 2 models."""
    t = data.goal_scores(JURY)
    present = [m for m in models if m in t]
    if len(present) <= 2:
        return None
    t = t[present].dropna(how="all")
    clusters = data.clusters(list(t.index)) if stats.resample == "papers" else None
    r = rank_models(present, t.to_numpy(), clusters=clusters, n_boot=stats.ranking_bootstrap, level=stats.level)
    return pd.DataFrame(
        {
            "rank": range(1, len(r.models) + 1),
            "model": r.models,
            "rating": r.ratings,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "goals": len(t),
            "ci_method": r.method,
        }
    )
