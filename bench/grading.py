"""Prefix-cache efficiency of the grader's prompt layout, from a real llama.cpp server.

Several goals (10 rubric items each), a group of 8 plans per goal, graded against the
local llama.cpp server (`sciplan.llm.server`, one slot, prompt cache capped) three
ways, side by side in one run:

  (a) ours:     instructions + guidelines, then goal + rubric + reference, then the plan last
  (b) naive:    the plan first, then the same instructions, goal, rubric and reference
  (c) per item: one call per rubric item (our layout with a one-item rubric)

The prompt tokens the server actually evaluated are its own figures: each answer's
`prompt_tokens` less `prompt_tokens_details.cached_tokens`. The ideal for (a) is each
group's shared prefix evaluated once plus every plan's own tokens, counted with the
server's own chat template and tokenizer on the exact prompts. Above 1 means better
than that ideal: the instructions and guidelines, shared by every goal, stay cached
from one group to the next.

With `--listwise`, (d) the listwise group grader (one call sees the goal, rubric and
all plans of a group) against (a): grader calls and prompt tokens (sent, and evaluated by
the server) per plan.

Then a soak: `--soak` more grading calls (default 300) over fresh plans, with the
server's resident memory sampled after every call; its peak must stay within 2x the
size after the first group (llama-cpp-python's server grew without bound here).

    .venv/bin/python bench/grading.py [--goals 3] [--plans 8] [--soak 300]

The last line is `prefix_cache_efficiency=IDEAL_OVER_A` (target >= 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import psutil  # noqa: E402

from sciplan.grade import Grader, GraderConfig, build_prompt, guidelines_for  # noqa: E402
from sciplan.grade.injection import scan_plan  # noqa: E402
from sciplan.jsonl import read_records  # noqa: E402
from sciplan.llm import Ledger, Model, ModelSettings  # noqa: E402
from sciplan.llm.bundled import bundled_gguf  # noqa: E402
from sciplan.llm.server import LocalServer, ServerOptions  # noqa: E402
from sciplan.records import Goal, Plan, make_id  # noqa: E402

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


class UsageCounter:
    """Prompt tokens the server evaluated (prompt less cached), per request `model` sends."""

    def __init__(self) -> None:
        self.evaluated = self.calls = 0

    def take(self) -> tuple[int, int]:
        """(prompt tokens evaluated, requests) since the previous take."""
        out = (self.evaluated, self.calls)
        self.evaluated = self.calls = 0
        return out

    def instrument(self, model: Model) -> None:
        complete = model.backend.complete

        async def counted(req):
            comp = await complete(req)
            self.evaluated += comp.usage.prompt_tokens - (comp.usage.cached_prompt_tokens or 0)
            self.calls += 1
            return comp

        model.backend.complete = counted


def naive_messages(goal: Goal, plan: Plan, config: GraderConfig) -> list[dict]:
    """Layout (b): the same prompt text with the plan first."""
    p = build_prompt(goal, scan_plan(plan.text).neutralised, config, guidelines_for(config))
    return [{"role": "user", "content": f"{p.plan}\n\n{p.system}\n\n{p.context}"}]


def chat_tokens(base: str, messages: list[dict]) -> list[int]:
    """The tokens of `messages` formatted with the GGUF's own chat template, by the server itself."""
    root = base.removesuffix("/v1")
    prompt = httpx.post(f"{root}/apply-template", json={"messages": messages}, timeout=60).json()["prompt"]
    return httpx.post(f"{root}/tokenize", json={"content": prompt, "add_special": False, "parse_special": True},
                      timeout=60).json()["tokens"]


def ideal_tokens(groups: list[list[list[int]]]) -> int:
    """Each group's shared prefix once plus every prompt's own tokens."""
    total = 0
    for prompts in groups:
        shared = len(os.path.commonprefix(prompts))
        total += shared + sum(len(p) - shared for p in prompts)
    return total


async def run_layout(name: str, model: Model, goals: list[Goal], plans: dict[str, list[Plan]],
                     config: GraderConfig, log: UsageCounter) -> tuple[int, int, float]:
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


async def listwise_vs_per_plan(model: Model, goals: list[Goal], plans: dict[str, list[Plan]],
                               config: GraderConfig, max_tokens: int) -> dict[str, tuple[float, float, float]]:
    """Per plan: (calls, prompt tokens sent, prompt tokens evaluated) of per-plan grading and listwise grading."""
    from sciplan.grade.listwise import ListwiseConfig, ListwiseGrader

    sent = evaluated = calls = 0
    complete = model.backend.complete

    async def counted(req):
        nonlocal sent, evaluated, calls
        comp = await complete(req)
        sent += comp.usage.prompt_tokens
        evaluated += comp.usage.prompt_tokens - (comp.usage.cached_prompt_tokens or 0)
        calls += 1
        return comp

    model.backend.complete = counted
    graders = {"per_plan": Grader(model, config),
               "listwise": ListwiseGrader(model, ListwiseConfig(max_tokens=max_tokens, retries=0, max_group=32))}
    n = sum(len(plans[g.id]) for g in goals)
    out = {}
    try:
        for name, grader in graders.items():
            sent = evaluated = calls = 0
            for goal in goals:
                await grader.grade_group(goal, plans[goal.id])
            out[name] = (calls / n, sent / n, evaluated / n)
    finally:
        model.backend.complete = complete
    return out


async def soak(model: Model, goals: list[Goal], config: GraderConfig, server: LocalServer, calls: int,
               seed: int) -> tuple[float, float, int]:
    """(RSS MB after the first group, peak RSS MB, calls) over `calls` grading calls on fresh plans."""
    proc = psutil.Process(server.proc.pid)
    grader = Grader(model, config)
    first = peak = 0.0
    done = rnd = 0
    while done < calls:
        for goal in goals:
            group = make_plans(goal, 8, seed + 1000 + rnd)
            await grader.grade_group(goal, group)
            done += len(group)
            rss = proc.memory_info().rss / 1e6
            first = first or rss
            peak = max(peak, rss)
            if done >= calls:
                break
        rnd += 1
    return first, peak, done


async def main_async(args: argparse.Namespace) -> None:
    gguf = bundled_gguf()
    goals = read_records(ROOT / "bench" / "data" / "grading_goals.jsonl", Goal)[: args.goals]
    plans = {g.id: make_plans(g, args.plans, args.seed) for g in goals}
    n_plans = sum(len(p) for p in plans.values())
    # Short verdicts: the bench measures prompt evaluation, which the output does not change.
    # The protocol's reference solution sits in each goal's shared prefix, before the plan;
    # schema answers keep the layout the same as the ideal's prompts below.
    config = GraderConfig(protocol=args.protocol, answer="schema", max_tokens=args.max_tokens, retries=0,
                          warm_prefix=True)
    guidelines = guidelines_for(config)

    server = LocalServer(ServerOptions(model=gguf, n_ctx=4096, threads=2))
    try:
        url = await asyncio.to_thread(server.ensure_started)
        groups = [[chat_tokens(url, build_prompt(g, scan_plan(p.text).neutralised, config, guidelines).messages())
                   for p in plans[g.id]] for g in goals]
        ideal = ideal_tokens(groups)
        full = sum(len(p) for grp in groups for p in grp)
        model = Model(f"openai:smollm2@{url}", ModelSettings(cache=False, max_concurrency=1, timeout=600),
                      ledger_=Ledger())
        log = UsageCounter()
        log.instrument(model)
        results = {}
        for name in ("ours", "naive", "per_item"):
            # One call per item is 10x the calls: by default it runs on the first goal's group only
            # (every figure below is per plan, so the layouts stay comparable).
            subset = goals if name != "per_item" else goals[: args.per_item_goals]
            ev, calls, sec = await run_layout(name, model, subset, plans, config, log)
            n = sum(len(plans[g.id]) for g in subset)
            results[name] = (ev / n, calls / n, sec / n)
        listwise = await listwise_vs_per_plan(model, goals, plans, config, args.max_tokens) if args.listwise else {}
        first = peak = 0.0
        soaked = 0
        if args.soak:
            first, peak, soaked = await soak(model, goals, config, server, args.soak, args.seed)
        await model.aclose()
    finally:
        server.stop()

    a, b, c = results["ours"], results["naive"], results["per_item"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"protocol {args.protocol} (reference {config.reference})")
    print(f"{len(goals)} goals x {args.plans} plans, 10 rubric items each; prompt {full / n_plans:.0f} tokens per plan "
          f"(no cache); server: llama.cpp (xllamacpp), 1 slot, prompt cache capped at {server.options.cache_ram_mib} MiB")
    print(f"(c) on the first {args.per_item_goals} goal(s); every figure is per plan")
    print(f"{'layout':<22}{'evaluated/plan':>16}{'calls/plan':>12}{'s/plan':>10}")
    for label, (ev, calls, sec) in (("(a) ours", a), ("(b) plan first", b), ("(c) one call per item", c)):
        print(f"{label:<22}{ev:>16.1f}{calls:>12.2f}{sec:>10.2f}")
    ideal_per_plan = ideal / n_plans
    print(f"ideal for (a): {ideal_per_plan:.1f} prompt tokens per plan (each group's shared prefix once)")
    print(f"evaluated (a)/(b) = {a[0] / b[0]:.3f}")
    print(f"calls (a)/(c) = {a[1] / c[1]:.3f}")
    print(f"(a) over ideal = {a[0] / ideal_per_plan:.3f}")
    if listwise:
        for label, key in (("(a) per plan", "per_plan"), ("(d) listwise", "listwise")):
            calls, sent, ev = listwise[key]
            print(f"{label:<22} calls/plan {calls:.3f}  prompt tokens sent/plan {sent:.1f}  evaluated/plan {ev:.1f}")
    if soaked:
        print(f"soak: {soaked} grading calls; server RSS after the first group {first:.0f} MB, peak {peak:.0f} MB, "
              f"peak/first = {peak / first:.2f} (must stay <= 2)")
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
    parser.add_argument("--protocol", default="paper", help="Grading protocol (paper, papergym, sciplan).")
    parser.add_argument("--soak", type=int, default=300, help="Grading calls of the memory soak (0: none).")
    parser.add_argument("--listwise", action="store_true", help="Also compare the listwise group grader (d) with (a).")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
