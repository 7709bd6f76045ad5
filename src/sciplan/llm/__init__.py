"""One async interface for every model: `get_model("provider:model[@url]").generate(...)`.

    from sciplan.llm import get_model
    model = get_model("local:smollm2")            # the bundled default
    comp = await model.generate([{"role": "user", "content": "Hi"}], max_tokens=64)
    comp.text, comp.thinking, comp.usage, comp.finish_reason, comp.latency
"""

from sciplan.llm.accounting import Ledger, LedgerRow, ledger, price_for, stage
from sciplan.llm.bundled import bundled_gguf
from sciplan.llm.cache import ResponseCache
from sciplan.llm.completion import Completion, Message, ThinkingSplit, Usage, split_thinking
from sciplan.llm.errors import (
    BackendUnavailableError,
    LLMError,
    LocalServerCrashedError,
    MissingKeyError,
    RequestRejectedError,
    RetryableError,
    UnknownProviderError,
    UnreachableError,
)
from sciplan.llm.model import Model, backoff_delay, close_models, get_model
from sciplan.llm.request import Request
from sciplan.llm.spec import DEFAULT_MODEL, PROVIDERS, ModelSettings, ModelSpec, parse_spec
from sciplan.llm.structured import BoundedAnswer, Structured, extract_json, json_schema_for, parse_output

__all__ = [
    "BoundedAnswer",
    "BackendUnavailableError",
    "Completion",
    "DEFAULT_MODEL",
    "LLMError",
    "LocalServerCrashedError",
    "Ledger",
    "LedgerRow",
    "Message",
    "MissingKeyError",
    "Model",
    "ModelSettings",
    "ModelSpec",
    "PROVIDERS",
    "Request",
    "RequestRejectedError",
    "ResponseCache",
    "RetryableError",
    "Structured",
    "ThinkingSplit",
    "UnknownProviderError",
    "UnreachableError",
    "Usage",
    "backoff_delay",
    "bundled_gguf",
    "close_models",
    "extract_json",
    "get_model",
    "json_schema_for",
    "ledger",
    "parse_output",
    "parse_spec",
    "price_for",
    "split_thinking",
    "stage",
]
