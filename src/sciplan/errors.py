"""The one error type users see: a clear message naming the input, never a traceback."""

from __future__ import annotations

__all__ = ["SciplanError"]


class SciplanError(Exception):
    """An error caused by input or environment that the CLI reports in one clear line.

    Raise it (or a subclass) with a message that names the input at fault: the file,
    the URL, the model string, the environment variable.
    """
