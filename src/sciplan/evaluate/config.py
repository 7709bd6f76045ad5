"""`EvalConfig`: what an evaluation runs (models, baseline, jury, samples) and how it counts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sciplan.config import load_config
from sciplan.errors import SciplanError
from sciplan.grade import GraderConfig
from sciplan.grade.listwise import ListwiseConfig
from sciplan.llm import DEFAULT_MODEL, ModelSettings, UnknownProviderError, parse_spec
from sciplan.plan import PlanConfig

__all__ = ["EvalConfig", "StatsConfig", "load_eval_config"]


class StatsConfig(BaseModel):
    """The statistics' settings: percentile bootstrap over papers (or goals), seeded."""

    model_config = ConfigDict(extra="forbid")

    bootstrap: int = Field(2000, ge=100, description="Bootstrap resamples per interval.")
    level: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence level of every interval.")
    seed: int = 0
    # What a resample draws: whole papers (the goals of one paper correlate, so a plain
    # bootstrap over goals is too narrow) or single goals. A goal without paper_id is its own paper.
    resample: Literal["papers", "goals"] = "papers"
    # Resamples of the Bradley–Terry ranking (one fit each), shown with more than two models.
    ranking_bootstrap: int = Field(500, ge=50)


class EvalConfig(BaseModel):
    """An evaluation: plans from `models` for every goal, graded by every `jury` model.

    `grader` is the same section as in a grading config (`sciplan.grade.GraderConfig`), so
    every judge grades with one protocol and eval configs can reproduce the ablations.
    """

    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(default_factory=lambda: [DEFAULT_MODEL], min_length=1)
    # The model every other is compared with; None: the first model.
    baseline: str | None = None
    jury: list[str] = Field(default_factory=lambda: [DEFAULT_MODEL], min_length=1)
    samples: int = Field(1, ge=1, description="Plans per model and goal.")
    # Only goals of this split (e.g. "test"); None: every goal given.
    split: str | None = None
    plan: PlanConfig = Field(default_factory=PlanConfig)
    grader: GraderConfig = Field(default_factory=GraderConfig)
    # Grade again the grades that failed on an earlier run (otherwise a rerun keeps them).
    retry_failed: bool = False
    # Settings for every model called (concurrency, timeouts, cache).
    settings: ModelSettings = Field(default_factory=ModelSettings)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    # Judges that grade each goal's plans in one listwise call, beside the jury (grades named "MODEL [listwise]").
    listwise_jury: list[str] = Field(default_factory=list)
    listwise: ListwiseConfig = Field(default_factory=ListwiseConfig)
    # Pairwise judges: each model's plan against the baseline's, judged in both orders.
    pairwise: list[str] = Field(default_factory=list)
    # Grade the goals' reference solutions too, as the "paper authors" row beside the models.
    references: bool = True
    # Example plan pairs shown in the report.
    examples: int = Field(3, ge=0)
    # Human labels (a study export or the simple format in `sciplan.evaluate.humans`).
    human_labels: Path | None = None

    @field_validator("models", "jury", "pairwise", "listwise_jury", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # "M1,M2" on the command line, a list in YAML.
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value

    @field_validator("models", "jury", "pairwise", "listwise_jury")
    @classmethod
    def _canonical(cls, specs: list[str]) -> list[str]:
        # Plans and grades record the canonical spelling (`Model.name`): compare in it too.
        try:
            return [str(parse_spec(s)) for s in specs]
        except UnknownProviderError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("baseline")
    @classmethod
    def _canonical_baseline(cls, spec: str | None) -> str | None:
        try:
            return None if spec is None else str(parse_spec(spec))
        except UnknownProviderError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _check(self) -> EvalConfig:
        for name in ("models", "jury"):
            specs = getattr(self, name)
            dupes = sorted({s for s in specs if specs.count(s) > 1})
            if dupes:
                raise ValueError(f"{name} lists {', '.join(dupes)} more than once")
        if self.baseline is None:
            self.baseline = self.models[0]
        elif self.baseline not in self.models:
            raise ValueError(f"baseline {self.baseline!r} is not one of the models ({', '.join(self.models)})")
        return self


def load_eval_config(path: str | os.PathLike[str] | None = None, **overrides: object) -> EvalConfig:
    """The eval config in `path` (None: defaults) with non-None `overrides` on top; errors name the input."""
    if path is not None:
        cfg = load_config(path, EvalConfig, **overrides)
        # Paths in the file are relative to the file, wherever the command runs.
        base = Path(path).parent
        if cfg.human_labels is not None and not cfg.human_labels.is_absolute():
            cfg.human_labels = (base / cfg.human_labels).resolve()
        if cfg.grader.guidelines is not None and not cfg.grader.guidelines.is_absolute():
            cfg.grader.guidelines = (base / cfg.grader.guidelines).resolve()
        return cfg
    try:
        return EvalConfig.model_validate({k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [_message(e) for e in exc.errors()]
        raise SciplanError("invalid evaluation settings: " + "; ".join(lines)) from None


def _message(error: dict) -> str:
    where = ".".join(str(x) for x in error["loc"])
    msg = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg
