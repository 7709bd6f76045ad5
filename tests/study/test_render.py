"""Model text renders as sanitised Markdown: structure kept, anything active removed."""

from __future__ import annotations

from sciplan.study.render import render_markdown


def test_markdown_structure_is_kept():
    html = str(render_markdown("## Aim\n\n1. **bold** step\n2. `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h2>Aim</h2>" in html and "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html


def test_scripts_handlers_and_javascript_links_become_text_or_vanish():
    html = str(
        render_markdown("<script>alert(1)</script> <b onclick=x()>hi</b> [a](javascript:alert(1)) ![i](http://x/y.png)")
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<b " not in html and 'href="javascript' not in html and "<img" not in html


def test_safe_links_keep_an_href_with_a_safe_rel():
    html = str(render_markdown("[paper](https://arxiv.org/abs/2512.23707)"))
    assert 'href="https://arxiv.org/abs/2512.23707"' in html and "noopener" in html
