"""The demo's evaluation on CPU: held-out goals x 2 models x 1 judge, then a rerun.

    python bench/evaluate.py [--goals N] [--config configs/eval/demo.yaml]

Models: the bundled model on llama.cpp (`local:smollm2`, the baseline) and the same
weights on transformers (`hf:smollm2`), which stands in for the trained model the demo
writes to `runs/demo/train/final` (a transformers folder, the slower backend); the jury
is the bundled model. The response cache is a fresh temporary file, so every call is
real. The last lines are `eval_seconds=S` (target: about 180 on 2 cores) and
`rerun_calls=N` (target 0: a rerun resumes every plan and grade by id).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from sciplan.data import data_path
from sciplan.evaluate import Silent, load_eval_config, run_eval
from sciplan.jsonl import read_records
from sciplan.llm import close_models, ledger
from sciplan.records import Goal

ROOT = Path(__file__).resolve().parent.parent


async def _run(goals: list[Goal], cfg, out: Path, progress) -> object:
    try:
        return await run_eval(goals, cfg, out, progress=progress)
    finally:
        await close_models()


def main() -> None:
    """Time one evaluation from scratch and its rerun; print the report's path."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--goals", type=int, default=3, help="held-out goals to evaluate (default 3)")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "eval" / "demo.yaml")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one)")
    args = ap.parse_args()

    goals = [g for g in read_records(data_path("train_goals.jsonl"), Goal) if g.split == "test"][: args.goals]
    tmp = Path(tempfile.mkdtemp(prefix="sciplan-bench-eval-"))
    os.environ["SCIPLAN_CACHE"] = str(tmp / "cache.sqlite")
    cfg = load_eval_config(args.config, models="local:smollm2,hf:smollm2", baseline="local:smollm2")
    out = args.out or tmp / "eval"
    print(f"goals={len(goals)} models={','.join(cfg.models)} jury={','.join(cfg.jury)} cores={os.cpu_count()}")

    ledger.reset()
    started = time.perf_counter()
    result = asyncio.run(_run(goals, cfg, out, None))
    elapsed = time.perf_counter() - started
    total = ledger.total()
    print(
        f"plans={result.new_plans} grades={result.new_grades} failed_grades={sum(g.failed for g in result.data.grades)}"
    )
    print(f"calls={total.calls} tokens_in={total.usage.prompt_tokens} tokens_out={total.usage.completion_tokens}")
    for row in sorted(ledger.rows(), key=lambda r: (r.stage, r.model)):
        print(
            f"  {row.stage:<11} {row.model:<15} calls={row.calls:<3} out_tokens={row.usage.completion_tokens:<5} "
            f"secs={row.seconds:.1f}"
        )
    jury = result.tables.scores
    jury = jury[(jury.judge == "jury") & (jury.domain == "all")]
    for r in jury.itertuples(index=False):
        print(f"  jury score {r.model:<15} {r.mean:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] over {r.goals} goals")
    print(f"report={result.report}")

    ledger.reset()
    started = time.perf_counter()
    again = asyncio.run(_run(goals, cfg, out, Silent()))
    rerun = time.perf_counter() - started
    print(f"rerun_seconds={rerun:.1f} rerun_new={again.new_plans + again.new_grades}")
    print(f"eval_seconds={elapsed:.1f}")
    print(f"rerun_calls={ledger.total().calls + ledger.total().cache_hits}")
    sys.exit(0 if ledger.total().calls == 0 else 1)


if __name__ == "__main__":
    main()
