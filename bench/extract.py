"""Extraction at the paper's scale without a model: the stage's own overhead, dedup, and datasets.

Three measurements on synthetic data (ResearchPlanGen has ~20k goals):
- the stage over P papers with an instant scripted model (creator, selector, grader and
  leakage answers): papers per second of pure sciplan overhead (files, fsync, dedup, MMR);
- dedup of N goals (MinHash, exact up to 5,000 kept goals, LSH beyond);
- research-plan-gen export and import of N goals through parquet.

    .venv/bin/python bench/extract.py [--papers 200] [--goals 20000]

The last line is `extract_overhead_papers_per_s=R dedup_goals_per_s=D rpg_rows_per_s=Q`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.extract_judge import Judge, candidate, make_paper  # noqa: E402
from helpers.scripted import scripted_model  # noqa: E402
from sciplan.extract import (  # noqa: E402
    DedupConfig,
    ExtractConfig,
    ExtractPaths,
    drop_duplicates,
    extract_papers,
    read_goals,
    write_goals,
)
from sciplan.records import Goal  # noqa: E402

WORDS = ("model data training probe layer signal yield plant cell protein dose assay graph network loss "
         "sample noise cohort trial gene expression energy field spin lattice market price policy").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def stage_overhead(papers: int) -> float:
    rng = random.Random(0)
    judge = Judge(creator={})
    ps = []
    for i in range(papers):
        title = f"Paper {i:05d} on {sentence(rng, 4)}"
        judge.creator[title] = [candidate(sentence(rng, 30), [sentence(rng, 10) for _ in range(12)],
                                          sentence(rng, 80)) for _ in range(3)]
        ps.append(make_paper(f"p{i}", title))
    model = scripted_model(respond=judge, max_retries=0)
    cfg = ExtractConfig.model_validate({"embeddings": {"kind": "lexical"}, "concurrency": 64})
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = asyncio.run(extract_papers(ps, cfg, ExtractPaths.beside(Path(tmp) / "goals.jsonl"), creator=model,
                                         selector=model))
        seconds = time.perf_counter() - start
    print(f"stage: {res.papers} papers ({res.accepted} accepted, {res.duplicates} dup) in {seconds:.1f}s, "
          f"{model.calls} scripted calls")
    return res.papers / seconds


def dedup_rate(n: int) -> float:
    rng = random.Random(1)
    goals = [Goal(id=f"g{i}", paper_id=f"p{i}", text=sentence(rng, 40)) for i in range(n)]
    start = time.perf_counter()
    kept, dups = drop_duplicates(goals, DedupConfig())
    seconds = time.perf_counter() - start
    print(f"dedup: {n} goals, {len(dups)} duplicates, {seconds:.1f}s")
    return n / seconds


def rpg_rate(n: int) -> float:
    rng = random.Random(2)
    goals = [Goal(id=f"g{i}", paper_id=f"a{i}", domain=rng.choice(["ml", "medical", "physics"]),
                  text=sentence(rng, 60), rubric=[sentence(rng, 15) for _ in range(10)], reference=sentence(rng, 300),
                  split=rng.choice(["train", "test"])) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_goals(goals, Path(tmp), format="rpg")
        back = read_goals(Path(tmp))
        seconds = time.perf_counter() - start
    assert len(back) == n
    print(f"research-plan-gen: {n} goals exported and imported in {seconds:.1f}s")
    return 2 * n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=200)
    ap.add_argument("--goals", type=int, default=20000)
    args = ap.parse_args()
    s, d, r = stage_overhead(args.papers), dedup_rate(args.goals), rpg_rate(args.goals)
    print(f"extract_overhead_papers_per_s={s:.1f} dedup_goals_per_s={d:.0f} rpg_rows_per_s={r:.0f}")


if __name__ == "__main__":
    main()
