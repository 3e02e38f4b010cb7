"""`linking diff --preview`: a real `pulumi preview --json` reviewed as the engine will change things. The previews
here follow Pulumi's documented PreviewDigest (pkg/display/json.go), built from our own recorded plans: each step's
old state is what a stack holds, its new state what the program asks for."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Optional

import pytest
from linking.cli import main
from linking.plan.stackfile import load_stack_file, run_stack_file
from linking.planned import Secret, StackPlan
from linking.review.preview import SECRET_SIG, SIG_KEY, UNKNOWN

from ..conftest import REPO

STACK_URN = "urn:pulumi:aws-readonly-example::linking::pulumi:pulumi:Stack::linking-aws-readonly-example"


def _value(value: Any, secret: Any) -> Any:
    if isinstance(value, Secret):
        return secret
    if value == "(known after apply)":
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _value(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(item, secret) for item in value]
    return value


def _states(plan: StackPlan) -> dict[str, dict[str, Any]]:
    states = {resource.urn: {
        "urn": resource.urn, "type": resource.type, "custom": resource.custom, "parent": resource.parent_urn or STACK_URN,
        "inputs": _value(resource.inputs, {SIG_KEY: SECRET_SIG, "ciphertext": "v1:abc"}),
        "outputs": _value(resource.outputs, "[secret]"), "provider": resource.provider or "",
        "dependencies": list(resource.dependencies)} for resource in plan.resources}
    states[STACK_URN] = {"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "custom": False, "outputs": _value(plan.outputs, "[secret]")}
    return states


def preview(base: Optional[StackPlan], head: StackPlan, replaced: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The digest `pulumi preview --json` prints for moving a stack from ``base`` (None: a new stack) to ``head``."""
    old, new = _states(base) if base else {}, _states(head)
    steps = []
    for urn in sorted(old.keys() | new.keys()):
        before, after = old.get(urn), new.get(urn)
        name = urn.rsplit("::", 1)[-1]
        if before is None:
            steps.append({"op": "create", "urn": urn, "newState": after, "detailedDiff": None})
        elif after is None:
            steps.append({"op": "delete", "urn": urn, "oldState": before, "detailedDiff": None})
        elif name in replaced:
            steps.append({"op": "replace", "urn": urn, "oldState": before, "newState": after, "replaceReasons": ["name"],
                          "detailedDiff": {"name": {"kind": "update-replace", "inputDiff": True}}})
        else:
            op = "same" if before.get("inputs") == after.get("inputs") else "update"
            steps.append({"op": op, "urn": urn, "oldState": before, "newState": after, "detailedDiff": {}})
    summary: dict[str, int] = {}
    for step in steps:
        summary[step["op"]] = summary.get(step["op"], 0) + 1
    return {"config": {"aws:region": "eu-west-1"}, "steps": steps, "duration": 1200000000, "changeSummary": summary}


def _plan(**link: Any) -> StackPlan:
    """The readonly example's plan with ``link`` merged into its link settings."""
    stack_file = load_stack_file(REPO / "stacks" / "Pulumi.aws-readonly-example.yaml")
    settings = {**json.loads(stack_file.config["linking:link"]), **link}
    return run_stack_file(dataclasses.replace(stack_file, config={**stack_file.config, "linking:link": json.dumps(settings)}))


@pytest.fixture(scope="module")
def plans():
    return _plan(), _plan(tier="admin")


def _diff(tmp_path: Path, digest: dict[str, Any], capsys, *args: str) -> tuple[int, str]:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(digest))
    code = main(["diff", "--preview", str(path), "--format", "markdown", *args])
    return code, capsys.readouterr().out


def test_a_preview_that_raises_the_tier_reads_as_the_plans_would(plans, tmp_path, capsys):
    code, out = _diff(tmp_path, preview(*plans), capsys, "--fail-on", "risky")
    assert code == 1 and "**tier raised: readonly → admin**" in out
    assert "`linking/aws-readonly-example/link:acme-analytics` (aws, changed)" in out


def test_replacing_or_deleting_an_access_resource_is_risky(plans, tmp_path, capsys):
    base = plans[0]
    code, out = _diff(tmp_path, preview(base, base, frozenset({"acme-analytics-role"})), capsys, "--fail-on", "risky")
    assert code == 1 and "the engine replaces aws:iam/role:Role acme-analytics-role of linking/aws-readonly-example (because of name)" in out
    deleted = preview(base, StackPlan(stack="prod", resources=[], outputs={}))
    code, out = _diff(tmp_path, deleted, capsys, "--fail-on", "risky")
    assert code == 1 and "the engine deletes aws:iam/role:Role acme-analytics-role of linking/aws-readonly-example" in out and "link removed" in out


def test_a_preview_without_changes_says_so(plans, tmp_path, capsys):
    code, out = _diff(tmp_path, preview(plans[0], plans[0]), capsys, "--fail-on", "risky")
    assert code == 0 and out.rstrip().endswith("No access changes.")


def test_secrets_and_unknowns_of_the_preview_never_show(plans, tmp_path, capsys):
    code, out = _diff(tmp_path, preview(None, plans[1]), capsys)
    assert "v1:abc" not in out and UNKNOWN not in out and "**new link**" in out


def test_not_a_preview_is_one_line(tmp_path, capsys):
    (tmp_path / "x.json").write_text("[1]")
    assert main(["diff", "--preview", str(tmp_path / "x.json")]) == 2
    assert "the output of pulumi preview --json" in capsys.readouterr().err
    assert main(["diff", "--preview", str(tmp_path / "x.json"), "a.json", "b.json"]) == 2


def test_previews_of_a_fleet_review_together(plans, tmp_path, capsys):
    """One preview a stack; each read under the project and stack of its URNs."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(preview(*plans)))
    renamed = json.dumps(preview(plans[0], plans[0], frozenset({"acme-analytics-role"}))).replace(
        "urn:pulumi:aws-readonly-example::", "urn:pulumi:staging::")
    second.write_text(renamed)
    assert main(["diff", "--preview", str(first), "--preview", str(second)]) == 0
    out = capsys.readouterr().out
    assert "linking/aws-readonly-example/link:acme-analytics" in out
    assert "risk: the engine replaces aws:iam/role:Role acme-analytics-role of linking/staging (because of name)" in out


@pytest.mark.parametrize("steps", [
    ["not a step"], [{"op": "create"}], [{"op": "create", "urn": "x"}],
    [{"op": "create", "urn": STACK_URN, "newState": {"urn": STACK_URN}}],
    [{"op": "update", "urn": STACK_URN, "oldState": "state", "newState": None}],
])
def test_a_hostile_preview_is_one_line_naming_the_step(steps, tmp_path, capsys):
    (tmp_path / "p.json").write_text(json.dumps({"steps": steps, "secret": "s3cr3t-value"}))
    assert main(["diff", "--preview", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "steps[0]" in err and "Traceback" not in err and "s3cr3t" not in err


def test_the_sentinels_are_the_sdks():
    from pulumi.runtime import rpc

    assert (UNKNOWN, SIG_KEY, SECRET_SIG) == (rpc.UNKNOWN, rpc._special_sig_key, rpc._special_secret_sig)  # noqa: SLF001


def test_only_secret_envelopes_become_the_placeholder():
    """The signature key also marks assets and archives (a function's code): those stay as they are."""
    from pulumi.runtime import rpc

    from linking.review.preview import _values

    archive = {SIG_KEY: rpc._special_archive_sig, "path": "code.zip"}  # noqa: SLF001
    assert _values({"code": archive, "key": {SIG_KEY: SECRET_SIG, "ciphertext": "v1:abc"}}) == {"code": archive, "key": Secret("[secret]")}
