from sciplan.llm import Usage, split_thinking


def test_full_think_block():
    s = split_thinking("<think>\nreason here\n</think>\n\nThe plan.")
    assert s.thinking == "reason here" and s.answer == "The plan." and not s.unterminated


def test_only_closing_tag_means_template_opened_thinking():
    s = split_thinking("reasoning without opener</think>Answer")
    assert s.thinking == "reasoning without opener" and s.answer == "Answer"


def test_unterminated_thinking_has_no_answer():
    s = split_thinking("<think>I keep thinking and get cut off")
    assert s.unterminated and s.answer == "" and s.thinking.startswith("I keep")


def test_no_thinking():
    s = split_thinking("  Just a plan. ")
    assert s.thinking is None and s.answer == "Just a plan."


def test_reasoning_field_wins_and_stray_block_is_stripped():
    s = split_thinking("<think>inner</think>Plan", reasoning="outer")
    assert s.answer == "Plan" and s.thinking == "outer\ninner"
    s2 = split_thinking("Plan", reasoning="  r ")
    assert s2.thinking == "r" and s2.answer == "Plan"


def test_close_before_open_is_not_a_block():
    s = split_thinking("a </think> b <think> c")
    assert s.answer == "b <think> c" and s.thinking == "a"


def test_usage_addition_keeps_unknown_cached_as_none():
    a = Usage(prompt_tokens=3, completion_tokens=4)
    assert (a + a).cached_prompt_tokens is None and (a + a).total_tokens == 14
    b = Usage(prompt_tokens=1, completion_tokens=1, cached_prompt_tokens=5)
    assert (a + b).cached_prompt_tokens == 5
