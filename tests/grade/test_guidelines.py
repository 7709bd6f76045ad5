"""The shipped guidelines are data; other sets load by path and bad ones are named."""

import pytest

from sciplan.errors import SciplanError
from sciplan.grade import GraderConfig, load_guidelines


def test_the_shipped_set_has_seven_guidelines():
    gs = load_guidelines()
    assert gs.ids == ("G1", "G2", "G3", "G4", "G5", "G6", "G7") and gs.tag == "sciplan-default@1"
    assert all(g.name and len(g.text.split()) >= 20 and "\n" not in g.text for g in gs.guidelines)
    # The failure modes of method.md §3, one each.
    names = " ".join(g.name.lower() for g in gs.guidelines)
    for word in ("specific", "flaws", "justified", "feasible", "ethical", "consistent", "constraints"):
        assert word in names


def test_another_set_is_chosen_by_path(tmp_path, scripted_grader):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nversion: 2\nguidelines:\n  - {id: A, name: Short, text: Be brief.}\n"
                    "  - {id: B, name: Bold, text: Be bold.}\n")
    gs = load_guidelines(path)
    assert gs.ids == ("A", "B") and gs.tag == "mine@2" and gs.get("B").name == "Bold"
    grader = scripted_grader([], guidelines=path)
    assert grader.guidelines.ids == ("A", "B")
    assert GraderConfig(guidelines=path).guidelines == path


@pytest.mark.parametrize("body,why", [
    ("guidelines: []", "guidelines"),
    ("guidelines:\n  - {id: A, name: x, text: y}\n  - {id: A, name: z, text: w}", "unique"),
    ("guidelines:\n  - {id: 'bad id', name: x, text: y}", "id"),
    ("guidelines:\n  - {id: A, name: x}", "text"),
])
def test_a_bad_set_is_one_clear_error_naming_the_file(tmp_path, body, why):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(SciplanError, match=why) as err:
        load_guidelines(path)
    assert str(path) in str(err.value)


def test_a_missing_set_names_the_file(tmp_path):
    with pytest.raises(SciplanError, match="nope.yaml"):
        load_guidelines(tmp_path / "nope.yaml")
