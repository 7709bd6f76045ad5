"""The statistics against hand-worked small cases and scipy/statsmodels as independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.descriptivestats import sign_test as sm_sign_test
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from sciplan.evaluate.stats import (
    bootstrap_ci,
    cluster_weights,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_table,
    krippendorff_alpha,
    mean_pair_agreement,
    relative_improvement,
    relative_improvement_ci,
    sign_test,
    wilcoxon_test,
    win_rate,
    win_rate_ci,
)

# Wikipedia's worked example of Fleiss' kappa: 10 subjects, 14 raters, 5 categories; κ = 0.210.
WIKI_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


# ---- bootstrap -------------------------------------------------------------------------


def test_bootstrap_of_two_values_is_exact():
    # Resampled means of [0, 1] are 0, .5, 1 with probabilities 1/4, 1/2, 1/4:
    # the 2.5% and 97.5% quantiles are exactly 0 and 1.
    assert bootstrap_ci([0.0, 1.0], n_boot=20_000, seed=1) == (0.0, 1.0)


def test_bootstrap_of_a_constant_is_that_constant_and_empty_is_none():
    assert bootstrap_ci([0.4] * 7) == pytest.approx((0.4, 0.4))
    assert bootstrap_ci([]) == (None, None)


def test_bootstrap_is_seeded_and_matches_scipy_percentile_bootstrap():
    x = np.random.default_rng(7).normal(0.6, 0.15, size=200)
    ci = bootstrap_ci(x, n_boot=4000, seed=3)
    assert ci == bootstrap_ci(x, n_boot=4000, seed=3)
    assert ci != bootstrap_ci(x, n_boot=4000, seed=4)
    ref = sps.bootstrap(
        (x,),
        np.mean,
        n_resamples=20_000,
        method="percentile",
        confidence_level=0.95,
        random_state=np.random.default_rng(0),
    ).confidence_interval
    assert ci[0] == pytest.approx(ref.low, abs=0.005)
    assert ci[1] == pytest.approx(ref.high, abs=0.005)
    assert ci[0] < x.mean() < ci[1]


# ---- win rates and paired tests ----------------------------------------------------------


def test_win_rate_counts_ties_as_half():
    w = win_rate([0.5, 0.6, 0.7, 0.3], [0.5, 0.5, 0.8, 0.1])
    assert (w.wins, w.ties, w.losses, w.n) == (2, 1, 1, 4)
    assert w.rate == pytest.approx((2 + 0.5) / 4)
    # Float noise from averaging (0.1 + 0.2 vs 0.3) is a tie, not a win.
    assert win_rate([(0.1 + 0.2)], [0.3]).ties == 1
    assert win_rate([], []).rate is None


def test_win_rate_ci_of_all_wins_is_one():
    assert win_rate_ci([1, 1, 1], [0, 0, 0]) == (1.0, 1.0)


@pytest.mark.parametrize(
    "a,b,expected",
    [
        # 5 wins, 0 losses: 2 * (1/2)^5.
        ([1, 2, 3, 4, 5], [0, 0, 0, 0, 0], 2 / 32),
        # 4 wins, 1 loss: 2 * (1 + 5) / 32.
        ([1, 0, 3, 4, 5], [0, 2, 0, 0, 0], 12 / 32),
        # The tie is dropped: 2 wins, 0 losses -> 2 * 1/4.
        ([1, 1, 0.5], [0, 0, 0.5], 0.5),
    ],
)
def test_sign_test_hand_worked(a, b, expected):
    assert sign_test(a, b) == pytest.approx(expected)


def test_sign_test_matches_scipy_and_statsmodels():
    rng = np.random.default_rng(11)
    for _ in range(30):
        n = int(rng.integers(3, 40))
        a = rng.integers(0, 6, n) / 5
        b = rng.integers(0, 6, n) / 5
        w = win_rate(a, b)
        if w.wins + w.losses == 0:
            continue
        ref = sps.binomtest(w.wins, w.wins + w.losses, 0.5).pvalue
        assert sign_test(a, b) == pytest.approx(ref, rel=1e-9)
        assert sign_test(a, b) == pytest.approx(sm_sign_test(a - b, 0)[1], rel=1e-9)
    assert sign_test([0.5], [0.5]) is None


@pytest.mark.parametrize(
    "d,expected",
    [
        # All five differences positive: only W- = 0 is as extreme, two-sided 2/32.
        ([1, 2, 3, 4, 5], 2 / 32),
        # Ranks 1..5, one negative of rank 2: W- = 2; P(W- <= 2) = 3/32 ({}, {1}, {2}); two-sided 6/32.
        ([1, -2, 3, 4, 5], 6 / 32),
        # Zero differences are dropped before ranking.
        ([1, 2, 3, 4, 5, 0, 0], 2 / 32),
    ],
)
def test_wilcoxon_hand_worked_exact(d, expected):
    assert wilcoxon_test(d, [0] * len(d)) == pytest.approx(expected)


def test_wilcoxon_with_ties_matches_scipy_and_is_none_without_differences():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 8, 60) / 7, rng.integers(0, 8, 60) / 7
    d = a - b
    ref = sps.wilcoxon(d[d != 0]).pvalue
    assert wilcoxon_test(a, b) == pytest.approx(ref)
    assert wilcoxon_test([0.5, 0.2], [0.5, 0.2]) is None


def test_paired_inputs_must_match():
    with pytest.raises(ValueError):
        win_rate([1, 2], [1])


# ---- relative improvement ---------------------------------------------------------------


def test_relative_improvement_and_its_exact_bootstrap_ci():
    a, b = [0.6, 0.8], [0.5, 0.5]
    assert relative_improvement(a, b) == pytest.approx(0.4)
    # Paired resamples: (u1,u1) -> .2, mixed -> .4, (u2,u2) -> .6 with probabilities 1/4, 1/2, 1/4.
    lo, hi = relative_improvement_ci(a, b, n_boot=20_000, seed=2)
    assert (lo, hi) == pytest.approx((0.2, 0.6))
    assert relative_improvement([0.5], [0.0]) is None


def test_relative_improvement_ci_matches_scipy_paired_bootstrap():
    rng = np.random.default_rng(9)
    b = rng.uniform(0.3, 0.7, 150)
    a = np.clip(b + rng.normal(0.08, 0.1, 150), 0, 1)
    lo, hi = relative_improvement_ci(a, b, n_boot=4000, seed=0)
    ref = sps.bootstrap(
        (a, b),
        lambda x, y, axis=-1: (x.mean(axis) - y.mean(axis)) / y.mean(axis),
        paired=True,
        vectorized=True,
        n_resamples=20_000,
        method="percentile",
        random_state=np.random.default_rng(1),
    ).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.01) and hi == pytest.approx(ref.high, abs=0.01)
    assert lo < relative_improvement(a, b) < hi


# ---- agreement --------------------------------------------------------------------------


def test_cohen_kappa_hand_worked():
    # p_o = 3/4; p_e = .5 * .25 + .5 * .75 = .5; κ = (.75 - .5) / .5.
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert cohen_kappa(["a", "b"], ["a", "b"]) == pytest.approx(1.0)
    # Both raters always say the same label: chance agreement is 1, κ undefined.
    assert cohen_kappa([1, 1], [1, 1]) is None
    assert cohen_kappa([], []) is None


def test_cohen_kappa_matches_statsmodels():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 3, 50)
        y = np.where(rng.random(50) < 0.6, x, rng.integers(0, 3, 50))
        table = np.zeros((3, 3))
        for p, q in zip(x, y, strict=True):
            table[p, q] += 1
        assert cohen_kappa(list(x), list(y)) == pytest.approx(sm_cohens_kappa(table).kappa)


def test_fleiss_kappa_wikipedia_example_and_statsmodels():
    assert fleiss_kappa_table(WIKI_TABLE) == pytest.approx(0.2099, abs=5e-4)
    assert fleiss_kappa_table(WIKI_TABLE) == pytest.approx(sm_fleiss_kappa(np.array(WIKI_TABLE)))
    rng = np.random.default_rng(4)
    for _ in range(20):
        raters = 3
        table = np.array([np.bincount(rng.integers(0, 2, raters), minlength=2) for _ in range(40)])
        assert fleiss_kappa_table(table) == pytest.approx(sm_fleiss_kappa(table))


def test_fleiss_kappa_hand_worked_and_ragged_units():
    # Perfect agreement on two units with different labels: P̄ = 1, P̄e = .5, κ = 1.
    assert fleiss_kappa([[True, True], [False, False]]) == pytest.approx(1.0)
    # A unit with one label (a judge failed) is skipped; one unit alone has P̄e = 1: undefined.
    assert fleiss_kappa([[True, True], [False]]) is None
    # Ragged units: P̄ = (1 + 1/3) / 2; pooled shares 3/5, 2/5 -> P̄e = .52.
    assert mean_pair_agreement([[1, 1], [1, 0, 0]]) == pytest.approx(2 / 3)
    assert fleiss_kappa([[1, 1], [1, 0, 0]]) == pytest.approx((2 / 3 - 0.52) / 0.48)


def test_cluster_bootstrap_widens_the_ci_when_goals_of_a_paper_agree():
    # 8 papers × 5 goals; the goals of a paper have the same score (perfect within-paper
    # correlation), so there are only 8 independent values, not 40.
    paper_scores = [0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6]
    values = [s for s in paper_scores for _ in range(5)]
    papers = [p for p in range(8) for _ in range(5)]
    lo_g, hi_g = bootstrap_ci(values, n_boot=4000, seed=0)
    lo_c, hi_c = bootstrap_ci(values, clusters=papers, n_boot=4000, seed=0)
    # Same mean, width grows by about √5 (the design effect of 5 identical goals per paper).
    assert (hi_c - lo_c) / (hi_g - lo_g) == pytest.approx(np.sqrt(5), rel=0.2)
    # The cluster CI is the goal bootstrap of the 8 paper means.
    assert (lo_c, hi_c) == pytest.approx(bootstrap_ci(paper_scores, n_boot=4000, seed=0), abs=1e-12)


def test_cluster_bootstrap_with_one_goal_per_paper_is_the_goal_bootstrap():
    x = np.random.default_rng(2).random(30)
    assert bootstrap_ci(x, clusters=[f"p{i}" for i in range(30)], n_boot=800, seed=5) == pytest.approx(
        bootstrap_ci(x, n_boot=800, seed=5), abs=1e-12
    )
    with pytest.raises(ValueError, match="one cluster label per value"):
        bootstrap_ci(x, clusters=["p"] * 3)


def test_cluster_weights_draw_whole_clusters():
    w = cluster_weights(["a", "a", "b", "c", "c", "c"], n_boot=50, seed=0)
    assert w.shape == (50, 6)
    assert np.all(w[:, 0] == w[:, 1]) and np.all(w[:, 3] == w[:, 5])
    assert np.all(w[:, [0, 2, 3]].sum(axis=1) == 3)  # three clusters drawn each time


def test_paired_cluster_cis_resample_pairs_together():
    a = [0.9] * 4 + [0.2] * 4
    b = [0.5] * 8
    papers = ["p1"] * 4 + ["p2"] * 4
    assert win_rate_ci(a, b, clusters=papers, n_boot=500) == (0.0, 1.0)
    lo, hi = relative_improvement_ci(a, b, clusters=papers, n_boot=500)
    assert lo == pytest.approx(-0.6) and hi == pytest.approx(0.8)  # only the two papers' values


def test_krippendorff_alpha_on_krippendorffs_own_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal data with
    # missing values: 4 observers, 12 units (unit 12 has one value and is not pairable): α = 0.743.
    obs = [
        [1, None, 1, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [None, 5, 5, 5],
        [None, None, 1, 1],
        [None, 3, None, None],
    ]
    units = [[v for v in u if v is not None] for u in obs]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    # Perfect agreement is 1; all-identical labels leave α undefined.
    assert krippendorff_alpha([["x", "x"], ["y", "y"]]) == pytest.approx(1.0)
    assert krippendorff_alpha([["x", "x"], ["x", "x"]]) is None


def test_krippendorff_alpha_tracks_fleiss_kappa_with_complete_data():
    # With every unit rated by the same raters, α and Fleiss' κ differ only by a small-sample
    # correction (α uses n − 1 pairable values for the expected disagreement).
    rng = np.random.default_rng(3)
    truth = rng.random(200) < 0.5
    units = [[bool(t ^ (rng.random() < 0.2)) for _ in range(3)] for t in truth]
    assert krippendorff_alpha(units) == pytest.approx(fleiss_kappa(units), abs=0.01)
