"""The replay's terminal view: changed words marked in runs, text shown literally."""

from __future__ import annotations

from llmlog.cli.replay_views import _marked
from llmlog.replay.diff import text_diff


def test_changed_words_are_marked_in_runs_on_each_side() -> None:
    diff = text_diff("the cat sat on the mat", "the big dog sat on a mat today")
    assert _marked(diff, before=True).plain == "the [-cat-] sat on [-the-] mat"
    assert _marked(diff, before=False).plain == "the {+big dog+} sat on {+a+} mat {+today+}"


def test_each_side_is_shown_literally_with_control_characters_escaped() -> None:
    diff = text_diff("[bold]x[/bold] \x1b[2J ok", "[bold]x[/bold] \u202e ok\nnext")
    assert _marked(diff, before=True).plain == "[bold]x[/bold] [-\\x1b[2J-] ok"
    assert _marked(diff, before=False).plain == "[bold]x[/bold] {+\\u202e+} ok\n{+next+}"
