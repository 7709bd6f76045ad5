"""Licenses: URLs, codes and prose from papers and sources mapped to one canonical name.

Canonical names are `CC-BY`, `CC-BY-SA`, `CC-BY-NC`, `CC-BY-ND`, `CC-BY-NC-SA`,
`CC-BY-NC-ND` (with a version suffix when known, e.g. `CC-BY-4.0`), `CC0`,
`public-domain`, and arXiv's own `arxiv-nonexclusive` / `arxiv-assumed`.
"""

from __future__ import annotations

import re

__all__ = ["normalize_license", "license_family", "DEFAULT_LICENSES", "OPEN_FAMILIES"]

# The default allow-list: licenses that allow reuse and derived works.
DEFAULT_LICENSES: tuple[str, ...] = ("CC-BY", "CC-BY-SA", "CC0", "public-domain")
OPEN_FAMILIES = frozenset(DEFAULT_LICENSES)

_CC_URL = re.compile(
    r"creativecommons\.org/licenses/(?P<kind>by(?:-nc)?(?:-sa|-nd)?)(?:/(?P<ver>\d\.\d))?", re.I
)
# Codes such as "CC BY-NC-SA 4.0", "cc-by", "CC_BY_4.0".
_CC_CODE = re.compile(
    r"\bcc[\s_-]*by(?P<mods>(?:[\s_-]*(?:nc|sa|nd)\b)*)(?:[\s_-]*(?P<ver>\d\.\d))?", re.I
)
# Prose: "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International License".
_CC_PROSE = re.compile(
    r"creative\s+commons\s+attribution(?P<mods>(?:[\s-]*(?:non-?commercial|share-?alike|no-?deriv\w*))*)"
    r"(?:[^.;()]{0,40}?(?P<ver>\d\.\d))?",
    re.I,
)
_MOD_ORDER = ("NC", "SA", "ND")


def _cc(mods: str, ver: str | None) -> str:
    found = set()
    for token in re.findall(r"non-?commercial|share-?alike|no-?deriv\w*|nc|sa|nd", mods, re.I):
        t = token.lower().replace("-", "")
        found.add("NC" if t.startswith(("nc", "non")) else "SA" if t.startswith(("sa", "share")) else "ND")
    name = "-".join(["CC-BY", *[m for m in _MOD_ORDER if m in found]])
    return f"{name}-{ver}" if ver else name


def normalize_license(value: str | None) -> str | None:
    """The canonical license name for a URL, code or sentence, or None when unrecognised."""
    if not value or not value.strip():
        return None
    text = " ".join(value.split())
    low = text.lower()
    if low in ("arxiv-nonexclusive", "arxiv-assumed"):  # our own names read back
        return low
    if "arxiv.org/licenses/nonexclusive-distrib" in low:
        return "arxiv-nonexclusive"
    if "arxiv.org/licenses/assumed" in low:
        return "arxiv-assumed"
    if "publicdomain/zero" in low or re.search(r"\bcc[\s_-]?0\b|cc[\s_-]?zero|creative commons zero", low):
        return "CC0"
    if "publicdomain/mark" in low or re.search(r"\bpublic[\s_-]+domain\b|^pd$", low):
        return "public-domain"
    m = _CC_URL.search(text)
    if m:
        return _cc(m.group("kind")[2:], m.group("ver"))
    m = _CC_CODE.search(text)
    if m:
        return _cc(m.group("mods") or "", m.group("ver"))
    m = _CC_PROSE.search(text)
    if m:
        return _cc(m.group("mods") or "", m.group("ver"))
    return None


def license_family(name: str | None) -> str | None:
    """A canonical name without its version: `CC-BY-4.0` -> `CC-BY`."""
    if name is None:
        return None
    return re.sub(r"-\d\.\d$", "", name)
