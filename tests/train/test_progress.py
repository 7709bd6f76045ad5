"""The TRL adapter of the progress layer, driven by transformers' own callback handler."""

from __future__ import annotations

import io

from rich.console import Console
from transformers import TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_callback import CallbackHandler

from sciplan.progress import RichProgress
from sciplan.train.progress import ProgressCallback


def _handler(callback: ProgressCallback) -> CallbackHandler:
    return CallbackHandler([callback], model=None, processing_class=None, optimizer=None, lr_scheduler=None)


def test_steps_and_logged_rewards_reach_the_given_progress(tmp_path):
    buf = io.StringIO()
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    state, control = TrainerState(max_steps=4, global_step=1), TrainerControl()  # resumed at step 1
    with RichProgress(Console(file=buf, force_terminal=True, width=120), transient=False) as bars:
        handler = _handler(ProgressCallback(title="training", progress=bars))
        handler.on_train_begin(args, state, control)
        for step in (2, 3):
            state.global_step = step
            handler.on_step_end(args, state, control)
        handler.on_log(args, state, control, logs={"loss": 0.1, "reward": 0.4567, "step_time": 12.0})
        handler.on_log(args, state, control, logs={"eval": 1.0})  # no loss: not a training step
        handler.on_train_end(args, state, control)
        (task,) = bars.bars.tasks
    assert (task.description, task.completed, task.total) == ("training", 3, 4)
    out = buf.getvalue()
    assert "step 3  reward 0.457  s/step 12" in out and "eval" not in out


def test_without_a_progress_it_draws_its_own_bar(tmp_path):
    buf = io.StringIO()
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    state, control = TrainerState(max_steps=2, global_step=0), TrainerControl()
    cb = ProgressCallback(Console(file=buf, force_terminal=True, width=120), title="SFT")
    handler = _handler(cb)
    handler.on_train_begin(args, state, control)
    state.global_step = 2
    handler.on_step_end(args, state, control)
    handler.on_train_end(args, state, control)
    assert "SFT" in buf.getvalue() and "2/2" in buf.getvalue() and cb.progress is None
