"""The replay's terminal view: changed words marked in runs, text shown literally."""

from __future__ import annotations

from llmlog.cli.replay_views import _marked, literal
from llmlog.replay.diff import text_diff


def test_changed_words_are_marked_in_runs_on_each_side() -> None:
    diff = text_diff("the cat sat on the mat", "the big dog sat on a mat today")
    assert _marked(diff, before=True).plain == "the [-cat-] sat on [-the-] mat"
    assert _marked(diff, before=False).plain == "the {+big dog+} sat on {+a+} mat {+today+}"


def test_control_and_bidi_characters_are_escaped_newlines_and_tabs_kept() -> None:
    assert literal("a\x1b[2J\x00b\u202ec\n\td") == "a\\x1b[2J\\x00b\\u202ec\n\td"
    assert literal("[bold]plain[/bold] é") == "[bold]plain[/bold] é"
