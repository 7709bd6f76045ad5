"""`MetaevalConfig`: which plan variants metaeval builds, how many, and how it grades them."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sciplan.config import load_config
from sciplan.grade.config import GraderConfig
from sciplan.llm import DEFAULT_MODEL, ModelSettings

__all__ = ["FAMILIES", "MetaevalConfig", "load_metaeval_config"]

# Every variant family, in report order. `reference` is the positive class of every AUC.
FAMILIES = ("reference", "removed", "flaw", "other_goal", "vague", "stuffing", "padding", "injection")


class MetaevalConfig(BaseModel):
    """A metaeval run: graders, the grading protocol, and the variants built per goal."""

    model_config = ConfigDict(extra="forbid")

    # Every grader is graded the same way; a list of model specs (a jury is several).
    graders: list[str] = Field(default_factory=lambda: [DEFAULT_MODEL], min_length=1)
    grader: GraderConfig = Field(default_factory=GraderConfig)
    settings: ModelSettings = Field(default_factory=ModelSettings)
    # The families to build (default: all); `reference` is always built.
    families: list[str] = Field(default_factory=lambda: list(FAMILIES))
    seed: int = 0
    # Rubric items removed one at a time per goal (a seeded sample; None: every item).
    removed_items: int | None = Field(2, ge=1)
    # Planted flaws per goal (kinds drawn by seed from the flaw templates).
    flaws: int = Field(1, ge=0)
    # Injection styles per goal (None: every style).
    injections: int | None = Field(None, ge=1)
    # Extra data files the user adds (same layout as the shipped ones).
    flaw_templates: Path | None = None
    injection_styles: Path | None = None
    # A model that writes the planted flaw into the reference (None: the templates).
    flaw_writer: str | None = None
    flaw_writer_max_tokens: int = Field(400, ge=16)
    # Self-consistency: the references graded again with these extra seeds.
    consistency_seeds: int = Field(2, ge=0)
    consistency_temperature: float = Field(0.7, ge=0)
    # Bootstrap for the uplift CIs (resampling goals).
    bootstrap: int = Field(2000, ge=100)
    level: float = Field(0.95, gt=0, lt=1)
    # Use only the first N goals with a reference (None: all).
    limit: int | None = Field(None, ge=1)

    @field_validator("graders", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [s.strip() for s in value.split(",") if s.strip()] if isinstance(value, str) else value

    @field_validator("families")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        bad = [f for f in value if f not in FAMILIES]
        if bad:
            raise ValueError(f"unknown famil(ies) {', '.join(bad)}; known: {', '.join(FAMILIES)}")
        return ["reference", *[f for f in FAMILIES[1:] if f in value]]


def load_metaeval_config(path: str | os.PathLike[str] | None = None, **overrides: object) -> MetaevalConfig:
    """The metaeval config in `path` (None: defaults) with non-None overrides; paths relative to the file."""
    if path is None:
        return MetaevalConfig.model_validate({k: v for k, v in overrides.items() if v is not None})
    cfg = load_config(path, MetaevalConfig, **overrides)
    base = Path(path).resolve().parent
    for name in ("flaw_templates", "injection_styles"):
        p = getattr(cfg, name)
        if p is not None and not p.is_absolute():
            setattr(cfg, name, base / p)
    if cfg.grader.guidelines is not None and not cfg.grader.guidelines.is_absolute():
        cfg.grader.guidelines = base / cfg.grader.guidelines
    return cfg
