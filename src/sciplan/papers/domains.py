"""The paper's domains: arXiv's eight disciplines, plus `medical` (PMC) and `ml` (OpenReview)."""

from __future__ import annotations

__all__ = ["ARXIV_DOMAINS", "DOMAINS", "arxiv_domain", "normalize_domain"]

# method.md §2: physics, math, statistics, CS, economics, EESS, q-fin, q-bio.
ARXIV_DOMAINS: tuple[str, ...] = (
    "physics", "math", "statistics", "cs", "economics", "eess", "q-fin", "q-bio",
)
DOMAINS: tuple[str, ...] = (*ARXIV_DOMAINS, "medical", "ml")

# arXiv archives (the part of a category before the dot) grouped as arXiv groups them.
_PHYSICS_ARCHIVES = frozenset({
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
    "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph",
    # Archives merged into others long ago; old papers still carry them.
    "acc-phys", "adap-org", "ao-sci", "atom-ph", "bayes-an", "chao-dyn", "chem-ph",
    "comp-gas", "mtrl-th", "patt-sol", "plasm-ph", "solv-int", "supr-con",
})
_ARCHIVE_DOMAIN = {
    "math": "math", "alg-geom": "math", "dg-ga": "math", "funct-an": "math", "q-alg": "math",
    "stat": "statistics",
    "cs": "cs", "cmp-lg": "cs",
    "econ": "economics",
    "eess": "eess",
    "q-fin": "q-fin",
    "q-bio": "q-bio",
}
_ALIASES = {
    "computer science": "cs", "computer-science": "cs", "stat": "statistics", "stats": "statistics",
    "mathematics": "math", "econ": "economics", "quantitative finance": "q-fin", "qfin": "q-fin",
    "quantitative biology": "q-bio", "qbio": "q-bio", "electrical engineering": "eess",
    "medicine": "medical", "biomedical": "medical", "pubmed": "medical", "pmc": "medical",
    "machine learning": "ml", "openreview": "ml",
}


def arxiv_domain(category: str | None) -> str | None:
    """The discipline of an arXiv category (`cs.LG` -> `cs`, `hep-th` -> `physics`), or None."""
    if not category:
        return None
    archive = category.strip().split(".", 1)[0].lower()
    if archive in _PHYSICS_ARCHIVES:
        return "physics"
    return _ARCHIVE_DOMAIN.get(archive)


def normalize_domain(name: str) -> str:
    """A user-given domain name in canonical form; raises ValueError for an unknown one."""
    key = " ".join(name.strip().lower().split())
    key = _ALIASES.get(key, key)
    if key in DOMAINS:
        return key
    from_category = arxiv_domain(key)
    if from_category:
        return from_category
    raise ValueError(f"unknown domain {name!r}; known: {', '.join(DOMAINS)}")
