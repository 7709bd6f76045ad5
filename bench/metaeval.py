"""metaeval of the bundled grader on the shipped goals, through a real llama.cpp server.

    python bench/metaeval.py                      # starts llama.cpp's server (sciplan.llm.server) on the bundled GGUF
    python bench/metaeval.py --url http://127.0.0.1:8080/v1   # an OpenAI-compatible server already running
    python bench/metaeval.py --goals 3 --removed 1 --injections 2

Prints the per-grader figures (parse rate, accuracy given parse, AUC per family, removed-item
recall, false flips, uplift with CI, self-consistency, calls and time), then, last,
`grader_auc=` (references vs degraded plans; 0.5 is chance). Report `uptime` beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sciplan.data import data_path
from sciplan.grade import GraderConfig
from sciplan.jsonl import read_records
from sciplan.llm import Ledger, Model, ModelSettings
from sciplan.llm.bundled import bundled_gguf
from sciplan.llm.server import LocalServer, ServerOptions
from sciplan.metaeval import MetaevalConfig, run_metaeval, verdict_of
from sciplan.records import Goal


def _fmt(v: object) -> str:
    return "n/a" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


async def measure(url: str, args: argparse.Namespace, out: Path) -> dict:
    goals = [g for g in read_records(data_path("train_goals.jsonl"), Goal) if g.reference][: args.goals]
    cfg = MetaevalConfig(
        grader=GraderConfig(variant=args.variant, view=args.view, answer=args.answer, max_tokens=args.max_tokens,
                            excerpt_chars=args.chars, reason_chars=args.chars, retries=1),
        removed_items=args.removed, injections=args.injections, consistency_seeds=args.seeds, seed=args.seed,
    )
    model = Model(f"openai:smollm2@{url}", ModelSettings(cache=False, max_concurrency=args.concurrency, timeout=600),
                  ledger_=Ledger())
    try:
        return await run_metaeval(goals, cfg, out, models=[model])
    finally:
        await model.aclose()


def report(result: dict, seconds: float) -> None:
    for name, figs in result["graders"].items():
        s = figs["summary"]
        print(f"grader {name}: {result['goals']} goals, {result['variants']} variants, {s['grades']} grades, "
              f"{s['calls']} calls, {seconds:.0f} s")
        for key in ("parse_rate", "accuracy_given_parse", "reference_mean", "distinct_scores", "removed_recall",
                    "false_flip_rate",
                    "consistency_sd", "flagged"):
            print(f"  {key}: {_fmt(s[key])}")
        for f in figs["families"]:
            print(f"  family {f['family']:<11} n={f['usable']}/{f['grades']} mean={_fmt(f['mean_score'])} "
                  f"auc={_fmt(f['auc'])}")
        for u in figs["uplift"]:
            if u["style"] == "all":
                print(f"  uplift {u['family']:<10} scanner={'on ' if u['scanner'] else 'off'} {_fmt(u['uplift'])} "
                      f"[{_fmt(u['ci_low'])}, {_fmt(u['ci_high'])}] over {u['goals']} goals")
        print(verdict_of(name, s))
    first = next(iter(result["graders"].values()))["summary"]["grader_auc"]
    print(f"grader_auc={_fmt(first)}")


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "metaeval"
        server = None
        if args.url:
            url = args.url
        else:
            # llama.cpp's own server in a child process (the same one `local:` models use).
            server = LocalServer(ServerOptions(model=bundled_gguf(), n_ctx=4096, threads=args.threads,
                                               parallel=args.concurrency))
            url = server.ensure_started()
        try:
            started = time.perf_counter()
            result = await measure(url, args, out)
            report(result, time.perf_counter() - started)
        finally:
            if server is not None:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="An OpenAI-compatible server serving the grader (default: start llama.cpp's).")
    parser.add_argument("--goals", type=int, default=11, help="Shipped goals to use (all 11 by default).")
    parser.add_argument("--removed", type=int, default=1, help="Rubric items removed per goal.")
    parser.add_argument("--injections", type=int, default=2, help="Injection styles per goal.")
    parser.add_argument("--seeds", type=int, default=1, help="Extra seeds of each reference (self-consistency).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=500)
    parser.add_argument("--variant", default="violations", help="Grader variant: violations (default), binary, likert.")
    parser.add_argument("--view", default="both", help="Grader view: both (default), rubric, guidelines.")
    parser.add_argument("--answer", default="schema", help="schema (JSON under constrained decoding, what `local:` "
                        "uses for the bundled model) or text.")
    parser.add_argument("--chars", type=int, default=60, help="Bound on each excerpt and reason (the demo's 60).")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--out", help="Keep the run's files here.")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
