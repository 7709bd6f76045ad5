import pytest
from pydantic import BaseModel

from sciplan.llm import extract_json, parse_output


class Verdict(BaseModel):
    index: int
    ok: bool


class Items(BaseModel):
    items: list[Verdict]


@pytest.mark.parametrize(
    "text",
    [
        '{"index": 1, "ok": true}',
        'Sure! Here it is:\n```json\n{"index": 1, "ok": true}\n```\nAnything else?',
        'The verdict is {"index": 1, "ok": true} as requested.',
        'noise { not json } then {"index": 1, "ok": true}',
    ],
)
def test_extract_json_finds_the_object(text):
    assert parse_output(text, Verdict) == Verdict(index=1, ok=True)


def test_bare_list_is_wrapped_for_single_field_models():
    out = parse_output('[{"index": 0, "ok": false}]', Items)
    assert out.items == [Verdict(index=0, ok=False)]


@pytest.mark.parametrize("text,why", [("", "empty"), ("no json at all", "no JSON"), ('{"index": "x"}', "does not match")])
def test_failures_say_why(text, why):
    with pytest.raises(ValueError, match=why):
        parse_output(text, Verdict)


def test_extract_json_returns_scalars_only_when_whole_text():
    assert extract_json("42") == 42
    with pytest.raises(ValueError):
        extract_json("the answer is 42")
