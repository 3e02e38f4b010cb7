"""A review people read (issue: ten changes across a fleet): risky first with the tier change in the headline,
plain words, a comment that fits GitHub's limit whatever the fleet, rendered by GitHub's own parser."""

from __future__ import annotations

import copy
import json
import re

import pytest

from linking.cli import main
from linking.review.diff import diff_plans, load_plan
from linking.review.report import COMMENT_BUDGET, format_markdown, headline, ordered

from . import fleet

cmarkgfm = pytest.importorskip("cmarkgfm")
from cmarkgfm.cmark import Options  # noqa: E402


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet")
    base, head = fleet.stacks()
    for name, configs in (("base", base), ("head", head)):
        assert main(["plan", "--quiet", str(fleet.write(root / name, configs)), "--json", str(root / f"{name}.json")]) == 0
    return root / "base.json", root / "head.json"


@pytest.fixture(scope="module")
def diff(plans):
    return diff_plans(load_plan(plans[0]), load_plan(plans[1]))


def _html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def test_readonly_to_admin_is_first_and_labelled_a_raised_tier(diff):
    first = ordered(diff)[0]
    assert first["key"].endswith("link:acme-analytics")
    assert headline(first).startswith("tier raised: readonly → admin")
    comment = format_markdown(diff)
    assert comment.index("tier raised: readonly → admin") < comment.index("acme-billing")


def test_every_change_has_the_headline_a_reviewer_needs(diff):
    by_id = {link["id"]: headline(link) for link in diff["links"]}
    assert by_id["acme-prod"] == "expiry extended: 2027-06-30T00:00:00Z → 2028-06-30T00:00:00Z"
    assert by_id["acme-billing"].startswith("new trust: arn:aws:iam::999988887777:role/partner may sts:AssumeRole")
    assert by_id["acme-new"] == "new link" and by_id["acme-old"].startswith("link removed")
    assert by_id["acme-prod-k8s"] == "revoked (enabled: false)"
    assert by_id["acme-prod-az"] == "scope: resource-groups → subscription"
    assert "new trust: holder of the key (key)" in by_id["acme-data-gcp"]


def test_the_comment_fits_with_every_risky_headline(diff):
    comment = format_markdown(diff)
    assert len(comment) < COMMENT_BUDGET
    for link in diff["links"]:
        if link["risks"]:
            assert headline(link).replace("|", "\\\\|") in comment or headline(link) in comment


def test_risks_are_words_not_json_and_values_are_spelled_as_in_yaml(diff):
    comment = format_markdown(diff, budget=None)
    assert not re.search(r'\{"|True|False|None\b', comment)


def test_github_renders_the_tables_and_escapes_nothing_wrongly(diff):
    comment = format_markdown(diff)
    html = _html(comment)
    tables = comment.count("| link |") + comment.count("| links |")
    assert html.count("<table>") == tables >= 2
    text = re.sub(r"<[^>]+>", "", html)
    assert "\\|" not in text and "\\*" not in text and "&amp;lt;" not in html
    assert html.count("<details>") == comment.count("<details>") and "<summary>" in html


def _fleet_of(diff, copies: int) -> dict:
    """The same changes on ``copies`` times as many links (ids and keys made unique), grants and all."""
    links = []
    for index in range(copies):
        for link in diff["links"]:
            twin = copy.deepcopy(link)
            twin["key"], twin["id"] = f"{link['key']}-{index}", f"{link['id']}-{index}"
            twin["granted"] = twin["granted"] * 3
            links.append(twin)
    return {**diff, "links": links}


@pytest.mark.parametrize("copies", [10, 60, 200])
def test_any_fleet_fits_with_its_summary_and_every_risky_headline(diff, copies):
    big = _fleet_of(diff, copies)
    comment = format_markdown(big)
    assert len(comment) < COMMENT_BUDGET, len(comment)
    assert comment.startswith("<!-- linking-access-review -->") and f"**{len(big['links'])} links changed" in comment
    risky_headlines = {headline(link).replace(link["id"], "{id}") for link in big["links"] if link["risks"]}
    assert all(text in comment or text.replace("{id}", "") in comment for text in risky_headlines)
    assert "access-review-detail" in comment


def test_the_detail_file_holds_everything_the_comment_cut(plans, tmp_path, capsys):
    detail = tmp_path / "detail.md"
    assert main(["diff", str(plans[0]), str(plans[1]), "--format", "markdown", "--detail-file", str(detail)]) == 0
    comment, whole = capsys.readouterr().out, detail.read_text()
    raised = ordered(diff_plans(load_plan(plans[0]), load_plan(plans[1])))[0]
    assert len(whole) > len(comment) and all(grant in whole for grant in raised["granted"])
