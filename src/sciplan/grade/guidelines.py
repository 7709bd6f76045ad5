"""The general guidelines: data in `guidelines.yaml` (or another set chosen by config)."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sciplan.config import load_yaml
from sciplan.errors import SciplanError

__all__ = ["Guideline", "GuidelineSet", "SHIPPED", "load_guidelines", "default_guidelines_path"]


class Guideline(BaseModel):
    """One general guideline: a short id (e.g. "G1"), a name, and a paragraph."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
    name: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1)

    @field_validator("text")
    @classmethod
    def _one_paragraph(cls, value: str) -> str:
        return " ".join(value.split())


class GuidelineSet(BaseModel):
    """A named, versioned list of guidelines with unique ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    version: int | str = 1
    guidelines: tuple[Guideline, ...] = Field(min_length=1, max_length=26)

    @model_validator(mode="after")
    def _unique_ids(self) -> GuidelineSet:
        ids = [g.id for g in self.guidelines]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"guideline ids must be unique (repeated: {', '.join(dupes)})")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(g.id for g in self.guidelines)

    @property
    def tag(self) -> str:
        """`name@version`, recorded in every `Grade` so grades from other sets are told apart."""
        return f"{self.name}@{self.version}"

    def get(self, gid: str) -> Guideline:
        """The guideline with id `gid`; KeyError if unknown."""
        for g in self.guidelines:
            if g.id == gid:
                return g
        raise KeyError(gid)


def default_guidelines_path() -> Path:
    """The shipped `sciplan/grade/guidelines.yaml`."""
    return Path(str(resources.files("sciplan.grade").joinpath("guidelines.yaml")))


# Sets shipped with sciplan, chosen by name in a grader config.
SHIPPED = {"sciplan-default": "guidelines.yaml", "paper": "paper.yaml"}


def load_guidelines(path: str | os.PathLike[str] | None = None) -> GuidelineSet:
    """Load a guideline set from YAML, or a shipped set by name (`sciplan-default`,
    `paper`); default: `sciplan-default`. Errors name the file."""
    if path is None:
        return _load(str(default_guidelines_path()))
    if str(path) in SHIPPED:
        return _load(str(resources.files("sciplan.grade").joinpath(SHIPPED[str(path)])))
    return _load(str(Path(path).resolve()))


@lru_cache(maxsize=16)
def _load(path: str) -> GuidelineSet:
    data = load_yaml(path)
    try:
        return GuidelineSet.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()]
        raise SciplanError(f"{path}: invalid guideline set: " + "; ".join(lines)) from None
