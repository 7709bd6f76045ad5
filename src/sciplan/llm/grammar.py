"""JSON schemas made safe for llama.cpp's grammar sampler, before the call.

llama.cpp turns a schema into a grammar. Bounds that no value can meet (minLength above
maxLength) made its sampler hang while holding the server's only slot, and long length
bounds (a 3,000-character reference) expand into grammars that are refused ("exceeds
sane defaults") or sample very slowly. So an impossible schema is refused here with a
message naming the field, and long string bounds are relaxed: the answer is still
validated, and cut or repaired, by the pydantic model that asked for it.
"""

from __future__ import annotations

from typing import Any

from sciplan.llm.errors import RequestRejectedError

__all__ = ["GRAMMAR_MAX_CHARS", "grammar_safe_schema"]

# Longest string bound handed to the grammar; longer ones are enforced after decoding.
GRAMMAR_MAX_CHARS = 256

_PAIRS = (("minLength", "maxLength"), ("minItems", "maxItems"), ("minimum", "maximum"), ("minProperties", "maxProperties"))


def grammar_safe_schema(schema: dict[str, Any], max_chars: int = GRAMMAR_MAX_CHARS) -> dict[str, Any]:
    """A copy of `schema` the grammar sampler accepts; raises for bounds no value can meet."""
    return _walk(schema, "$", max_chars)


def _walk(node: Any, path: str, max_chars: int) -> Any:
    if isinstance(node, list):
        return [_walk(v, f"{path}[{i}]", max_chars) for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    for low, high in _PAIRS:
        lo, hi = node.get(low), node.get(high)
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
            raise RequestRejectedError(f"JSON schema at {path}: {low}={lo} exceeds {high}={hi}, so no answer can match it")
    out = {k: _walk(v, f"{path}.{k}", max_chars) for k, v in node.items()}
    if out.get("type") == "string":
        if isinstance(out.get("maxLength"), int) and out["maxLength"] > max_chars:
            del out["maxLength"]
        if isinstance(out.get("minLength"), int) and out["minLength"] > max_chars:
            out["minLength"] = max_chars
    return out
