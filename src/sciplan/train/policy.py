"""The policy: load any HF causal LM (or the bundled GGUF), wrap it for LoRA, save it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.llm.bundled import BUNDLED_ALIASES
from sciplan.logs import quiet_bars
from sciplan.train.config import LoraSettings, PolicySettings

__all__ = ["load_policy", "lora_config", "save_policy", "save_trained", "frozen_grader_spec", "initial_policy_spec",
           "is_adapter_dir"]

# Written next to saved policies so a folder says which model it started from.
ORIGIN_FILE = "sciplan_policy.json"


def is_adapter_dir(path: str | Path) -> bool:
    """True for a folder holding a peft adapter (a LoRA checkpoint) rather than a full model."""
    p = Path(path)
    return p.is_dir() and (p / "adapter_config.json").is_file() and not (p / "config.json").is_file()


def _torch_dtype(name: str) -> Any:
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def load_policy(settings: PolicySettings) -> tuple[Any, Any]:
    """(model, tokenizer) for a policy spec: bundled alias, `.gguf`, HF folder, hub id, or adapter folder.

    An adapter folder (a LoRA checkpoint) is loaded onto the base model recorded in it,
    so training can continue from it.
    """
    from sciplan.llm.backends.transformers import load_hf_model

    name = settings.model
    path = Path(name).expanduser()
    if is_adapter_dir(path):
        return _load_adapter(path, settings)
    try:
        with quiet_bars():  # the GGUF dequantisation bar goes to the run's log
            if name.lower() in BUNDLED_ALIASES or path.exists():
                model, tok = load_hf_model(name)
            else:
                model, tok = _load_hub(name)
    except SciplanError:
        raise
    except Exception as exc:  # a broken folder, a missing hub id: name the input
        raise SciplanError(f"policy {name!r} could not be loaded: {exc}") from exc
    if settings.dtype != "float32":
        model = model.to(_torch_dtype(settings.dtype))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if name.lower() in BUNDLED_ALIASES or name.endswith(".gguf"):
        # peft records `name_or_path` as an adapter's base: make it a name load_policy resolves
        # (transformers sets the GGUF's folder, which holds no loadable model).
        model.config._name_or_path = name
        model.name_or_path = name
    return model, tok


def _load_hub(name: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name)
    return model, tok


def _load_adapter(path: Path, settings: PolicySettings) -> tuple[Any, Any]:
    from peft import PeftModel

    origin = path / ORIGIN_FILE
    base = json.loads(origin.read_text())["base"] if origin.is_file() else None
    if base is None:
        base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if not base:
        raise SciplanError(f"adapter folder {path} names no base model (no {ORIGIN_FILE} or base_model_name_or_path)")
    model, tok = load_policy(settings.model_copy(update={"model": base}))
    model = PeftModel.from_pretrained(model, str(path), is_trainable=True)
    return model, tok


def lora_config(settings: LoraSettings) -> Any:
    """The peft `LoraConfig` for a causal LM."""
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )


def save_trained(trainer: Any, model: Any, tokenizer: Any, out: Path, *, base: str, merged: bool = True) -> Path:
    """Save a policy being trained by a TRL/transformers `trainer` (GRPO or SFT) to `out`."""
    if trainer.is_deepspeed_enabled:
        # ZeRO-3 shards the weights: let the trainer gather them.
        trainer.save_model(str(out))
        return out
    if not trainer.accelerator.is_main_process:
        return out
    return save_policy(trainer.accelerator.unwrap_model(model), tokenizer, out, base=base, merged=merged)


def save_policy(model: Any, tokenizer: Any, out: Path, *, base: str, merged: bool = True) -> Path:
    """Save a policy to `out`: a full model (LoRA merged in) when `merged`, else as it is.

    A merged folder is a plain HF model: `hf:OUT` in sciplan.llm, `load_hf_model`, and
    vLLM all load it. Merging works on a copy, so training can go on with the adapter.
    """
    import copy

    out.mkdir(parents=True, exist_ok=True)
    target = model
    if merged and hasattr(model, "merge_and_unload"):
        target = copy.deepcopy(model).merge_and_unload()
    target.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / ORIGIN_FILE).write_text(json.dumps({"base": base, "merged": bool(merged)}) + "\n")
    return out


def initial_policy_spec(policy_model: str) -> str:
    """The model string of the initial policy, for evaluation or as a frozen grader.

    The bundled model and `.gguf` files run on llama.cpp in-process (fast on CPU);
    other policies load through transformers. At scale, serve the initial checkpoint on
    vLLM and give its `openai:NAME@URL` string instead.
    """
    if policy_model.lower() in BUNDLED_ALIASES:
        return f"local:{policy_model.lower()}"
    if policy_model.endswith(".gguf"):
        return f"local:{policy_model}"
    path = Path(policy_model).expanduser()
    if is_adapter_dir(path):
        raise SciplanError(
            f"grader 'policy' is ambiguous for the adapter folder {policy_model}: give the grader's model string"
        )
    return f"hf:{policy_model}"


def frozen_grader_spec(grader_model: str, policy_model: str) -> str:
    """The grader's model string; "policy" means a frozen copy of the initial policy."""
    return grader_model if grader_model != "policy" else initial_policy_spec(policy_model)
