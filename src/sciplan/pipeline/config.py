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

from pydantic import Field

from sciplan.config import ConfigPath, Strict, load_config
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


class IngestStep(Strict):
    """Papers in: local paths (files, folders, e-prints) and source queries (arxiv:, pmc:, openreview:)."""

    inputs: list[str] = Field(min_length=1)
    settings: IngestConfig = Field(default_factory=IngestConfig)


class ExtractStep(Strict):
    """Goals out of the ingested papers; `config` is an extraction YAML (None: the defaults)."""

    config: ConfigPath | None = None
    # Only the first N papers (None: all), e.g. to try a config on a few.
    limit: int | None = Field(None, ge=1)


class TrainStep(Strict):
    """GRPO (or SFT) on the extracted goals; `config` is a training YAML."""

    config: ConfigPath
    # Train on the extracted goals; also on the goals shipped with sciplan (whose held-out
    # ones then validate), so a run with few extracted goals still has something to learn.
    extracted_goals: bool = True
    shipped_goals: bool = False


class EvaluateStep(Strict):
    """Plans of several models graded by a jury, and the HTML report."""

    config: ConfigPath | None = None
    # `initial` is the training's starting policy, `trained` its final model; any other
    # entry is a model string. Empty: the models of the eval config.
    models: list[str] = Field(default_factory=lambda: ["initial", "trained"])
    # `heldout`: the training run's held-out goals (else the extracted goals); or a goals file.
    goals: Literal["heldout", "extracted"] | ConfigPath = "heldout"


class MetaevalStep(Strict):
    """The grader's metaeval on goals with references; its section joins the evaluation report."""

    config: ConfigPath | None = None
    # `heldout`: the training run's held-out goals (else the extracted goals); or a goals file.
    goals: Literal["heldout", "extracted"] | ConfigPath = "heldout"


class PipelineConfig(Strict):
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


def load_pipeline_config(path: str | os.PathLike[str], **overrides: object) -> PipelineConfig:
    """Read a pipeline YAML; paths inside it are resolved against its folder."""
    cfg = load_config(path, PipelineConfig, **overrides)
    cfg.source = Path(path)
    if cfg.ingest is not None:
        # Inputs are paths or source queries: the paths follow the ConfigPath rule.
        base = Path(path).resolve().parent
        cfg.ingest.inputs = [i if is_query(i) or Path(i).is_absolute() else str((base / i).resolve())
                             for i in cfg.ingest.inputs]
    return cfg
