"""Ingest throughput: papers per second for JATS, LaTeX and PDF on the shipped PMC corpus.

    python bench/ingest.py [CORPUS_DIR] [--repeat N]

The LaTeX e-prints and two-column PDFs are written from the corpus articles by
`tests/helpers/samples.py`, so all three readers see the same papers. The last line is
`ingest_failures=N`: how many inputs the ingest stage could not turn into papers (target 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sciplan.papers import ingest, read_path

# The sample writers are test support, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.samples import paper_eprint, paper_pdf  # noqa: E402


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
        for paper, lpath, ppath in zip(papers, latex, pdfs, strict=False):
            lpath.write_bytes(paper_eprint(paper))
            ppath.write_bytes(paper_pdf(paper))
        for name, paths in (("jats", jats), ("latex", latex), ("pdf", pdfs)):
            per_second, n = rate(paths, args.repeat)
            print(f"{name:6s} {per_second:8.1f} papers/s  ({n} papers from {len(paths)} files)")
        summary = ingest([corpus, latex_dir, pdf_dir], Path(tmp, "run", "papers.jsonl"))
        print(f"ingest {summary.written} written, {summary.skipped} skipped, {summary.filtered} filtered "
              f"in {summary.seconds:.2f}s")
        for line in Path(summary.failures).read_text().splitlines() if summary.failed else []:
            print(f"  failed: {line}")
    print(f"ingest_failures={summary.failed}")


if __name__ == "__main__":
    main()
