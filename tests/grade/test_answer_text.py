"""The tolerant scan of plain-text answers: blocks in any form, verdicts read or refused."""

import pytest

from sciplan.grade.answer_text import item_blocks, read_ids, read_yes_no, tag_text

IDS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7")


def test_item_blocks_in_many_spellings_and_a_truncated_last_one():
    text = ('intro <item n="2">two</item> <ITEM 1 >one</ITEM> <item index=3>three</item>'
            " <item_4>four</item> <item>no number</item> <item n='5'>cut off")
    blocks = item_blocks(text)
    assert [(b.index, b.body.strip(), b.closed) for b in blocks] == [
        (2, "two", True), (1, "one", True), (3, "three", True), (4, "four", True), (None, "no number", True),
        (5, "cut off", False)]
    # A block left open ends where the next one starts.
    assert [b.body for b in item_blocks('<item n="1">a <item n="2">b</item>')] == ["a ", "b"]
    assert item_blocks("no blocks at all") == []


def test_tag_text_reads_closed_open_and_missing_tags():
    assert tag_text("<reason> because </reason><x>", "reason") == "because"
    assert tag_text("<Reason>cut at the end", "reason") == "cut at the end"
    assert tag_text("<reason>runs into <violations>none</violations>", "reason") == "runs into"
    assert tag_text("nothing here", "reason") is None


@pytest.mark.parametrize("text,expected", [
    ("none", []), ("None.", []), ("no violations", []), ("[]", []), ("-", []),
    ("2, 4", ["D2", "D4"]), ("D3 and d5", ["D3", "D5"]), ("(1) (1) 7", ["D1", "D7"]),
    ("all", list(IDS)), ("All seven.", list(IDS)), ("all the desiderata", list(IDS)), ("all good", None),
    ("", None), ("   ", None), (None, None), ("9", None), ("the plan is fine", None),
])
def test_read_ids(text, expected):
    assert read_ids(text, IDS) == expected


@pytest.mark.parametrize("text,expected", [
    ("yes", True), ("True", True), ("satisfied", True), ("no", False), ("not satisfied", False),
    ("false", False), ("maybe", None), ("", None), (None, None),
])
def test_read_yes_no(text, expected):
    assert read_yes_no(text) == expected
