"""Rule metadata is data: every rule says what it forbids, why it matters, how to fix it and where its judgement
comes from; ``linking check --explain`` prints it (``docs/rules.md`` is generated from it: tests/test_docs.py)."""

from __future__ import annotations

import re

import pytest

from linking.cli import main
from linking.lint import RULES

from ..conftest import REPO


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_says_why_how_to_fix_and_its_source(rule_id):
    rule = RULES[rule_id]
    assert rule.id == rule_id and rule.severity in ("error", "warning")
    assert all(len(text.split()) >= 3 for text in (rule.title, rule.why, rule.fix)), rule
    source = rule.source
    if source.startswith("https://"):
        assert re.fullmatch(r"https://[a-z0-9.-]+\.[a-z]{2,}/\S*", source), source
    else:  # linking's own data or documentation: a file of this repository, with what it names
        assert (REPO / source.split(" ")[0].split("#")[0]).is_file(), source


def test_explain_prints_one_rule_in_any_case(capsys):
    assert main(["check", "--explain", "k8s005"]) == 0
    out = capsys.readouterr().out
    rule = RULES["K8S005"]
    assert out.startswith("K8S005 (error): ") and rule.why in out and rule.fix in out and rule.source in out


def test_explain_an_unknown_rule_is_one_line_naming_the_rules(capsys):
    assert main(["check", "--explain", "AWS999"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AWS999" in err and "AWS006" in err


def test_check_without_a_path_or_a_rule_says_what_it_needs(capsys):
    assert main(["check"]) == 2
    assert "a PATH to check, or --explain RULE" in capsys.readouterr().err
