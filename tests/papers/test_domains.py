"""arXiv categories -> the paper's eight disciplines, and domain names."""

from __future__ import annotations

import pytest

from sciplan.papers import ARXIV_DOMAINS, arxiv_domain, normalize_domain


@pytest.mark.parametrize(
    ("category", "domain"),
    [
        ("cs.LG", "cs"), ("cs.CL", "cs"), ("stat.ML", "statistics"), ("math.PR", "math"), ("math-ph", "physics"),
        ("hep-th", "physics"), ("astro-ph.GA", "physics"), ("cond-mat.str-el", "physics"), ("quant-ph", "physics"),
        ("physics.bio-ph", "physics"), ("econ.EM", "economics"), ("eess.SP", "eess"), ("q-fin.ST", "q-fin"),
        ("q-bio.NC", "q-bio"), ("nlin.CD", "physics"), ("unknown.XX", None), (None, None),
    ],
)
def test_arxiv_domain(category, domain):
    assert arxiv_domain(category) == domain


def test_eight_disciplines():
    assert ARXIV_DOMAINS == ("physics", "math", "statistics", "cs", "economics", "eess", "q-fin", "q-bio")


def test_normalize_domain_aliases():
    assert normalize_domain("Computer Science") == "cs"
    assert normalize_domain("stat") == "statistics"
    assert normalize_domain("q-bio.GN") == "q-bio"
    assert normalize_domain("PubMed") == "medical"
    with pytest.raises(ValueError, match="unknown domain 'chemistry'"):
        normalize_domain("chemistry")
