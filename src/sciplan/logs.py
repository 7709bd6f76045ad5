"""What reaches the terminal: sciplan's progress and summaries, not third-party noise.

Libraries (transformers, TRL, peft, accelerate, torch) warn about deprecations (transformers'
`is_gradient_checkpointing` FutureWarning on every step) and draw their own tqdm bars (the
GGUF dequantisation). Inside `library_output(log_file)` their warnings and log records go to
the run's log file instead, and `quiet_bars()` sends the bars of one loading step there too.
With `sciplan --verbose` (the root logger at DEBUG) everything stays on the terminal as well.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["LIBRARIES", "library_output", "quiet_bars", "verbose"]

# Loggers of the libraries whose records go to the log file.
LIBRARIES = ("transformers", "trl", "peft", "accelerate", "datasets", "torch", "py.warnings")

_log_stream: list[TextIO] = []


def verbose() -> bool:
    """True under `sciplan --verbose` (the root logger logs debug records)."""
    return logging.getLogger().isEnabledFor(logging.DEBUG)


@contextlib.contextmanager
def library_output(log_file: Path) -> Iterator[Path]:
    """Send library warnings and log records to `log_file` (appended) for the block."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loud = verbose()
    saved = {}
    logging.captureWarnings(True)
    for name in LIBRARIES:
        logger = logging.getLogger(name)
        saved[name] = logger.propagate
        logger.addHandler(handler)
        logger.propagate = loud
    # transformers prints through its own stderr handler unless told to propagate instead.
    tf_logging = sys.modules.get("transformers.utils.logging")
    bars = tf_logging is not None and tf_logging.is_progress_bar_enabled()
    if tf_logging is not None:
        tf_logging.disable_default_handler()
        if not loud:  # its own bars too ("Writing model shards" at every checkpoint)
            tf_logging.disable_progress_bar()
    stream = handler.stream
    assert stream is not None  # FileHandler opens its file at once (delay=False)
    _log_stream.append(stream)
    try:
        yield log_file
    finally:
        _log_stream.remove(stream)
        if tf_logging is not None:
            tf_logging.enable_default_handler()
            if bars:
                tf_logging.enable_progress_bar()
        for name in LIBRARIES:
            logger = logging.getLogger(name)
            logger.removeHandler(handler)
            logger.propagate = saved[name]
        logging.captureWarnings(False)
        handler.close()


@contextlib.contextmanager
def quiet_bars() -> Iterator[None]:
    """Inside `library_output` and without --verbose, what libraries write to stderr (tqdm bars) goes to the log."""
    if not _log_stream or verbose():
        yield
        return
    with contextlib.redirect_stderr(_log_stream[-1]):
        yield
