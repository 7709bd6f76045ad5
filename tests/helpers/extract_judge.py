"""Extraction test helpers: a small paper, a scripted judge that answers each extraction prompt by kind,
and a small copy of the research-plan-gen layout."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from sciplan.llm import Request
from sciplan.records import Paper, Section

INTRO = ("Tomato growers water on fixed schedules. We ask whether watering frequency changes fruit yield "
         "in a greenhouse within one season, using only standard irrigation equipment.")
METHOD = ("We grew 60 plants in 12 plots under three schedules (daily, every two days, every four days) with "
          "four replicate plots each, weighed all fruit per plant at harvest, and logged light and temperature.")
RESULTS = "Watering every two days gave the highest yield; a one-way ANOVA on plot means found p < 0.01."


def make_paper(pid: str = "p1", title: str = "Watering frequency and tomato yield", **kw) -> Paper:
    """A short real-shaped paper: abstract, introduction, methods, results, references."""
    fields = dict(
        id=pid, title=title, abstract="We test how often to water greenhouse tomatoes.", domain="q-bio",
        date=date(2024, 5, 1), venue="Test Venue",
        sections=[Section(heading="Introduction", text=INTRO), Section(heading="Materials and methods", text=METHOD),
                  Section(heading="Results", text=RESULTS), Section(heading="References", text="[1] Someone 2020.")],
    )
    fields.update(kw)
    return Paper(**fields)


def candidate(goal: str, rubric: list[str],
              reference: str = "Grow plants under three schedules and weigh fruit.") -> dict:
    return {"goal": goal, "rubric": rubric, "reference": reference}


@dataclass
class Judge:
    """Answers creator, item, check, grader and leakage prompts from settings; counts calls per kind.

    `creator` maps a paper title fragment to the candidates (or to a raw string answer);
    `quality(item)` gives an item's 1-5 score; `checks_pass(goal)` whether every check passes;
    `violations(item)` the guideline ids a reference violates for an item; `stated(item)` leakage.
    """

    creator: dict[str, list[dict] | str] = field(default_factory=dict)
    quality: Callable[[str], int] = lambda item: 3
    checks_pass: Callable[[str], bool] = lambda goal: True
    violations: Callable[[str], list[str]] = lambda item: []
    stated: Callable[[str], bool] = lambda item: False
    fail: set[str] = field(default_factory=set)
    calls: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def kind(req: Request) -> str:
        text = "\n".join(m["content"] for m in req.messages)
        if "candidate samples" in text:
            return "creator"
        if "quality score from 1" in text:
            return "items"
        if "Goal criteria:" in text:
            return "checks"
        if "has leaked" in text:
            return "leakage"
        if "Grade the research plan below" in text:
            return "grade"
        raise AssertionError(f"unknown prompt: {text[:200]}")

    def __call__(self, req: Request) -> str:
        kind = self.kind(req)
        self.calls[kind] = self.calls.get(kind, 0) + 1
        if kind in self.fail:
            return "not json at all"
        user = req.messages[-1]["content"] if kind != "creator" else req.messages[1]["content"]
        if kind == "creator":
            for fragment, answer in self.creator.items():
                if fragment in user:
                    return answer if isinstance(answer, str) else json.dumps({"candidates": answer})
            raise AssertionError("no scripted candidates for this paper")
        goal = user.split("Research goal:\n", 1)[1].split("\n\n", 1)[0] if "Research goal:\n" in user else ""
        items = _numbered(user)
        if kind == "items":
            return json.dumps({"items": [{"index": i, "reason": "r", "score": self.quality(t)} for i, t in items]})
        if kind == "leakage":
            return json.dumps({"items": [{"index": i, "reason": "r", "stated": self.stated(t)} for i, t in items]})
        if kind == "checks":
            schema = req.json_schema or {}
            verdict = "pass" if self.checks_pass(goal) else "fail"
            return json.dumps({part: {name: {"reason": "r", "verdict": verdict}
                                      for name in schema["properties"][part]["properties"]}
                               for part in ("goal", "rubric")})
        return json.dumps({"verdicts": [{"index": i, "excerpt": "the plan does it", "reason": "r",
                                         "violations": self.violations(t)} for i, t in items]})


def _numbered(text: str) -> list[tuple[int, str]]:
    """The numbered rubric items listed in a prompt."""
    out = []
    if "Rubric items (" not in text:
        return out
    block = text.split("Rubric items (", 1)[1].split("\n", 1)[1]
    for line in block.splitlines():
        head, _, rest = line.partition(". ")
        if head.isdigit() and rest:
            out.append((int(head), rest))
        elif out:
            break
    return out


ML_ROWS = [
    {"Goal": "Test whether intermediate layers predict answer correctness.",
     "Rubric": ["Trains linear probes on hidden states.", "Holds out whole datasets."],
     "Reference solution": "Collect questions, run the model, train probes per layer.", "article_id": "or:abc"},
    {"Goal": "Find a cheaper way to evaluate long-context retrieval.",
     "Rubric": ["Uses synthetic needles at varied depths."],
     "Reference solution": "Insert facts at depths; measure recall.", "article_id": "or:def"},
]
PUBMED_ROWS = [
    {"Goal": "Assess whether a dietary flame retardant disrupts thyroid hormones in fish.",
     "Rubric": ["Measures plasma T4 and T3 by radioimmunoassay.", "Includes a vehicle control group."],
     "Reference solution": "Feed fish PBDE-47 at two doses for 21 days; assay hormones.", "article_id": "PMC2599765"},
]


def build_release(root):
    """A small copy of the released layout: CONFIG/SPLIT/*.parquet with the released column names."""
    pq.write_table(pa.Table.from_pylist(ML_ROWS), (root / "ml" / "train").mkdir(parents=True) or
                   root / "ml" / "train" / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist(PUBMED_ROWS), (root / "pubmed" / "test").mkdir(parents=True) or
                   root / "pubmed" / "test" / "data.parquet")
    return root
