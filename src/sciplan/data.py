"""Data files shipped inside the package (demo goals)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sciplan.jsonl import read_records
from sciplan.records import Goal

__all__ = ["data_path", "demo_goals"]


def data_path(name: str) -> Path:
    """Path of a file shipped under `sciplan/data/`."""
    return Path(str(resources.files("sciplan").joinpath("data", name)))


def demo_goals() -> list[Goal]:
    """The goals shipped for the demo and the tests (written for the project)."""
    return read_records(data_path("demo_goals.jsonl"), Goal)
