"""Prefix-cache efficiency of the grader's prompt layout, from a real llama.cpp server.

Several goals (10 rubric items each), a group of 8 plans per goal, graded against
`python -m llama_cpp.server --cache true` three ways, side by side in one run:

  (a) ours:     instructions + guidelines, then goal + rubric, then the plan last
  (b) naive:    the plan first, then the same instructions, goal and rubric
  (c) per item: one call per rubric item (our layout with a one-item rubric)

The prompt tokens the server actually evaluated come from its own log (llama.cpp
prints "prefix-match hit, remaining N prompt tokens to eval" per request). The ideal
for (a) is each group's shared prefix evaluated once plus every plan's own tokens,
counted with the model's tokenizer on the exact chat-formatted prompts. Above 1 means
better than that ideal: the instructions and guidelines, shared by every goal, stay
cached from one group to the next.

    .venv/bin/python bench/grading.py [--goals 3] [--plans 8]

The last line is `prefix_cache_efficiency=IDEAL_OVER_A` (target >= 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.net import free_port, wait_http  # noqa: E402
from sciplan.grade import Grader, GraderConfig, build_prompt, load_guidelines  # noqa: E402
from sciplan.grade.injection import scan_plan  # noqa: E402
from sciplan.jsonl import read_records  # noqa: E402
from sciplan.llm import Ledger, Model, ModelSettings  # noqa: E402
from sciplan.llm.bundled import bundled_gguf  # noqa: E402
from sciplan.records import Goal, Plan, make_id  # noqa: E402

_EVAL = re.compile(r"remaining (\d+) prompt tokens to eval")

_OPENERS = ["We will", "The study will", "Our plan is to", "First, we", "To test this, we"]
_STEPS = [
    "define the population, the inclusion criteria and the sampling frame",
    "build a baseline that reproduces the standard approach",
    "run the main comparison with three independent seeds or sites",
    "measure the primary outcome with a pre-registered protocol",
    "control for confounders by stratifying on the key covariates",
    "estimate uncertainty with bootstrap confidence intervals",
    "audit a random subsample by hand to check measurement quality",
    "stay within the stated budget by piloting on a tenth of the data",
    "report negative results and every deviation from the protocol",
    "compare against a simple heuristic to show the method is needed",
    "analyse failure cases by category to guide the next iteration",
    "release the code and the data splits for replication",
]


def make_plans(goal: Goal, n: int, seed: int) -> list[Plan]:
    """`n` distinct plans of ~100-150 words for `goal` (deterministic)."""
    rng = random.Random(f"{goal.id}-{seed}")
    plans = []
    for k in range(n):
        steps = rng.sample(_STEPS, 8)
        text = f"Plan {k + 1} for: {goal.text[:80]}\n" + "\n".join(
            f"{i + 1}. {rng.choice(_OPENERS)} {s}, with details specific to this goal." for i, s in enumerate(steps)
        )
        plans.append(Plan(id=make_id("bench-plan", goal.id, k), goal_id=goal.id, model="bench", text=text))
    return plans


class ServerLog:
    """The server's log, read after each request: the prompt tokens that request evaluated.

    llama.cpp logs "prefix-match hit, remaining N prompt tokens to eval" when it reuses
    a cached prefix and "full prompt already cached" when it evaluates nothing; with no
    line, it evaluated the whole prompt (the count its response reports).
    """

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0
        self.evaluated = self.calls = 0

    def _new_text(self) -> str:
        with open(self.path, encoding="utf-8", errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        return text

    def count(self, prompt_tokens: int) -> None:
        """Attribute the log lines written since the last request to the one that just ended."""
        text = self._new_text()
        hits = [int(n) for n in _EVAL.findall(text)]
        if hits:
            self.evaluated += hits[-1]
        elif "full prompt already cached" not in text:
            self.evaluated += prompt_tokens
        self.calls += 1

    def take(self) -> tuple[int, int]:
        """(prompt tokens evaluated, requests) since the previous take."""
        out = (self.evaluated, self.calls)
        self.evaluated = self.calls = 0
        return out

    def instrument(self, model: Model) -> None:
        """Count every request `model` sends (requests must run one at a time)."""
        complete = model.backend.complete

        async def counted(req):
            comp = await complete(req)
            await asyncio.sleep(0.05)  # the server writes its log line before it answers; let it land
            self.count(comp.usage.prompt_tokens)
            return comp

        model.backend.complete = counted


def naive_messages(goal: Goal, plan: Plan, config: GraderConfig) -> list[dict]:
    """Layout (b): the same prompt text with the plan first."""
    p = build_prompt(goal, scan_plan(plan.text).neutralised, config, load_guidelines(config.guidelines))
    return [{"role": "user", "content": f"{p.plan}\n\n{p.system}\n\n{p.context}"}]


def chat_tokens(llama, messages: list[dict]) -> list[int]:
    """The tokens of `messages` formatted with the GGUF's own chat template."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    meta = llama.metadata
    fmt = Jinja2ChatFormatter(
        template=meta["tokenizer.chat_template"],
        eos_token=llama._model.token_get_text(llama.token_eos()),
        bos_token=llama._model.token_get_text(llama.token_bos()),
        add_generation_prompt=True,
    )
    prompt = fmt(messages=messages).prompt
    return llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)


def ideal_tokens(groups: list[list[list[int]]]) -> int:
    """Each group's shared prefix once plus every prompt's own tokens."""
    total = 0
    for prompts in groups:
        shared = len(os.path.commonprefix(prompts))
        total += shared + sum(len(p) - shared for p in prompts)
    return total


async def run_layout(name: str, model: Model, goals: list[Goal], plans: dict[str, list[Plan]],
                     config: GraderConfig, log: ServerLog) -> tuple[int, int, float]:
    """(prompt tokens evaluated, model calls, seconds) for one layout over the groups of `goals`."""
    grader = Grader(model, config)
    log.take()
    start = time.perf_counter()
    for goal in goals:
        group = plans[goal.id]
        if name == "ours":
            await grader.grade_group(goal, group)
        elif name == "naive":
            for plan in group:
                await model.generate(naive_messages(goal, plan, config), max_tokens=config.max_tokens,
                                     temperature=0.0, seed=0)
        else:  # one call per rubric item, each with our layout
            for i, item in enumerate(goal.rubric):
                one = goal.model_copy(update={"id": f"{goal.id}-item{i}", "rubric": [item]})
                await grader.grade_group(one, group)
    seconds = time.perf_counter() - start
    evaluated, calls = log.take()
    return evaluated, calls, seconds


async def main_async(args: argparse.Namespace) -> None:
    from llama_cpp import Llama

    gguf = bundled_gguf()
    goals = read_records(ROOT / "bench" / "data" / "grading_goals.jsonl", Goal)[: args.goals]
    plans = {g.id: make_plans(g, args.plans, args.seed) for g in goals}
    n_plans = sum(len(p) for p in plans.values())
    # Short verdicts: the bench measures prompt evaluation, which the output does not change.
    config = GraderConfig(max_tokens=args.max_tokens, retries=0, warm_prefix=True)

    vocab = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    guidelines = load_guidelines(config.guidelines)
    groups = []
    for g in goals:
        groups.append([chat_tokens(vocab, build_prompt(g, scan_plan(p.text).neutralised, config, guidelines).messages())
                       for p in plans[g.id]])
    ideal = ideal_tokens(groups)
    full = sum(len(p) for grp in groups for p in grp)

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "w") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                 "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--cache", "true",
                 "--verbose", "true"],
                stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            try:
                url = f"http://127.0.0.1:{port}/v1"
                wait_http(f"{url}/models", timeout=120)
                model = Model(f"openai:smollm2@{url}", ModelSettings(cache=False, max_concurrency=1, timeout=600),
                              ledger_=Ledger())
                log = ServerLog(log_path)
                log.instrument(model)
                results = {}
                for name in ("ours", "naive", "per_item"):
                    # One call per item is 10x the calls: by default it runs on the first goal's group only
                    # (every figure below is per plan, so the layouts stay comparable).
                    subset = goals if name != "per_item" else goals[: args.per_item_goals]
                    ev, calls, sec = await run_layout(name, model, subset, plans, config, log)
                    n = sum(len(plans[g.id]) for g in subset)
                    results[name] = (ev / n, calls / n, sec / n)
                await model.aclose()
            finally:
                proc.terminate()
                proc.wait(timeout=30)

    a, b, c = results["ours"], results["naive"], results["per_item"]
    print(f"{len(goals)} goals x {args.plans} plans, 10 rubric items each; prompt {full / n_plans:.0f} tokens per plan "
          f"(no cache); server: llama.cpp --cache true")
    print(f"(c) on the first {args.per_item_goals} goal(s); every figure is per plan")
    print(f"{'layout':<22}{'evaluated/plan':>16}{'calls/plan':>12}{'s/plan':>10}")
    for label, (ev, calls, sec) in (("(a) ours", a), ("(b) plan first", b), ("(c) one call per item", c)):
        print(f"{label:<22}{ev:>16.1f}{calls:>12.2f}{sec:>10.2f}")
    ideal_per_plan = ideal / n_plans
    print(f"ideal for (a): {ideal_per_plan:.1f} prompt tokens per plan (each group's shared prefix once)")
    print(f"evaluated (a)/(b) = {a[0] / b[0]:.3f}")
    print(f"calls (a)/(c) = {a[1] / c[1]:.3f}")
    print(f"(a) over ideal = {a[0] / ideal_per_plan:.3f}")
    print(f"prefix_cache_efficiency={ideal_per_plan / a[0]:.3f}")


def main() -> None:
    import faulthandler
    faulthandler.dump_traceback_later(float(os.environ.get("BENCH_DUMP_AFTER", "1e9")), exit=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goals", type=int, default=3)
    parser.add_argument("--plans", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--per-item-goals", type=int, default=1, help="Goals graded one call per item (c).")
    parser.add_argument("--seed", type=int, default=0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
