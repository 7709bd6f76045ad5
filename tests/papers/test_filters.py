"""Date window, domain and license filters."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from sciplan.config import load_config
from sciplan.errors import SciplanError
from sciplan.papers import PaperFilter


def test_defaults_keep_open_licenses_only(real_papers):
    f = PaperFilter()
    assert f.licenses == ["CC-BY", "CC-BY-SA", "CC0", "public-domain"]
    assert all(f.reject_paper(p) is None for p in real_papers.values())
    assert f.reject(license="CC-BY-NC-4.0") == "license CC-BY-NC-4.0 not in CC-BY, CC-BY-SA, CC0, public-domain"
    assert f.reject(license="arxiv-nonexclusive").startswith("license arxiv-nonexclusive not in")


def test_unknown_license_rejected_from_sources_kept_locally():
    f = PaperFilter()
    assert "license unknown" in f.reject(license=None)
    assert f.reject(license=None, local=True) is None
    assert f.reject(license=None, license_known=False) is None
    assert PaperFilter(allow_unknown_license=True).reject(license=None) is None


def test_date_window_and_domains(real_papers):
    f = PaperFilter(from_date=date(2010, 1, 1), to_date=date(2011, 12, 31), domains=["pubmed"])
    assert f.domains == ["medical"]
    assert f.reject_paper(real_papers["bmc"]) is None
    assert f.reject_paper(real_papers["plos"]) == "dated 2012-09-28, after 2011-12-31"
    assert f.reject_paper(real_papers["ehp"]) == "dated 2008-08-01, before 2010-01-01"
    assert PaperFilter(domains=["cs"]).reject(domain="medical") == "domain medical not in cs"
    assert f.reject(date=None, domain=None, license="CC-BY") is None


def test_license_names_are_normalized_and_checked():
    assert PaperFilter(licenses=["cc by", "CC BY-NC 4.0"]).licenses == ["CC-BY", "CC-BY-NC"]
    with pytest.raises(ValidationError, match="unknown license 'GPL'"):
        PaperFilter(licenses=["GPL"])
    with pytest.raises(ValidationError, match="after to_date"):
        PaperFilter(from_date=date(2025, 2, 1), to_date=date(2025, 1, 1))


def test_filters_load_from_yaml(tmp_path):
    path = tmp_path / "filters.yaml"
    path.write_text("from_date: 2023-04-01\ndomains: [cs, stat]\nlicenses: [CC-BY]\n")
    f = load_config(path, PaperFilter)
    assert f.from_date == date(2023, 4, 1) and f.domains == ["cs", "statistics"] and f.licenses == ["CC-BY"]
    path.write_text("domains: [alchemy]\n")
    with pytest.raises(SciplanError, match="filters.yaml: invalid PaperFilter"):
        load_config(path, PaperFilter)
