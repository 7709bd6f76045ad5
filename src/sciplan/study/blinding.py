"""Blinding checks: plans that name a model or a lab, or say they were written by an AI.

Such a plan tells the annotator which system wrote it, which breaks the study's
blinding (Chatbot Arena/FastChat drop the votes on such answers). `blinding_flags`
finds them before a study is created; `StudyConfig.blinding` says what happens then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BlindingFlag", "blinding_flags", "check_pairs"]

# Model families and labs as they appear in text; word-bounded, case-insensitive. Names that
# are also ordinary words in science (llama, gemini, mistral, claude, phi) need a version or
# size beside them, so a plan about llama antibodies or Claude Shannon is not flagged.
_MODELS = (
    r"chat-?gpt|gpt-?[345](?:\.\d)?(?:o|-turbo|-mini)?|o[13]-(?:mini|preview)"
    r"|claude[- ]?(?:[1-4](?:\.\d)?|opus|sonnet|haiku|instant)|i am claude|i'm claude"
    r"|gemini[- ]?(?:pro|ultra|flash|nano|[12](?:\.\d)?)|google bard|llama[- ]?[1-4](?:\.\d)?|code ?llama"
    r"|mistral[- ]?(?:7b|large|medium|small|nemo)|mixtral|qwen\d*(?:\.\d)?|deepseek(?:[- ]?(?:v\d|r1|coder))?"
    r"|smollm\d*|phi-[234]|gemma[- ]?\d*b?|grok[- ]?\d?|command[- ]r\+?|olmo"
)
_LABS = r"openai|anthropic|google deepmind|deepmind|meta ai|mistral ai|hugging ?face|alibaba cloud|xai|allen ai|ai2"
_SELF = (
    r"as an ai\b|i am an ai\b|i'm an ai\b|as an? (?:large )?language model|i am an? (?:large )?language model"
    r"|i'm an? (?:large )?language model|as an ai (?:assistant|model)|i am an ai assistant|i'm an ai assistant"
    r"|i (?:am|was) (?:created|trained|developed) by"
)
_PATTERNS = {
    "model": re.compile(rf"\b(?:{_MODELS})\b", re.IGNORECASE),
    "lab": re.compile(rf"\b(?:{_LABS})\b", re.IGNORECASE),
    "ai": re.compile(rf"(?:{_SELF})", re.IGNORECASE),
}


@dataclass(frozen=True)
class BlindingFlag:
    """One finding in one plan: what kind (model, lab, ai), the words, and where it is."""

    plan_id: str
    kind: str
    text: str
    offset: int

    def describe(self) -> str:
        """One line for a report."""
        what = {"model": "names a model", "lab": "names a lab", "ai": "says it is an AI"}[self.kind]
        return f"plan {self.plan_id} {what} ({self.text!r} at character {self.offset})"


def blinding_flags(plan_id: str, text: str) -> list[BlindingFlag]:
    """Every place in `text` that names a model or lab or says it is an AI (first of each kind and wording)."""
    out: list[BlindingFlag] = []
    seen: set[tuple[str, str]] = set()
    for kind, pattern in _PATTERNS.items():
        for m in pattern.finditer(text):
            key = (kind, m.group(0).casefold())
            if key not in seen:
                seen.add(key)
                out.append(BlindingFlag(plan_id, kind, m.group(0), m.start()))
    return sorted(out, key=lambda f: f.offset)


def check_pairs(pairs: list[tuple]) -> dict[str, list[BlindingFlag]]:
    """Flags per goal id for (goal, plan a, plan b) pairs; goals with clean plans are left out."""
    out: dict[str, list[BlindingFlag]] = {}
    for goal, plan_a, plan_b in pairs:
        flags = blinding_flags(plan_a.id, plan_a.text) + blinding_flags(plan_b.id, plan_b.text)
        if flags:
            out[goal.id] = flags
    return out
