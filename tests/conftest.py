"""Fixtures shared by every test: an isolated cache, the bundled model, a real llama.cpp server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.net import free_port, wait_http

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
def llama_server(bundled_gguf_path, tmp_path_factory):
    """A real `python -m llama_cpp.server` on 127.0.0.1 with prefix caching; yields its /v1 URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    fh = open(log, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf_path), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--cache", "true", "--n_threads", "2"],
        stdout=fh, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", timeout=90, proc=proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        fh.close()
