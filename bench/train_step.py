"""Time per GRPO step on the CPU, split into generation, grading and optimisation.

    .venv/bin/python bench/train_step.py [--config configs/train/demo.yaml] [--steps 2]

Trains the config's policy for a few steps (validation and checkpoints off, in a
temporary folder) with its grader, then prints each step's seconds and grading's share
of the step. The last line is `grading_share=FRACTION`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sciplan.train import ValidationSettings, build_grpo, load_train_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "train" / "demo.yaml")
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    console = Console()
    config = load_train_config(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        config = config.model_copy(update={
            "steps": args.steps, "output_dir": Path(tmp), "save_every": 0, "save_merged": False,
            "validation": ValidationSettings(every=0, at_start=False),
        })
        start = time.perf_counter()
        run = build_grpo(config, console=console)
        setup = time.perf_counter() - start
        result = run.train()
    table = Table(title=f"GRPO steps: {config.policy.model}, {config.goals_per_step} goal(s) × "
                        f"{config.num_generations} plans, grader {run.reward.reward.grader.name}", title_justify="left")
    for col in ("step", "generation s", "grading s", "optimisation s", "total s", "grading share"):
        table.add_column(col, justify="right")
    for t in result.timings:
        table.add_row(f"{t['step']:.0f}", f"{t['generation']:.1f}", f"{t['grading']:.1f}", f"{t['optimisation']:.1f}",
                      f"{t['total']:.1f}", f"{t['grading'] / t['total']:.0%}")
    console.print(table)
    total = sum(t["total"] for t in result.timings)
    grading = sum(t["grading"] for t in result.timings)
    console.print(f"setup (policy load, trainer) {setup:.1f}s; {len(result.timings)} step(s) in {total:.1f}s, "
                  f"{total / max(1, len(result.timings)):.1f}s per step", highlight=False)
    print(f"grading_share={grading / total:.3f}")


if __name__ == "__main__":
    main()
