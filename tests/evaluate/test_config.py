"""`EvalConfig` from YAML and options: comma lists, canonical model strings, checks that name the input."""

from __future__ import annotations

import pytest

from sciplan.errors import SciplanError
from sciplan.evaluate import EvalConfig, load_eval_config


def test_defaults_are_the_bundled_model_judging_itself():
    cfg = EvalConfig()
    assert cfg.models == ["local:smollm2"] and cfg.jury == ["local:smollm2"] and cfg.baseline == "local:smollm2"
    assert cfg.samples == 1 and cfg.grader.variant == "violations" and cfg.stats.level == 0.95


def test_yaml_with_options_on_top_and_paths_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "eval.yaml"
    path.write_text(
        "models: [local:smollm2, 'OPENAI:qwen@http://127.0.0.1:8000/v1/']\n"
        "jury: local:smollm2, anthropic:claude-sonnet-4-5\n"
        "samples: 2\nplan: {max_tokens: 64}\ngrader: {max_tokens: 256, guidelines: g.yaml}\n"
        "stats: {bootstrap: 500, seed: 3}\nhuman_labels: labels.csv\n"
    )
    cfg = load_eval_config(path, baseline="openai:qwen@http://127.0.0.1:8000/v1", samples=None)
    # Spellings are canonical (provider lower case, no trailing slash), as plans and grades record them.
    assert cfg.models == ["local:smollm2", "openai:qwen@http://127.0.0.1:8000/v1"]
    assert cfg.baseline == cfg.models[1]
    assert cfg.jury == ["local:smollm2", "anthropic:claude-sonnet-4-5"]
    assert (cfg.samples, cfg.plan.max_tokens, cfg.grader.max_tokens, cfg.stats.bootstrap) == (2, 64, 256, 500)
    assert cfg.human_labels == (tmp_path / "sub" / "labels.csv").resolve()
    assert cfg.grader.guidelines == (tmp_path / "sub" / "g.yaml").resolve()


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"models": "local:smollm2", "baseline": "local:other"}, "baseline 'local:other' is not one of the models"),
        ({"models": "smollm2"}, "model 'smollm2' has no provider"),
        ({"jury": "local:a,local:a"}, "jury lists local:a more than once"),
        ({"samples": 0}, "samples"),
    ],
)
def test_bad_settings_give_one_clear_error(overrides, message):
    with pytest.raises(SciplanError, match="invalid evaluation settings") as info:
        load_eval_config(**overrides)
    assert message in str(info.value)


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "eval.yaml"
    path.write_text("models: [local:smollm2]\nbogus: 1\n")
    with pytest.raises(SciplanError, match=f"{path}: invalid EvalConfig: bogus"):
        load_eval_config(path)
