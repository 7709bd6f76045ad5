"""The schema sent to the backend is bounded; the parser is strict only where it must be."""

import pytest

from sciplan.grade import variant_for, verdict_model, verdict_schema
from sciplan.llm import json_schema_for, parse_output

IDS = ("G1", "G2", "G3")


def test_the_schema_bounds_every_array_string_and_id():
    s = verdict_schema("violations", 4, IDS, 100, 80)
    verdicts = s["properties"]["verdicts"]
    assert verdicts["minItems"] == verdicts["maxItems"] == 4
    item = verdicts["items"]["properties"]
    assert item["index"]["enum"] == [1, 2, 3, 4]
    assert item["violations"]["items"]["enum"] == list(IDS) and item["violations"]["maxItems"] == 3
    assert item["excerpt"]["maxLength"] == 100 and item["reason"]["maxLength"] == 80
    assert list(item) == ["index", "excerpt", "reason", "violations"]  # reason before verdict
    assert verdict_schema("likert", 4, IDS, 100, 80)["properties"]["score"]["enum"] == list(range(1, 11))


def test_the_model_reports_the_bounded_schema():
    model = verdict_model("violations", 4, IDS, 100, 80)
    assert json_schema_for(model) == verdict_schema("violations", 4, IDS, 100, 80)
    assert verdict_model("violations", 4, IDS, 100, 80) is model  # one class per shape


def test_parsing_rejects_unknown_ids_and_accepts_fixable_answers():
    model = verdict_model("violations", 2, IDS, 100, 80)
    with pytest.raises(ValueError, match="G1"):
        parse_output('{"verdicts": [{"index": 1, "violations": ["G4"]}]}', model)
    with pytest.raises(ValueError, match="no verdict"):
        parse_output('{"verdicts": [{"index": 5}]}', model)
    ok = parse_output('[{"index": 2, "excerpt": "' + "x" * 300 + '", "violations": ["G1", "G1"]}, {"index": 2}]', model)
    assert len(ok.verdicts) == 2 and len(ok.verdicts[0].excerpt) == 300  # cut later, by the grader


@pytest.mark.parametrize("variant,view,strategy", [
    ("violations", "both", "violations"), ("violations", "rubric", "binary"), ("paper", "both", "paper"),
    ("paper", "guidelines", "binary"), ("violations", "guidelines", "binary"), ("binary", "both", "binary"),
    ("likert", "rubric", "likert"),
])
def test_variant_for_a_view(variant, view, strategy):
    assert variant_for(variant, view).name == strategy


def test_the_paper_schema_asks_for_weaknesses_before_the_verdicts():
    s = verdict_schema("violations", 2, IDS, 100, 80, weakness_chars=500)
    assert list(s["properties"]) == ["weaknesses", "verdicts"] and s["required"] == ["weaknesses", "verdicts"]
    assert s["properties"]["weaknesses"]["maxLength"] == 500


def test_raw_newlines_inside_strings_are_accepted():
    # llama.cpp's grammar lets the bundled model put a raw newline in a string.
    model = verdict_model("violations", 1, IDS, 100, 80)
    ok = parse_output('{"verdicts": [{"index": 1, "excerpt": "line one\nline two", "violations": []}]}', model)
    assert ok.verdicts[0].excerpt == "line one\nline two"
