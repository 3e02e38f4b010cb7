"""What a pull request writes cannot act on the reviewer's terminal or make a comment read otherwise."""

from __future__ import annotations

import pytest

from linking.cli import main
from linking.display import visible

from .builders import write_project

HIDDEN = ["\x1b[2J", "\x1b]8;;https://evil.example\x07", "\r", "\x00", "\x7f", "\x9b", "\u202e", "\u2066", "\u200b",
          "\u200d", "\ufeff", "\u2028", "\u061c", "\u00ad"]


@pytest.mark.parametrize("character", HIDDEN)
def test_control_and_format_characters_are_written_out(character):
    shown = visible(f"acme{character}prod")
    assert character not in shown and shown.startswith("acme\\u{") and shown.endswith("prod")


def test_line_breaks_tabs_and_letters_stay():
    text = "Stack é\tünïcode 名前\n  + aws:iam/role:Role  acme\n"
    assert visible(text) == text


def test_a_hostile_file_name_reaches_no_terminal_raw(tmp_path, capsys):
    write_project(tmp_path, "platform")
    name = "Pulumi.x\x1b[2J\u202egnp.yaml"
    (tmp_path / name).write_text("config:\n  linking:link: {id: 1}\n")
    assert main(["plan", str(tmp_path / name)]) == 1
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\u202e" not in out + err
    assert "\\u{001b}[2J\\u{202e}gnp.yaml" in err


def test_a_comment_carries_no_bidi_override(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text('{"kind":"linking-plan","schemaVersion":2,"secretPlaceholder":"[secret]","stacks":[]}')
    assert main(["diff", str(plan), str(tmp_path / "missing\u202e.json"), "--format", "markdown"]) == 2
    assert "\u202e" not in capsys.readouterr().err
