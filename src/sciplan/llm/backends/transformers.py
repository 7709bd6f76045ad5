"""`hf:` — a local transformers causal LM (a folder, or a GGUF file dequantised)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from sciplan.llm.backends.base import Backend
from sciplan.llm.bundled import BUNDLED_ALIASES, bundled_gguf
from sciplan.llm.completion import Completion, Usage
from sciplan.llm.errors import BackendUnavailableError
from sciplan.llm.request import Request

__all__ = ["TransformersBackend", "load_hf_model"]

_LOADED: dict[str, tuple[Any, Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


def load_hf_model(name: str) -> tuple[Any, Any]:
    """Load (model, tokenizer) from a folder, a `.gguf` file, or the bundled alias.

    A GGUF file is dequantised to fp32 by transformers; the quantizer marker is
    cleared so the model can be fine-tuned and saved like any other.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name.lower() in BUNDLED_ALIASES:
        path = bundled_gguf()
    else:
        path = Path(name).expanduser()
        if not path.exists():
            raise BackendUnavailableError(f"transformers model {name!r} not found: give a model folder or a .gguf file")
    if path.is_file() and path.suffix == ".gguf":
        tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
        clear_gguf_marker(model)
    else:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok


def clear_gguf_marker(model: Any) -> None:
    """Forget that weights came from GGUF: they are plain fp32 now, and savable."""
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            try:
                setattr(model, attr, None)
            except AttributeError:
                pass
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass
    cfg = getattr(model, "config", None)
    if cfg is not None and hasattr(cfg, "quantization_config"):
        try:
            delattr(cfg, "quantization_config")
        except AttributeError:
            cfg.quantization_config = None


class TransformersBackend(Backend):
    """Runs `model.generate` in a worker thread, one call at a time."""

    in_process = True
    default_structured = "prompt"

    def _load(self) -> tuple[Any, Any, threading.Lock]:
        with _LOAD_LOCK:
            if self.spec.name not in _LOADED:
                model, tok = load_hf_model(self.spec.name)
                model.eval()
                _LOADED[self.spec.name] = (model, tok, threading.Lock())
            return _LOADED[self.spec.name]

    def check_ready(self) -> None:
        if self.spec.name.lower() in BUNDLED_ALIASES:
            bundled_gguf()
        elif not Path(self.spec.name).expanduser().exists():
            raise BackendUnavailableError(f"transformers model {self.spec.name!r} not found")

    def _complete_sync(self, req: Request) -> Completion:
        import torch

        model, tok, lock = self._load()
        ids = tok.apply_chat_template(list(req.messages), add_generation_prompt=True, return_tensors="pt", return_dict=True)
        input_ids = ids["input_ids"]
        gen: dict[str, Any] = {"max_new_tokens": req.max_tokens, "pad_token_id": tok.pad_token_id}
        if req.temperature > 0:
            gen.update(do_sample=True, temperature=req.temperature, top_p=req.top_p or 1.0, top_k=0)
        else:
            gen.update(do_sample=False)
        with lock, torch.no_grad():
            if req.seed is not None:
                torch.manual_seed(req.seed)
            out = model.generate(**ids, **gen)
        new = out[0, input_ids.shape[1] :]
        text = tok.decode(new, skip_special_tokens=True)
        if req.stop:
            cut = min((text.find(s) for s in req.stop if s in text), default=-1)
            text = text[:cut] if cut >= 0 else text
        ended = len(new) > 0 and int(new[-1]) == tok.eos_token_id
        finish = "stop" if ended or len(new) < req.max_tokens else "length"
        return Completion(
            text=text,
            usage=Usage(prompt_tokens=int(input_ids.shape[1]), completion_tokens=int(len(new))),
            finish_reason=finish,
            model=str(self.spec),
        )

    async def complete(self, request: Request) -> Completion:
        return await asyncio.to_thread(self._complete_sync, request)
