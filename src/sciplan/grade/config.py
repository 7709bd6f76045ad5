"""Typed settings of the grader and the reward, loadable from YAML with `load_config`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sciplan.config import load_config
from sciplan.grade.guidelines import SHIPPED

__all__ = [
    "AnswerMode",
    "GraderConfig",
    "PROTOCOLS",
    "RewardConfig",
    "GradingConfig",
    "ReferenceMode",
    "load_grading_config",
    "Variant",
    "View",
]

# Any registered variant (`sciplan.grade.variant.register`); built in: violations,
# binary, likert, paper.
Variant = str
View = Literal["both", "rubric", "guidelines"]
ReferenceMode = Literal["none", "example", "bar"]
AnswerMode = Literal["auto", "text", "schema"]

# Named protocols: `grader: {protocol: paper}` in a config sets these keys; keys given
# beside it win. `paper`: Goel et al.'s grading (desiderata, reference as one valid
# approach, weaknesses first); `papergym`: the same with the reference as the bar;
# `sciplan`: sciplan's own guidelines and per-item violations, no reference.
PROTOCOLS: dict[str, dict[str, str]] = {
    "paper": {"variant": "paper", "guidelines": "paper", "reference": "example"},
    "papergym": {"variant": "paper", "guidelines": "paper", "reference": "bar"},
    "sciplan": {"variant": "violations", "guidelines": "sciplan-default", "reference": "none"},
}


class GraderConfig(BaseModel):
    """How a plan is graded: the paper's protocol by default, its ablations by setting.

    variant: `violations` lists the violated guidelines per rubric item (the paper's
    grader); `binary` asks satisfied yes/no per item; `likert` asks one 1-10 score.
    view: what the grader is shown: `both` rubric and guidelines (default), `rubric`
    only (each item judged satisfied or not), `guidelines` only (each guideline judged
    for the plan as a whole; the units scored are then the guidelines).
    """

    model_config = ConfigDict(extra="forbid")

    # A named protocol (see PROTOCOLS) that presets the keys below; recorded as given.
    protocol: str | None = None
    variant: Variant = "violations"
    view: View = "both"
    # A shipped set by name (`sciplan-default`, `paper`) or a YAML file; None: the
    # variant's own (`paper` for the paper variant, else `sciplan-default`).
    guidelines: Path | None = None
    # How the goal's reference solution is shown: not at all, as one valid approach
    # (the paper), or as the bar the plan must reach (PaperGym). A goal without a
    # reference is graded (and recorded) as `none`.
    reference: ReferenceMode = "none"
    # The answer's form: plain text scanned for item blocks (`text`), or JSON under
    # schema-constrained decoding (`schema`). `auto`: schema for the bundled local
    # model (what makes a 135M model answer at all), text for every other backend.
    answer: AnswerMode = "auto"
    weakness_chars: int = Field(1200, ge=10)
    max_tokens: int = Field(2048, ge=16)
    temperature: float = 0.0
    seed: int = 0
    # Repair turns after an invalid answer (the answer and its error are shown back).
    retries: int = Field(2, ge=0, le=10)
    # Bounds on the grader's strings: small models repeat themselves without them.
    excerpt_chars: int = Field(300, ge=10)
    reason_chars: int = Field(300, ge=10)
    # A plan that tries to instruct the grader: grade it with the flagged segments
    # removed (`remove`), score it 0 without a call (`zero`), or grade it untouched and
    # only flag it (`flag`, for measuring how much a grader can be swayed).
    on_injection: Literal["remove", "zero", "flag"] = "remove"
    # Output that stays invalid after the repairs: a `Grade` marked failed, or raise.
    on_failure: Literal["mark", "raise"] = "mark"
    # Grade the first plan of a group alone before the rest go out together, so the
    # server has the shared prefix cached when the group arrives (vLLM, SGLang).
    warm_prefix: bool = True

    @model_validator(mode="before")
    @classmethod
    def _expand_protocol(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("protocol") is not None:
            name = data["protocol"]
            if name not in PROTOCOLS:
                raise ValueError(f"unknown grading protocol {name!r} (known: {', '.join(PROTOCOLS)})")
            data = {**PROTOCOLS[name], **data}
        return data

    @field_validator("variant")
    @classmethod
    def _known_variant(cls, value: str) -> str:
        from sciplan.grade.variant import variant_names

        if value not in variant_names():
            raise ValueError(f"unknown grader variant {value!r} (known: {', '.join(variant_names())})")
        return value


class RewardConfig(BaseModel):
    """The reward: grader score minus a format penalty. Thinking is never limited.

    Penalties add up and are capped at `max_penalty`. A failed grade becomes `None`
    (`skip`: TRL turns it into NaN and leaves that completion out), a score of 0
    (`zero`), or an exception (`raise`).
    """

    model_config = ConfigDict(extra="forbid")

    # The final plan's length limit (None: no limit), in words or tokens; counting
    # tokens needs the policy's tokenizer (see `RubricReward`).
    max_plan_length: int | None = Field(750, ge=1)
    length_unit: Literal["words", "tokens"] = "words"
    missing_plan_penalty: float = Field(1.0, ge=0)
    over_limit_penalty: float = Field(1.0, ge=0)
    unterminated_thinking_penalty: float = Field(1.0, ge=0)
    # Extra penalty for a plan flagged as trying to instruct the grader (0: none).
    injection_penalty: float = Field(0.0, ge=0)
    max_penalty: float = Field(1.0, ge=0)
    # Grade plans over the limit (True) or give them score 0 and save the call.
    grade_over_limit: bool = True
    on_failed: Literal["skip", "zero", "raise"] = "skip"


class GradingConfig(BaseModel):
    """A grading config file: `grader:` and `reward:` sections, both optional."""

    model_config = ConfigDict(extra="forbid")

    grader: GraderConfig = Field(default_factory=GraderConfig)
    reward: RewardConfig = Field(default_factory=RewardConfig)


def load_grading_config(path: str | os.PathLike[str] | None) -> GradingConfig:
    """The grading config in `path` (None: the defaults); a relative guideline path is
    read relative to the config file."""
    if path is None:
        return GradingConfig()
    cfg = load_config(path, GradingConfig)
    g = cfg.grader.guidelines
    if g is not None and not g.is_absolute() and str(g) not in SHIPPED:
        cfg.grader.guidelines = (Path(path).parent / g).resolve()
    return cfg
