"""Library warnings, log records and tqdm bars go to the run's log file, not the terminal."""

from __future__ import annotations

import logging
import warnings

import pytest
from tqdm.auto import tqdm
from transformers.utils import logging as tf_logging

from sciplan.logs import library_output, quiet_bars


@pytest.fixture
def quiet_root():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)


def _noise() -> None:
    warnings.warn("`is_gradient_checkpointing` is deprecated", FutureWarning, stacklevel=1)
    tf_logging.get_logger("transformers.modeling_utils").warning("a transformers warning")
    with quiet_bars():
        for _ in tqdm(range(3), desc="Converting and de-quantizing GGUF tensors..."):
            pass


def test_library_noise_goes_to_the_log_file(tmp_path, capfd, quiet_root):
    log = tmp_path / "train" / "sciplan.log"
    propagate = logging.getLogger("transformers").propagate  # whatever the libraries set it to
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with library_output(log):
            _noise()
    out, err = capfd.readouterr()
    text = log.read_text()
    assert "is_gradient_checkpointing" in text and "a transformers warning" in text and "de-quantizing" in text
    assert "is_gradient_checkpointing" not in err + out and "de-quantizing" not in err + out
    assert "a transformers warning" not in err + out
    # After the block the log file's handler is gone and the libraries print as they did.
    assert not [h for h in logging.getLogger("transformers").handlers if getattr(h, "baseFilename", None) == str(log)]
    assert logging.getLogger("transformers").propagate is propagate  # restored, not forced


def test_transformers_own_bars_are_off_inside_and_restored_after(tmp_path, quiet_root):
    # "Writing model shards" at every checkpoint is transformers' own tqdm.
    was = tf_logging.is_progress_bar_enabled()  # another library may have turned them off already
    tf_logging.enable_progress_bar()
    try:
        with library_output(tmp_path / "sciplan.log"):
            assert not tf_logging.is_progress_bar_enabled()
        assert tf_logging.is_progress_bar_enabled()
        tf_logging.disable_progress_bar()
        with library_output(tmp_path / "sciplan.log"):
            pass
        assert not tf_logging.is_progress_bar_enabled()  # left as it was found
    finally:
        (tf_logging.enable_progress_bar if was else tf_logging.disable_progress_bar)()


def test_verbose_keeps_the_noise_on_the_terminal_too(tmp_path, capfd):
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)  # what `sciplan --verbose` sets
    try:
        with library_output(tmp_path / "sciplan.log"):
            with quiet_bars():
                for _ in tqdm(range(2), desc="bars-on-terminal"):
                    pass
    finally:
        root.setLevel(level)
    assert "bars-on-terminal" in capfd.readouterr().err
