"""JATS XML (PubMed Central open access) -> `Paper`.

Parsed with defusedxml: entity declarations and external references are refused, and
nothing is fetched, so a billion-laughs file is an error, not an outage.
"""

from __future__ import annotations

import re
from datetime import date as Date
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException, EntitiesForbidden

from sciplan.papers.errors import PaperError
from sciplan.papers.identity import content_id, normalize_pmcid, sha256_hex
from sciplan.papers.licenses import normalize_license
from sciplan.papers.sections import clean_text, tidy_sections
from sciplan.records import Paper, Section

__all__ = ["parse_xml", "read_jats"]

# Elements whose content is not prose: dropped wherever they appear.
_SKIP = frozenset({
    "table-wrap", "table", "table-wrap-group", "ref-list", "graphic", "media", "inline-graphic",
    "supplementary-material", "fn-group", "fig-group", "object-id", "alt-text", "long-desc",
})
_ABSTRACT_SKIP_TYPES = frozenset({"graphical", "teaser", "author-highlights", "precis", "web-summary"})
_DATE_PREFERENCE = ("epub", "electronic", "ppub", "print", "epub-ppub", "pub", "collection", "pmc-release")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def parse_xml(data: bytes, source: str) -> Element:
    """Parse XML safely (no entities, no external references); tag and attribute namespaces are dropped."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden:
        raise PaperError(
            f"{source}: the XML declares entities (an entity-expansion bomb or external entity); refused"
        ) from None
    except DefusedXmlException as exc:
        raise PaperError(f"{source}: unsafe XML refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise PaperError(f"{source}: not well-formed XML ({exc})") from None
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = _local(el.tag)
        if el.attrib:
            el.attrib = {_local(k): v for k, v in el.attrib.items()}
    return root


def _words(text: str) -> str:
    return " ".join(text.split())


def _inline(el: Element, captions: bool = False) -> str:
    """The text of `el` with non-prose descendants left out and formulas kept as TeX when given."""
    parts: list[str] = []

    def walk(node: Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            tag = child.tag
            if tag in _SKIP or (tag == "fig" and not captions):
                pass
            elif tag in ("inline-formula", "disp-formula"):
                tex = next((t for t in child.iter("tex-math")), None)
                if tex is not None and (tex.text or "").strip():
                    body = (tex.text or "").strip()
                    parts.append(body if body.startswith("$") else f"${body}$")
                else:
                    # MathML tokens (<mi>R</mi><mi>R</mi>) read as one run: "RR".
                    parts.append(" " + _words("".join(child.itertext())) + " ")
            elif tag in ("label",) and node.tag in ("list-item", "fig", "disp-formula"):
                parts.append((child.text or "") + " ")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return _words("".join(parts))


def _blocks(parent: Element, captions: bool) -> list[str]:
    """Paragraph texts of the direct prose children of a section (subsections excluded)."""
    out: list[str] = []
    for child in parent:
        tag = child.tag
        if tag in _SKIP or tag in ("sec", "title", "label", "sec-meta"):
            continue
        if tag == "fig":
            if captions:
                cap = child.find("caption")
                label_el = child.find("label")
                label = _inline(label_el) if label_el is not None else "Figure"
                if cap is not None:
                    out.append(f"[{label}: {_inline(cap)}]")
            continue
        if tag == "list":
            items = [_inline(item, captions) for item in child.findall("list-item")]
            out.append("\n".join(f"- {i}" for i in items if i))
            continue
        # Anything else (p, disp-quote, boxed-text, statement...) is a paragraph of prose.
        text = _inline(child, captions)
        if text:
            out.append(text)
    return out


def _sections(parent: Element, level: int, captions: bool) -> list[Section]:
    out: list[Section] = []
    for sec in parent:
        if sec.tag not in ("sec", "app"):
            continue
        title = sec.find("title")
        heading = _inline(title) if title is not None else ""
        out.append(Section(heading=heading, text="\n\n".join(_blocks(sec, captions)), level=level))
        out.extend(_sections(sec, level + 1, captions))
    return out


def _body(article: Element, captions: bool) -> list[Section]:
    out: list[Section] = []
    body = article.find("body")
    if body is not None:
        lead = _blocks(body, captions)
        if lead:
            out.append(Section(heading="", text="\n\n".join(lead), level=1))
        out.extend(_sections(body, 1, captions))
    for group in article.findall("back/app-group"):
        out.extend(_sections(group, 1, captions))
    return tidy_sections(out)


def _abstract(meta: Element) -> str:
    abstracts = meta.findall("abstract")
    plain = [a for a in abstracts if not a.get("abstract-type")]
    chosen = plain or [a for a in abstracts if a.get("abstract-type") not in _ABSTRACT_SKIP_TYPES]
    if not chosen:
        return ""
    abstract = chosen[0]
    secs = abstract.findall("sec")
    if not secs:
        return clean_text("\n\n".join(_blocks(abstract, False)))
    parts = []
    for sec in secs:
        title = sec.find("title")
        text = " ".join(_blocks(sec, False))
        parts.append(f"{_inline(title)}: {text}" if title is not None else text)
    return clean_text("\n\n".join(parts))


def _int(el: Element | None) -> int | None:
    if el is None or not el.text:
        return None
    m = re.match(r"\s*(\d+)", el.text)
    return int(m.group(1)) if m else None


def _date(meta: Element) -> Date | None:
    ranked: list[tuple[int, Date]] = []
    for pd in meta.findall("pub-date"):
        kind = pd.get("pub-type") or pd.get("publication-format") or pd.get("date-type") or ""
        rank = _DATE_PREFERENCE.index(kind) if kind in _DATE_PREFERENCE else len(_DATE_PREFERENCE)
        year, month, day = _int(pd.find("year")), _int(pd.find("month")), _int(pd.find("day"))
        if not year:
            continue
        month = month if month and 1 <= month <= 12 else 1
        try:
            when = Date(year, month, day or 1)
        except ValueError:
            when = Date(year, month, 1)
        ranked.append((rank, when))
    return min(ranked)[1] if ranked else None


def _license(meta: Element) -> tuple[str | None, str]:
    lic = meta.find("permissions/license")
    if lic is None:
        statement = meta.find("permissions/copyright-statement")
        text = _words("".join(statement.itertext())) if statement is not None else ""
        return normalize_license(text) if "public domain" in text.lower() else None, text
    ref = lic.find("license_ref")
    text = _words(" ".join(lic.itertext()))
    for candidate in ((ref.text if ref is not None else None), lic.get("href"), text, lic.get("license-type")):
        name = normalize_license(candidate)
        if name:
            return name, text
    return None, text


def _authors(meta: Element) -> list[str]:
    names = []
    for contrib in meta.iter("contrib"):
        if contrib.get("contrib-type", "author") != "author":
            continue
        name = contrib.find("name")
        if name is not None:
            given_el, surname_el = name.find("given-names"), name.find("surname")
            given = _words("".join(given_el.itertext())) if given_el is not None else ""
            surname = _words("".join(surname_el.itertext())) if surname_el is not None else ""
            full = f"{given} {surname}".strip()
        else:
            other = contrib.find("string-name")
            other = other if other is not None else contrib.find("collab")
            full = _words("".join(other.itertext())) if other is not None else ""
        if full:
            names.append(full)
    return names


def _ids(meta: Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for aid in meta.findall("article-id"):
        kind, value = aid.get("pub-id-type", ""), (aid.text or "").strip()
        if not value:
            continue
        if kind in ("pmc", "pmcid"):
            try:
                ids["pmcid"] = normalize_pmcid(value)
            except ValueError:
                continue
        elif kind in ("pmid", "doi"):
            ids[kind] = value
    return ids


def read_jats(data: bytes, source: str, *, captions: bool = False) -> Paper:
    """A `Paper` from one JATS article (a PMC .nxml file, an efetch set or an OAI-PMH record)."""
    root = parse_xml(data, source)
    article = root if root.tag == "article" else next(root.iter("article"), None)
    if article is None:
        raise PaperError(f"{source}: no <article> element; not a JATS article (root is <{root.tag}>)")
    meta = article.find("front/article-meta")
    if meta is None:
        raise PaperError(f"{source}: JATS article without <front>/<article-meta>")
    title_el = meta.find("title-group/article-title")
    title = _inline(title_el) if title_el is not None else ""
    if not title:
        raise PaperError(f"{source}: JATS article without a title")
    journal_el = article.find("front/journal-meta/journal-title-group/journal-title")
    if journal_el is None:
        journal_el = article.find("front/journal-meta/journal-title")
    if journal_el is None:
        journal_el = article.find("front/journal-meta/journal-id")
    license_name, license_text = _license(meta)
    ids = _ids(meta)
    digest = sha256_hex(data)
    ids["sha256"] = digest
    url: str | None
    if "pmcid" in ids:
        pid, url = f"pmc:{ids['pmcid']}", f"https://pmc.ncbi.nlm.nih.gov/articles/{ids['pmcid']}/"
    else:
        pid, url = content_id(digest), (f"https://doi.org/{ids['doi']}" if "doi" in ids else None)
    keywords = [_inline(k) for k in meta.iter("kwd")]
    return Paper(
        id=pid,
        title=title,
        abstract=_abstract(meta),
        sections=_body(article, captions),
        date=_date(meta),
        venue=_words("".join(journal_el.itertext())) if journal_el is not None else None,
        domain="medical",
        license=license_name,
        source_url=url,
        authors=_authors(meta),
        ids=ids,
        source_format="jats",
        meta={"license_text": license_text[:500], "keywords": keywords, "article_type": article.get("article-type")},
    )
