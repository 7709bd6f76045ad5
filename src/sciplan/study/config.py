"""Typed configuration of a human study: how it is built and how it is served."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["StudyConfig", "ServeConfig", "DEFAULT_INSTRUCTIONS", "DEFAULT_ATTENTION_TEXT"]

DEFAULT_ATTENTION_TEXT = """Instead of the stated research goal, this plan studies an unrelated question (the nesting
habits of garden snails) and does not respect any of the goal's stated constraints."""

DEFAULT_INSTRUCTIONS = """\
You will compare two research plans written for the same research goal. The plans are
shown in a random order; you are not told which system wrote which.

For each item of the goal's grading rubric, tick the plans that satisfy it, and say
whether the item itself is a valid criterion for this goal. Then give each plan an
overall score from 1 (poor) to 10 (excellent), choose the plan you prefer, and explain
your choice briefly. Your answers are saved as you go; you can stop and come back later
through the same link.
"""


class StudyConfig(BaseModel):
    """How a study is built: who annotates, how many annotators see each goal, the texts shown."""

    model_config = ConfigDict(extra="forbid")

    title: str = "Research plan comparison"
    instructions: str = DEFAULT_INSTRUCTIONS
    annotators: int = Field(3, ge=1, le=10_000)
    # Display names; when empty, annotators are named annotator-01, annotator-02, ...
    annotator_names: list[str] = Field(default_factory=list)
    per_goal: int = Field(1, ge=1)
    # Use at most this many goals (a seeded random sample), e.g. 100 of a larger test set.
    limit: int | None = Field(None, ge=1)
    seed: int = 0
    # Where annotators reach the server; login links are printed against it.
    base_url: str = "http://127.0.0.1:8000"
    # Time stops counting after this long without any keyboard, mouse or scroll activity.
    idle_after_s: int = Field(300, ge=10)
    # Plans that name a model or lab or say they are an AI break the blinding: report them,
    # refuse to create the study, or drop those goals from it.
    blinding: Literal["report", "refuse", "drop"] = "report"
    # Attention items shown to every annotator (a plan that visibly breaks the goal); 0: none.
    attention_items: int = Field(0, ge=0, le=20)
    attention_text: str = DEFAULT_ATTENTION_TEXT
    # Offer "about the same" beside the two plans as a preference answer.
    allow_tie: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> StudyConfig:
        if self.annotator_names:
            if len(self.annotator_names) != self.annotators:
                # Names given alone decide the count; a conflicting count is a mistake.
                if "annotators" in self.model_fields_set:
                    raise ValueError(
                        f"annotators={self.annotators} but {len(self.annotator_names)} annotator_names given"
                    )
                self.annotators = len(self.annotator_names)
            if len(set(self.annotator_names)) != len(self.annotator_names):
                raise ValueError("annotator_names must be unique")
        if self.per_goal > self.annotators:
            raise ValueError(f"per_goal={self.per_goal} needs at least that many annotators (have {self.annotators})")
        self.base_url = self.base_url.rstrip("/")
        return self

    def names(self) -> list[str]:
        """The annotators' names, generated when none were given."""
        if self.annotator_names:
            return list(self.annotator_names)
        width = max(2, len(str(self.annotators)))
        return [f"annotator-{i:0{width}d}" for i in range(1, self.annotators + 1)]


class ServeConfig(BaseModel):
    """Where the study's web app listens."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Path prefix when served behind a reverse proxy (e.g. "/study").
    root_path: str = ""
    # Proxies trusted to say the original scheme and client (X-Forwarded-Proto/-For):
    # comma-separated IPs or "*". Behind an HTTPS proxy on another host, name it here so
    # the login cookie gets its Secure flag.
    forwarded_allow_ips: str = "127.0.0.1"
    # Largest request body accepted (a form is a few KB; the rationale is capped at 50,000 characters).
    max_body_bytes: int = Field(1_000_000, gt=0)
