"""Typed settings of the extraction stage, loadable from one YAML file (`--config extract.yaml`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sciplan.config import load_config
from sciplan.grade import GraderConfig
from sciplan.llm import DEFAULT_MODEL, ModelSettings

__all__ = [
    "ContextConfig",
    "CreatorConfig",
    "SelectorConfig",
    "LeakageConfig",
    "DedupConfig",
    "EmbeddingConfig",
    "ExtractConfig",
    "GOAL_CRITERIA",
    "RUBRIC_CRITERIA",
    "load_extract_config",
]

# The selector's fixed quality criteria (method.md §2): name -> what a passing goal/rubric does.
GOAL_CRITERIA: dict[str, str] = {
    "self_contained": "The goal can be understood without the paper: it names the problem, the setting and its terms.",
    "states_constraints": "The goal states the constraints a plan must respect (data, resources, setting or scope).",
    "no_solution": "The goal does not give away the paper's solution: it says what to achieve, not how.",
}
RUBRIC_CRITERIA: dict[str, str] = {
    "specific": "Each item asks for something specific to this goal, not generic research advice.",
    "checkable": "Each item can be checked against a written plan: a reader can tell whether a plan meets it.",
    "relevant": "Each item bears on achieving the goal.",
    "non_redundant": "No two items ask for the same thing.",
}


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContextConfig(_Config):
    """How much of a paper the creator sees, and which parts first."""

    # Paper tokens in the creator's prompt; estimated as characters / chars_per_token.
    budget_tokens: int = Field(6000, ge=32)
    chars_per_token: float = Field(4.0, gt=0)
    # Section kinds by tier: tier 0 is filled first, and so on. Kinds not listed are left out.
    tiers: list[list[str]] = Field(
        default_factory=lambda: [
            ["abstract", "introduction", "method", "experiments"],
            ["background", "conclusion"],
            ["discussion", "other"],
            ["related", "appendix"],
        ]
    )
    # A section cut to fewer tokens than this is left out instead (a stub helps nobody).
    min_section_tokens: int = Field(24, ge=1)
    # Leakage-aware mode: the share of the budget for the goal part (background/introduction).
    goal_share: float = Field(0.35, gt=0, lt=1)
    goal_kinds: list[str] = Field(default_factory=lambda: ["introduction", "background"])
    rubric_kinds: list[str] = Field(default_factory=lambda: ["method", "experiments"])


class CreatorConfig(_Config):
    """The sample creator: up to `candidates` (goal, rubric, reference) tuples per paper."""

    # The creator model spec (`provider:model[@url]`).
    model: str = DEFAULT_MODEL
    candidates: int = Field(3, ge=1, le=3)
    # Preliminary rubric size per candidate; the selector keeps the best `top_k`.
    min_items: int = Field(3, ge=1)
    max_items: int = Field(15, ge=1, le=30)
    # Bounds on the creator's strings: small models ramble without them.
    goal_chars: int = Field(1200, ge=20)
    item_chars: int = Field(300, ge=10)
    reference_chars: int = Field(3000, ge=20)
    # Candidates shorter than these are dropped as unusable.
    min_goal_chars: int = Field(20, ge=1)
    min_reference_chars: int = Field(20, ge=1)
    max_tokens: int = Field(6000, ge=16)
    temperature: float = 0.0
    seed: int = 0
    retries: int = Field(2, ge=0, le=10)
    # Write the goal from background/introduction and the rubric from method/experiments.
    leakage_aware: bool = False
    context: ContextConfig = Field(default_factory=ContextConfig)
    # Pitfall items per candidate (mistakes a plan for this goal must not make), kept beside
    # the selected rubric with weight -1 (HealthBench-style negative points); 0: none, as in the paper.
    pitfalls: int = Field(0, ge=0, le=5)


class SelectorConfig(_Config):
    """The sample selector: rubric top-k, named quality checks, reference graded like a plan."""

    # The selector model spec (None: the creator's model); it also judges leakage.
    model: str | None = None
    top_k: int = Field(10, ge=1, le=30)
    # Maximal marginal relevance: weight of quality against novelty (1 = quality only).
    mmr_lambda: float = Field(0.7, ge=0, le=1)
    # Items at least this similar to an item already kept are never kept (near repeats).
    max_similarity: float = Field(0.95, gt=0, le=1)
    # Items whose quality (0-1) is below this are dropped before the top-k.
    min_quality: float = Field(0.0, ge=0, le=1)
    goal_criteria: dict[str, str] = Field(default_factory=lambda: dict(GOAL_CRITERIA), min_length=1)
    rubric_criteria: dict[str, str] = Field(default_factory=lambda: dict(RUBRIC_CRITERIA), min_length=1)
    # Weights of the components whose weighted mean ranks candidates.
    weights: dict[Literal["goal", "rubric", "reference"], float] = Field(
        default_factory=lambda: {"goal": 1.0, "rubric": 1.0, "reference": 1.0}
    )
    # A best candidate whose average is below this is rejected (the paper yields no goal).
    min_average: float = Field(0.0, ge=0, le=1)
    # A judgment that never validates (or a failed reference grade): drop the candidate
    # (`drop`), or score that component 0 and keep going (`zero`).
    on_failure: Literal["drop", "zero"] = "drop"
    reason_chars: int = Field(160, ge=10)
    items_max_tokens: int = Field(2048, ge=16)
    checks_max_tokens: int = Field(1024, ge=16)
    temperature: float = 0.0
    seed: int = 0
    retries: int = Field(2, ge=0, le=10)
    # How the reference solution is graded: the same protocol as a generated plan.
    grader: GraderConfig = Field(default_factory=GraderConfig)


class LeakageConfig(_Config):
    """Per rubric item: does the goal already state it? Model judgment plus embedding similarity."""

    enabled: bool = True
    use_model: bool = True
    # An item is leaked when its similarity to the closest goal sentence reaches this.
    similarity_threshold: float = Field(0.8, gt=0, le=1)
    # How the two signals combine into one verdict per item.
    rule: Literal["either", "both", "model", "similarity"] = "either"
    # Drop leaked items from the kept rubric (at least one item always stays).
    drop_leaked: bool = False
    reason_chars: int = Field(120, ge=10)
    max_tokens: int = Field(1024, ge=16)
    retries: int = Field(1, ge=0, le=10)


class DedupConfig(_Config):
    """Near-duplicate goals across papers: MinHash over word shingles, or embeddings."""

    enabled: bool = True
    method: Literal["minhash", "embedding"] = "minhash"
    # Jaccard similarity of word shingles (minhash) or cosine similarity (embedding).
    threshold: float = Field(0.7, gt=0, le=1)
    shingle: int = Field(3, ge=1, le=10)
    num_perm: int = Field(128, ge=16, le=1024)
    seed: int = 1
    # Goals of the same paper are not duplicates of each other (the issue: across papers).
    across_papers_only: bool = True


class EmbeddingConfig(_Config):
    """Sentence embeddings: all-MiniLM-L6-v2 shipped offline, or a TF-IDF fallback."""

    kind: Literal["auto", "minilm", "lexical"] = "auto"
    # torch device for MiniLM (None: the library's choice, a GPU when there is one).
    device: str | None = None


class ExtractConfig(_Config):
    """Everything `sciplan extract` reads from `--config`: one section per part."""

    creator: CreatorConfig = Field(default_factory=CreatorConfig)
    selector: SelectorConfig = Field(default_factory=SelectorConfig)
    leakage: LeakageConfig = Field(default_factory=LeakageConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    embeddings: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    # Papers worked on at once (model limits still apply per model).
    concurrency: int = Field(4, ge=1, le=256)
    # How both models are called (cache, timeouts, retries, local context size).
    settings: ModelSettings = Field(default_factory=ModelSettings)
    # Retry papers that failed or were rejected in an earlier run (else they are skipped).
    retry_failed: bool = False


def load_extract_config(path: str | os.PathLike[str] | None) -> ExtractConfig:
    """The extraction config in `path` (None: the defaults), with errors naming the file."""
    if path is None:
        return ExtractConfig()
    cfg = load_config(path, ExtractConfig)
    g = cfg.selector.grader.guidelines
    if g is not None and not g.is_absolute():
        cfg.selector.grader.guidelines = (Path(path).parent / g).resolve()
    return cfg
