"""`hf:` — the bundled GGUF dequantised and run by transformers (a real model)."""

from sciplan.llm import ModelSettings, get_model


async def test_generates_with_transformers_and_respects_max_tokens():
    m = get_model("hf:smollm2", ModelSettings(cache=False))
    comp = await m.generate([{"role": "user", "content": "Name one planet."}], max_tokens=8)
    assert comp.text.strip()
    assert 0 < comp.usage.completion_tokens <= 8 and comp.usage.prompt_tokens > 5
    assert comp.finish_reason in ("stop", "length")


def test_loaded_gguf_model_is_plain_and_savable(tmp_path):
    # The backend's copy (loaded by the test above) came through load_hf_model.
    model, tok, _ = get_model("hf:smollm2", ModelSettings(cache=False)).backend._load()
    assert not getattr(model, "is_quantized", False)
    model.save_pretrained(tmp_path / "ckpt")  # refuses while the GGUF marker is set
    tok.save_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "config.json").exists()
