"""The whole loop from one YAML: ingest -> extract -> train -> evaluate, resumable at any point.

    config = load_pipeline_config("configs/demo.yaml")
    reports = run_pipeline(config)            # one StageReport per stage: wrote, took, cost
"""

from sciplan.pipeline.config import (
    STAGES,
    EvaluateStep,
    ExtractStep,
    IngestStep,
    PipelineConfig,
    StageName,
    TrainStep,
    load_pipeline_config,
)
from sciplan.pipeline.runner import EvalOutput, StageReport, TrainOutput, run_pipeline, select_stages, stage_marker

__all__ = [
    "STAGES",
    "EvaluateStep",
    "ExtractStep",
    "IngestStep",
    "PipelineConfig",
    "StageName",
    "EvalOutput",
    "TrainOutput",
    "StageReport",
    "TrainStep",
    "load_pipeline_config",
    "run_pipeline",
    "select_stages",
    "stage_marker",
]
