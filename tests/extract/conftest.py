"""Fixtures for the extraction tests: a scripted judge, models over it, a fast config."""

from __future__ import annotations

import pytest

from helpers.extract_judge import Judge
from helpers.scripted import scripted_model
from sciplan.extract import ExtractConfig


@pytest.fixture
def judge() -> Judge:
    return Judge()


@pytest.fixture
def model_for():
    """`model_for(judge)` -> a Model whose backend is the scripted judge (own ledger, no cache)."""

    def make(judge: Judge):
        return scripted_model(respond=judge, max_retries=0)

    return make


@pytest.fixture
def fast_config() -> ExtractConfig:
    """The defaults with lexical similarity (no embedding model load) and no retries to wait on."""
    return ExtractConfig.model_validate({
        "embeddings": {"kind": "lexical"},
        "creator": {"retries": 1},
        "selector": {"retries": 0, "top_k": 3, "grader": {"retries": 0}},
        "leakage": {"retries": 0},
        "concurrency": 1,
    })
