"""Stable ids."""

from __future__ import annotations

import pytest

from sciplan.papers import content_id, normalize_arxiv_id, normalize_pmcid


def test_arxiv_ids():
    assert normalize_arxiv_id("http://arxiv.org/abs/2401.01234v2") == "2401.01234"
    assert normalize_arxiv_id("arXiv:2401.01234") == "2401.01234"
    assert normalize_arxiv_id("hep-th/9901001v1") == "hep-th/9901001"
    with pytest.raises(ValueError):
        normalize_arxiv_id("not-an-id")


def test_pmcids_and_content_ids():
    assert normalize_pmcid("3460867") == normalize_pmcid("pmc3460867") == "PMC3460867"
    with pytest.raises(ValueError):
        normalize_pmcid("PMCX")
    assert content_id("ab" * 32) == "file:" + "ab" * 8
