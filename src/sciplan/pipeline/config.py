"""The whole loop in one YAML: which stages run, with which settings, into which folder.

    name: demo
    ingest:   {inputs: [../src/sciplan/data/demo_papers]}
    extract:  {config: extract/demo.yaml}
    train:    {config: train/demo.yaml}
    evaluate: {config: eval/demo.yaml, models: [initial, trained]}

Paths inside the file (inputs, stage configs, goal files) are relative to the file, so a
config runs the same from any directory; `out` is relative to where the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sciplan.config import load_config
from sciplan.papers import IngestConfig, is_query

__all__ = [
    "STAGES",
    "StageName",
    "IngestStep",
    "ExtractStep",
    "TrainStep",
    "EvaluateStep",
    "MetaevalStep",
    "PipelineConfig",
    "load_pipeline_config",
]

StageName = Literal["ingest", "extract", "train", "evaluate", "metaeval"]
STAGES: tuple[StageName, ...] = ("ingest", "extract", "train", "evaluate", "metaeval")


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestStep(_Step):
    """Papers in: local paths (files, folders, e-prints) and source queries (arxiv:, pmc:, openreview:)."""

    inputs: list[str] = Field(min_length=1)
    settings: IngestConfig = Field(default_factory=IngestConfig)


class ExtractStep(_Step):
    """Goals out of the ingested papers; `config` is an extraction YAML (None: the defaults)."""

    config: Path | None = None
    # Only the first N papers (None: all), e.g. to try a config on a few.
    limit: int | None = Field(None, ge=1)


class TrainStep(_Step):
    """GRPO (or SFT) on the extracted goals; `config` is a training YAML."""

    config: Path
    # Train on the extracted goals; also on the goals shipped with sciplan (whose held-out
    # ones then validate), so a run with few extracted goals still has something to learn.
    extracted_goals: bool = True
    shipped_goals: bool = False


class EvaluateStep(_Step):
    """Plans of several models graded by a jury, and the HTML report."""

    config: Path | None = None
    # `initial` is the training's starting policy, `trained` its final model; any other
    # entry is a model string. Empty: the models of the eval config.
    models: list[str] = Field(default_factory=lambda: ["initial", "trained"])
    # `heldout`: the training run's held-out goals (else the extracted goals); or a goals file.
    goals: Literal["heldout", "extracted"] | Path = "heldout"


class MetaevalStep(_Step):
    """The grader's metaeval on goals with references; its section joins the evaluation report."""

    config: Path | None = None
    # `heldout`: the training run's held-out goals (else the extracted goals); or a goals file.
    goals: Literal["heldout", "extracted"] | Path = "heldout"


class PipelineConfig(_Step):
    """One run of the loop: papers -> goals -> trained policy -> evaluation report."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    # The run folder; None: runs/NAME (under $SCIPLAN_RUNS when set).
    out: Path | None = None
    ingest: IngestStep | None = None
    extract: ExtractStep | None = None
    train: TrainStep | None = None
    evaluate: EvaluateStep | None = None
    metaeval: MetaevalStep | None = None
    # The file this config was read from (set by the loader).
    source: Path | None = None

    def stages(self) -> list[StageName]:
        """The stages this config names, in order."""
        return [s for s in STAGES if getattr(self, s) is not None]

    def run_dir(self) -> Path:
        """Where every stage writes."""
        if self.out is not None:
            return self.out
        from sciplan.rundir import RunDir

        return RunDir.named(self.name).root


def _relative(base: Path, p: Path | None) -> Path | None:
    return p if p is None or p.is_absolute() else (base / p).resolve()


def load_pipeline_config(path: str | os.PathLike[str], **overrides: object) -> PipelineConfig:
    """Read a pipeline YAML; paths inside it are resolved against its folder."""
    cfg = load_config(path, PipelineConfig, **overrides)
    base = Path(path).resolve().parent
    cfg.source = Path(path)
    if cfg.ingest is not None:
        cfg.ingest.inputs = [i if is_query(i) else str(_relative(base, Path(i))) for i in cfg.ingest.inputs]
    if cfg.extract is not None:
        cfg.extract.config = _relative(base, cfg.extract.config)
    if cfg.train is not None:
        cfg.train.config = _relative(base, cfg.train.config)
    if cfg.evaluate is not None:
        cfg.evaluate.config = _relative(base, cfg.evaluate.config)
        if isinstance(cfg.evaluate.goals, Path):
            cfg.evaluate.goals = _relative(base, cfg.evaluate.goals)
    if cfg.metaeval is not None:
        cfg.metaeval.config = _relative(base, cfg.metaeval.config)
        if isinstance(cfg.metaeval.goals, Path):
            cfg.metaeval.goals = _relative(base, cfg.metaeval.goals) or cfg.metaeval.goals
    return cfg
