"""Fixtures shared by every test: an isolated cache, the bundled model, a real llama.cpp server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep the response cache and runs of the tests out of the user's home."""
    root = tmp_path_factory.mktemp("sciplan-home")
    os.environ["SCIPLAN_CACHE"] = str(root / "llm-cache.sqlite")
    os.environ["SCIPLAN_RUNS"] = str(root / "runs")
    yield


@pytest.fixture(scope="session")
def bundled_gguf_path() -> Path:
    from sciplan.llm import bundled_gguf

    return bundled_gguf()


@pytest.fixture(scope="session")
def llama_server(bundled_gguf_path):
    """A real llama.cpp server (`python -m sciplan.llm.server`) on 127.0.0.1; yields its /v1 URL."""
    from sciplan.llm.server import LocalServer, ServerOptions

    server = LocalServer(ServerOptions(model=bundled_gguf_path, n_ctx=4096, threads=2))
    try:
        yield server.ensure_started()
    finally:
        server.stop()
