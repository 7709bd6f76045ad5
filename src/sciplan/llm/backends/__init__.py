"""Backends: one class per provider, each turning a `Request` into a `Completion`."""

from sciplan.llm.backends.base import Backend

__all__ = ["Backend"]
