"""Ingest throughput and memory: papers per second and peak memory for JATS, LaTeX and PDF,
and how often a paper's LaTeX source and its PDF give the same record.

    python bench/ingest.py [CORPUS_DIR] [--repeat N]

The LaTeX e-prints and two-column PDFs are written from the corpus articles by
`sciplan.papers.samples`, so all three readers see the same papers. Each format is read in
one child process (the reader contract's own fork), whose peak resident memory is reported.
The LaTeX/PDF agreement covers the template pairs in tests/papers/fixtures/pairs (ACM,
AASTeX, NeurIPS layouts) and the corpus articles (plain article class, two-column PDF):
same title, abstract similarity >= 0.95, same top-level headings. The last line is
`ingest_failures=N`: how many inputs the ingest stage could not turn into papers (target 0).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from sciplan.papers import ArchiveLimits, ingest, read_bytes, read_path
from sciplan.papers.agreement import compare_forms
from sciplan.papers.bounded import run_bounded
from sciplan.papers.samples import paper_eprint, paper_latex_files, paper_pdf

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "papers" / "fixtures" / "pairs"


def default_corpus() -> Path:
    env = os.environ.get("SCIPLAN_PMC_CORPUS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared" / "corpus" / "pmc", Path("/work/shared/corpus/pmc")):
        if candidate.is_dir():
            return candidate
    sys.exit("no corpus found: pass CORPUS_DIR or set SCIPLAN_PMC_CORPUS")


def rate(paths: list[Path], repeat: int) -> tuple[float, int]:
    """Papers per second reading `paths` `repeat` times, and the number of papers read."""
    started = time.perf_counter()
    for _ in range(repeat):
        for path in paths:
            read_path(path)
    elapsed = time.perf_counter() - started
    return len(paths) * repeat / elapsed, len(paths) * repeat


def rate_and_peak(paths: list[Path], repeat: int) -> tuple[float, int, float]:
    """`rate` run in one reader child: papers per second, papers read, and that child's peak RSS in MiB."""
    def work() -> tuple[float, int, float]:
        per_second, n = rate(paths, repeat)
        return per_second, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    return run_bounded(work, "bench", ArchiveLimits(max_seconds=3600))


def agreement(corpus_papers: list, tmp: Path) -> list[tuple[str, list[bool]]]:
    """(pair name, [title, abstract, headings] agree) for every LaTeX/PDF pair."""
    out = []
    for name in sorted(p.stem for p in PAIRS.glob("*.pdf")):
        got = compare_forms(read_path(PAIRS / name), read_path(PAIRS / f"{name}.pdf"))
        out.append((name, got.checks))
    for paper in corpus_papers:
        folder = tmp / "pairs" / paper.id.replace(":", "_")
        for rel, data in paper_latex_files(paper).items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        latex = read_path(folder)
        pdf = read_bytes(paper_pdf(paper), f"{paper.id}.pdf")
        out.append((f"article:{paper.id}", compare_forms(latex, pdf).checks))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    corpus = args.corpus or default_corpus()
    jats = sorted(p for p in corpus.iterdir() if p.suffix in (".nxml", ".xml"))
    if not jats:
        sys.exit(f"{corpus}: no .nxml files")
    with tempfile.TemporaryDirectory() as tmp:
        latex_dir, pdf_dir = Path(tmp, "latex"), Path(tmp, "pdf")
        latex_dir.mkdir()
        pdf_dir.mkdir()
        papers = [read_path(p) for p in jats]
        latex = [latex_dir / f"{p.stem}.tar.gz" for p in jats]
        pdfs = [pdf_dir / f"{p.stem}.pdf" for p in jats]
        for paper, lpath, ppath in zip(papers, latex, pdfs):
            lpath.write_bytes(paper_eprint(paper))
            ppath.write_bytes(paper_pdf(paper))
        for name, paths in (("jats", jats), ("latex", latex), ("pdf", pdfs)):
            per_second, n, peak = rate_and_peak(paths, args.repeat)
            print(f"{name:6s} {per_second:8.1f} papers/s  peak {peak:6.0f} MiB  ({n} papers from {len(paths)} files)")
        pairs = agreement(papers, Path(tmp))
        checks = [c for _, cs in pairs for c in cs]
        for name, cs in pairs:
            print(f"  pair {name:28s} title={cs[0]} abstract={cs[1]} headings={cs[2]}")
        print(f"latex_pdf_agreement={sum(checks)}/{len(checks)} checks, "
              f"{sum(all(cs) for _, cs in pairs)}/{len(pairs)} papers fully agree")
        summary = ingest([corpus, latex_dir, pdf_dir], Path(tmp, "run", "papers.jsonl"))
        print(f"ingest {summary.written} written, {summary.skipped} skipped, {summary.filtered} filtered "
              f"in {summary.seconds:.2f}s")
        for line in Path(summary.failures).read_text().splitlines() if summary.failed else []:
            print(f"  failed: {line}")
    print(f"ingest_failures={summary.failed}")


if __name__ == "__main__":
    main()
