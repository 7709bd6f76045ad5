"""License names from URLs, codes and prose."""

from __future__ import annotations

import pytest

from sciplan.papers import license_family, normalize_license


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("http://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by-nc-sa/3.0/igo/", "CC-BY-NC-SA-3.0"),
        ("http://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0"),
        ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0"),
        ("http://creativecommons.org/publicdomain/mark/1.0/", "public-domain"),
        ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "arxiv-nonexclusive"),
        ("CC BY", "CC-BY"),
        ("CC BY-NC-ND", "CC-BY-NC-ND"),
        ("CC BY 4.0", "CC-BY-4.0"),
        ("cc-by-sa", "CC-BY-SA"),
        ("CC0", "CC0"),
        ("This is an open-access article distributed under the terms of the Creative Commons Attribution "
         "License, which permits unrestricted use", "CC-BY"),
        ("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International License", "CC-BY-NC-ND-4.0"),
        ("under the Creative Commons CC0 public domain dedication", "CC0"),
        ("Publication of EHP lies in the public domain and is therefore without copyright.", "public-domain"),
        ("NO-CC CODE", None),
        ("All rights reserved.", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_license(raw, name):
    assert normalize_license(raw) == name


@pytest.mark.parametrize("name", ["CC-BY", "CC-BY-NC-SA-4.0", "CC0", "public-domain", "arxiv-nonexclusive"])
def test_canonical_names_read_back(name):
    assert normalize_license(name) == name


def test_family_drops_the_version():
    assert license_family("CC-BY-NC-SA-4.0") == "CC-BY-NC-SA"
    assert license_family("CC0") == "CC0" and license_family(None) is None


def test_real_articles_licenses(real_papers):
    assert {k: p.license for k, p in real_papers.items()} == {
        "plos": "CC-BY", "bmc": "CC-BY-2.0", "ehp": "public-domain"}
