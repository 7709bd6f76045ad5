"""A training run's outcome: folders, validations, the best step, alerts; kept in `summary.json`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sciplan.train.monitors import Alert
from sciplan.train.validation import ValidationResult

__all__ = ["TrainResult", "SUMMARY_FILE", "write_summary", "read_summary", "latest_checkpoint"]

SUMMARY_FILE = "summary.json"


@dataclass
class TrainResult:
    """What a run produced: folders, validations, the best step, alerts, and time per step."""

    output_dir: Path
    final_dir: Path | None
    best_dir: Path | None
    best: ValidationResult | None
    validations: list[ValidationResult]
    alerts: list[Alert]
    steps: int
    timings: list[dict[str, float]] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)
    # True when the run had already finished and nothing was trained this time.
    skipped: bool = False
    # Evolving rubrics: births and retirements per goal, and every event (None: not used).
    rubric: dict[str, Any] | None = None

    @property
    def before(self) -> ValidationResult | None:
        """The held-out validation of the initial policy (step 0), if it was run."""
        return next((v for v in self.validations if v.step == 0), None)

    @property
    def after(self) -> ValidationResult | None:
        """The held-out validation at the last step trained."""
        later = [v for v in self.validations if v.step > 0]
        return max(later, key=lambda v: v.step) if later else None

    @property
    def model_spec(self) -> str | None:
        """The trained policy as a sciplan model string (`hf:FOLDER`), for evaluation."""
        return f"hf:{self.final_dir}" if self.final_dir is not None else None


def write_summary(result: TrainResult, *, finished: bool, fingerprint: str) -> Path:
    """`summary.json` in the run's folder; `finished` marks a run whose final model is saved."""
    path = result.output_dir / SUMMARY_FILE
    summary = {
        "finished": finished,
        "fingerprint": fingerprint,
        "steps": result.steps,
        "final": str(result.final_dir) if result.final_dir else None,
        "model": result.model_spec,
        "best_dir": str(result.best_dir) if result.best_dir else None,
        "best": asdict(result.best) if result.best else None,
        "before": asdict(result.before) if result.before else None,
        "after": asdict(result.after) if result.after else None,
        "validations": [asdict(v) for v in result.validations],
        "alerts": [a.as_dict() for a in result.alerts],
        "timings": result.timings,
    }
    if result.rubric is not None:
        summary["rubric_buffer"] = result.rubric
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(path)  # a crash never leaves half a summary that says "finished"
    return path


def read_summary(out: Path) -> dict[str, Any] | None:
    """The summary in a run folder, or None when there is none (or it is unreadable)."""
    path = Path(out) / SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def result_from_summary(out: Path, summary: dict[str, Any]) -> TrainResult:
    """A `TrainResult` rebuilt from a run's summary (for a run that is not trained again)."""
    vals = [ValidationResult(**v) for v in summary.get("validations", [])]
    best = ValidationResult(**summary["best"]) if summary.get("best") else None
    final = Path(summary["final"]) if summary.get("final") else None
    best_dir = Path(summary["best_dir"]) if summary.get("best_dir") else None
    alerts = [Alert(**a) for a in summary.get("alerts", [])]
    return TrainResult(Path(out), final, best_dir, best, vals, alerts, int(summary.get("steps", 0)),
                       summary.get("timings", []), skipped=True, rubric=summary.get("rubric_buffer"))


def latest_checkpoint(out: Path) -> Path | None:
    """The newest complete `checkpoints/checkpoint-N` folder of a run, if any."""
    ckpts = [p for p in (Path(out) / "checkpoints").glob("checkpoint-*")
             if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()]
    return max(ckpts, key=lambda p: int(p.name.split("-")[-1])) if ckpts else None
