"""Access review: the plan JSON, `linking diff`, risk flags, and planning many stacks at once."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from linking import policy
from linking.cli import main
from linking.review.compact import link_grants
from linking.review.diff import diff_plans, load_plan
from linking.review.report import format_markdown
from linking.validation import load_schema

from ..conftest import REPO

PROJECT = "name: platform\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n"


def write_stack(folder: Path, name: str, link: dict[str, Any]) -> Path:
    path = folder / f"Pulumi.{name}.yaml"
    path.write_text(json.dumps({"config": {"aws:region": "eu-west-1", "linking:link": link}}, indent=2))
    return path


def aws_link(link_id: str, account: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": link_id, "provider": "aws", "tier": "readonly", "owner": "platform@acme.example",
        "controlPlane": {"aws": {"principalArn": "arn:aws:iam::111122223333:role/control-plane", "externalId": "fixed-id-1"}},
        "aws": {"accountId": account}, **changes,
    }


def plan_json(tmp_path: Path, folder: Path, name: str) -> Path:
    out = tmp_path / f"{name}.json"
    assert main(["plan", str(folder), "--json", str(out)]) in (0, 1)
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "platform"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(PROJECT)
    (root / "stacks" / "__main__.py").write_text((REPO / "stacks" / "__main__.py").read_text())
    return root


def test_plan_json_validates_and_is_byte_identical_twice(tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["plan", str(REPO / "stacks"), "--json", str(first)]) == 0
    assert main(["plan", str(REPO / "stacks"), "--json", str(second), "--format", "markdown"]) == 0
    assert first.read_bytes() == second.read_bytes()
    document = json.loads(first.read_text())
    jsonschema.validate(document, load_schema("plan.schema.json"))
    stacks = {s["stack"]: s for s in document["stacks"]}
    assert set(stacks) >= {"aws-example", "aws-readonly-example", "azure-example", "gcp-example", "k8s-example", "eks-workloads-example"}
    aws = stacks["aws-example"]["links"][0]
    assert aws["credential"] == "external-id" and aws["expiresAt"] == "2027-06-30T00:00:00Z"
    passed_to = [g for g in link_grants(document["documents"], aws) if g["action"] == "iam:PassRole"]
    assert [g["resource"] for g in passed_to] == ["arn:aws:iam::123456789012:role/linking-workloads/acme-prod/*"]
    assert "lambda.amazonaws.com" in json.loads(passed_to[0]["condition"])["StringEquals"]["iam:PassedToService"]
    assert '"sts:ExternalId":"[secret]"' in aws["trust"][0]["condition"]
    k8s = stacks["k8s-example"]["links"][0]
    assert {"apiGroup": "apps", "resource": "deployments", "verb": "list", "scope": "cluster"} in link_grants(document["documents"], k8s)
    markdown = capsys.readouterr().out
    assert "### link:acme-prod-gcp (gcp, tier admin" in markdown


def test_diff_of_an_added_and_removed_action_moved_expiry_and_new_principal(project, tmp_path, golden):
    custom = project / "policies"
    custom.mkdir()
    base_policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Inventory", "Effect": "Allow", "Resource": "*",
                                                            "Action": ["ec2:DescribeInstances", "s3:ListAllMyBuckets"]}]}
    (custom / "inventory.json").write_text(json.dumps(base_policy))
    link = aws_link("acme-prod", "123456789012", tier="custom", policyFile="policies/inventory.json", expiresAt="2027-01-31T00:00:00Z")
    write_stack(project / "stacks", "prod", link)
    base = plan_json(tmp_path, project / "stacks", "base")

    base_policy["Statement"][0]["Action"] = ["ec2:DescribeInstances", "rds:DescribeDBInstances"]
    (custom / "inventory.json").write_text(json.dumps(base_policy))
    link.update(expiresAt="2027-06-30T00:00:00Z")
    link["controlPlane"]["aws"]["principalArn"] = "arn:aws:iam::444455556666:role/new-control-plane"
    write_stack(project / "stacks", "prod", link)
    head = plan_json(tmp_path, project / "stacks", "head")

    diff = diff_plans(load_plan(base), load_plan(head))
    (entry,) = diff["links"]
    assert entry["granted"] == ["Allow rds:DescribeDBInstances on *"]
    assert entry["revoked"] == ["Allow s3:ListAllMyBuckets on *"]
    assert "expiresAt: 2027-01-31T00:00:00Z -> 2027-06-30T00:00:00Z" in entry["changes"]  # as the stack file spells it
    assert entry["headline"] == [
        "new trust: arn:aws:iam::444455556666:role/new-control-plane may sts:AssumeRole",
        "trust removed: arn:aws:iam::111122223333:role/control-plane may sts:AssumeRole",
        "expiry extended: 2027-01-31T00:00:00Z → 2027-06-30T00:00:00Z",
    ]
    assert "expiry extended to 2027-06-30T00:00:00Z" in entry["risks"]
    assert any("444455556666" in t for t in entry["trustAdded"]) and any("111122223333" in t for t in entry["trustRemoved"])
    golden("review/diff.md", format_markdown(diff))


def test_fail_on_risky_exit_codes(project, tmp_path, capsys):
    write_stack(project / "stacks", "prod", aws_link("acme-prod", "123456789012"))
    base = plan_json(tmp_path, project / "stacks", "base")
    assert main(["diff", str(base), str(base), "--fail-on", "risky"]) == 0
    assert "No access changes." in capsys.readouterr().out

    write_stack(project / "stacks", "prod", aws_link("acme-prod", "123456789012", tier="admin"))
    raised = plan_json(tmp_path, project / "stacks", "raised")
    assert main(["diff", str(base), str(raised), "--fail-on", "risky"]) == 1
    out = capsys.readouterr().out
    assert "risk: tier raised: readonly -> admin" in out and "risk: new IAM write: iam:CreateRole" in out
    assert main(["diff", str(base), str(raised)]) == 0  # reporting alone never fails

    write_stack(project / "stacks", "prod", aws_link("acme-prod", "123456789012", enabled=False))
    disabled = plan_json(tmp_path, project / "stacks", "disabled")
    assert main(["diff", str(base), str(disabled), "--fail-on", "risky"]) == 0  # revoking is not risky


@pytest.mark.parametrize(
    "change,risk",
    [
        ({"expiresAt": None}, "expiry removed"),
        ({"credential": "service-account-key"}, "credential no longer keyless"),
        ({"grants": [{"effect": "Allow", "action": "s3:*", "resource": "*", "condition": None}]}, "new wildcard: s3:*"),
    ],
)
def test_risk_rules(change, risk):
    base_link = {"key": "link:x", "kind": "account-link", "provider": "aws", "id": "x", "owner": "o", "tier": "readonly",
                 "enabled": True, "expiresAt": "2027-01-01T00:00:00Z", "expiryEnforcement": "", "credential": "impersonation",
                 "identity": {}, "target": {}, "trust": [], "conditions": [], "grants": [],
                 "lint": {"warnings": [], "waivers": []}}
    plan = {"stacks": [{"project": "p", "stack": "s", "file": "f", "status": "planned", "secureValues": {}, "links": [base_link]}]}
    head = json.loads(json.dumps(plan))
    head["stacks"][0]["links"][0].update(change)
    (entry,) = diff_plans(plan, head)["links"]
    assert any(r.startswith(risk) for r in entry["risks"]), entry["risks"]


def test_directory_with_one_broken_stack_plans_the_others(project, tmp_path, capsys):
    write_stack(project / "stacks", "good", aws_link("acme-good", "123456789012"))
    write_stack(project / "stacks", "bad", aws_link("acme-bad", "1234"))
    (project / "stacks" / "Pulumi.broken.yaml").write_text("config:\n  linking:link: {id: [\n")
    out = tmp_path / "plan.json"
    assert main(["plan", str(project / "stacks"), "--json", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Pulumi.bad.yaml: linking:link.aws.accountId" in err
    assert "Pulumi.broken.yaml" in err and "line 3" in err
    document = json.loads(out.read_text())
    jsonschema.validate(document, load_schema("plan.schema.json"))
    assert {s["stack"]: s["status"] for s in document["stacks"]} == {"bad": "failed", "broken": "failed", "good": "planned"}


def test_not_a_plan_and_other_versions_are_clear_errors(tmp_path, capsys):
    (tmp_path / "x.json").write_text('{"hello": "world"}')
    (tmp_path / "v3.json").write_text('{"schemaVersion": 3, "kind": "linking-plan", "stacks": []}')
    (tmp_path / "garbage.json").write_text("not json")
    assert main(["diff", str(tmp_path / "x.json"), str(tmp_path / "x.json")]) == 2
    assert "expected a linking plan document" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "v3.json"), str(tmp_path / "v3.json")]) == 2
    assert "plan schema version 1 or 2" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "garbage.json"), str(tmp_path / "garbage.json")]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "Traceback" not in err


def test_widening_readonly_by_one_action_names_it_for_every_stack_on_that_tier(project, tmp_path, monkeypatch):
    write_stack(project / "stacks", "one", aws_link("acme-one", "123456789012"))
    write_stack(project / "stacks", "two", aws_link("acme-two", "210987654321"))
    write_stack(project / "stacks", "admin", aws_link("acme-admin", "123456789012", tier="admin"))
    base = plan_json(tmp_path, project / "stacks", "base")

    docs = tmp_path / "policy_docs"
    shutil.copytree(policy.policy_docs_root(), docs)
    readonly = json.loads((docs / "aws" / "readonly.json").read_text())
    readonly["Statement"][0]["Action"].append("cloudwatch:GetMetricData")  # already there: no change expected
    readonly["Statement"][0]["Action"].append("apigateway:GET")
    readonly["Statement"][0]["Action"].append("cloudwatch:DescribeAlarm*")
    (docs / "aws" / "readonly.json").write_text(json.dumps(readonly))
    monkeypatch.setattr(policy, "policy_docs_root", lambda: docs)
    head = plan_json(tmp_path, project / "stacks", "head")

    diff = diff_plans(load_plan(base), load_plan(head))
    assert {link["key"]: link["granted"] for link in diff["links"]} == {
        "platform/one/link:acme-one": ["Allow apigateway:GET on *", "Allow cloudwatch:DescribeAlarm* on *"],
        "platform/two/link:acme-two": ["Allow apigateway:GET on *", "Allow cloudwatch:DescribeAlarm* on *"],
    }
    assert all(not link["revoked"] and not link["changes"] for link in diff["links"])
    markdown = format_markdown(diff)
    assert markdown.count("<details>") == 1 and "the same change on 2 links" in markdown  # one tier edit, said once
    assert "`platform/one/link:acme-one (accountId 123456789012, partition aws)`" in markdown
    assert "- `Allow cloudwatch:DescribeAlarm* on *` (covers " in markdown and "- `Allow apigateway:GET on *`\n" in markdown


def _workflow(name: str) -> dict:
    import yaml

    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())


def test_the_planning_workflow_runs_the_head_with_nothing_to_steal():
    text = (REPO / ".github" / "workflows" / "access-review.yml").read_text()
    workflow = _workflow("access-review.yml")
    assert workflow[True] == {"pull_request": None}  # no paths filter: any pull request can change access
    assert workflow["permissions"] == {} and workflow["jobs"]["plan"]["permissions"] == {"contents": "read"}
    for forbidden in ("secrets.", "AWS_ACCESS_KEY", "AZURE_CLIENT_SECRET", "GOOGLE_CREDENTIALS", "id-token", "PYTHONPATH", "linking diff"):
        assert forbidden not in text  # no credentials, and no judging in the job that runs the head's code
    checkouts = [step for step in workflow["jobs"]["plan"]["steps"] if step.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 2 and all(step["with"]["persist-credentials"] is False for step in checkouts)
    assert "linking plan stacks" in text and "--json" in text and "upload-artifact@" in text


def test_the_judge_runs_from_the_default_branch_with_the_base_s_linking_isolated():
    text = (REPO / ".github" / "workflows" / "access-review-judge.yml").read_text()
    workflow = _workflow("access-review-judge.yml")
    assert workflow[True] == {"workflow_run": {"workflows": ["access-review"], "types": ["completed"]}}
    job = workflow["jobs"]["judge"]
    assert workflow["permissions"] == {} and set(job["permissions"]) == {"actions", "contents", "pull-requests", "statuses"}
    judge = next(step["run"] for step in job["steps"] if step.get("name", "").startswith("Judge"))
    assert '"./base[all]"' in judge and "head[" not in judge  # the judge is the base's linking
    assert "-I -m linking diff" in judge and "--trees base head" in judge and "cd head" not in judge
    assert "PYTHONPATH" not in text and "linking-access-review" in text and "createCommitStatus" in text
    for step in job["steps"]:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_every_action_is_pinned_to_a_commit():
    for name in ("access-review.yml", "access-review-judge.yml"):
        for job in _workflow(name)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_benchmark_script_runs_for_a_few_stacks(tmp_path):
    script = REPO / "tests" / "benchmarks" / "plan_scale.py"
    completed = subprocess.run([sys.executable, str(script), "--stacks", "4", "--workdir", str(tmp_path), "--floor-stacks", "4"],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    result, summary = (json.loads(line) for line in completed.stdout.strip().splitlines()[-2:])
    assert result["stacks"] == 4 and result["failed"] == 0 and result["seconds"] > 0 and result["peak_mb"] > 0
    assert result["ratio_to_floor"] > 0 and summary["floor_ms_per_stack"] > 0


def test_plan_document_assembled_from_strings_equals_the_canonical_document():
    from linking.canonical import canonical_json
    from linking.review.grants import plan_document, plan_document_json

    entries = [{"project": "p", "stack": s, "file": f"stacks/Pulumi.{s}.yaml", "links": [], "x": [3, 1]} for s in ("b", "a")]
    ordered = sorted(entries, key=lambda e: (e["project"], e["stack"], e["file"]))
    documents = {"b" * 64: [1, {"z": 1, "a": 2}], "a" * 64: "text"}
    assert plan_document_json([canonical_json(e) for e in ordered], {k: canonical_json(v) for k, v in documents.items()}) == (
        canonical_json(plan_document(entries, documents)) + "\n"
    )
    assert plan_document_json([]) == canonical_json(plan_document([])) + "\n"


def test_a_rotated_secure_value_shows_as_a_changed_secret(project, tmp_path):
    stack = project / "stacks" / "Pulumi.prod.yaml"
    link = aws_link("acme-prod", "123456789012")
    del link["controlPlane"]["aws"]["externalId"]
    for name, ciphertext in (("base", "v1:AAAA"), ("head", "v1:BBBB")):
        link["controlPlane"]["aws"]["externalId"] = {"secure": ciphertext}
        stack.write_text(json.dumps({"config": {"linking:link": link}}))
        plan_json(tmp_path, project / "stacks", name)
    base, head = load_plan(tmp_path / "base.json"), load_plan(tmp_path / "head.json")
    assert "v1:" not in (tmp_path / "head.json").read_text()
    assert list(head["stacks"][0]["secureValues"]) == ["linking:link.controlPlane.aws.externalId"]
    (entry,) = diff_plans(base, head)["links"]
    assert entry["changes"] == ["secret linking:link.controlPlane.aws.externalId changed"]
    assert entry["granted"] == [] and entry["revoked"] == []


K8S_ADMIN = {
    "id": "acme-k8s", "provider": "kubernetes", "tier": "admin", "owner": "platform@acme.example",
    "kubernetes": {"server": "https://k8s.acme.example:6443", "namespaces": ["team-a"]},
}


@pytest.mark.parametrize(("change", "risk"), [
    ({"namespaces": None, "scope": "cluster"}, "new cluster-wide write: create core/pods"),
    ({"admissionFence": {"enabled": False, "reason": "the cluster runs 1.29 until March"}}, "condition removed on admission fence linking-acme-k8s-fence"),
])
def test_kubernetes_admin_risks(change, risk, project, tmp_path):
    stack = project / "stacks" / "Pulumi.k8s.yaml"
    for name, settings in (("base", {}), ("head", change)):
        kubernetes = {k: v for k, v in {**K8S_ADMIN["kubernetes"], **settings}.items() if v is not None}
        stack.write_text(json.dumps({"config": {"linking:link": {**K8S_ADMIN, "kubernetes": kubernetes}}}))
        plan_json(tmp_path, project / "stacks", name)
    (entry,) = diff_plans(load_plan(tmp_path / "base.json"), load_plan(tmp_path / "head.json"))["links"]
    assert risk in entry["risks"]


def _aws_grant(action: str, resource: str = "*", effect: str = "Allow", condition: Any = None) -> dict[str, Any]:
    return {"effect": effect, "action": action, "resource": resource, "condition": condition}


BOUNDARY = '{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/b"}}'


@pytest.mark.parametrize(("provider", "before", "after", "risk"), [
    ("aws", [_aws_grant("s3:GetObject"), _aws_grant("s3:GetObject", "arn:aws:s3:::secrets/*", "Deny")], [_aws_grant("s3:GetObject")],
     "deny removed: Deny s3:GetObject"),
    ("aws", [_aws_grant("iam:CreateRole", condition=BOUNDARY)], [_aws_grant("iam:CreateRole")], "condition removed on iam:CreateRole"),
    ("aws", [_aws_grant("iam:CreateRole", condition=BOUNDARY)],
     [_aws_grant("iam:CreateRole", condition='{"StringLike":{"iam:PermissionsBoundary":"*"}}')], "condition changed on iam:CreateRole"),
    ("aws", [_aws_grant("s3:getobject", "arn:aws:s3:::reports/*")], [_aws_grant("s3:GetObject", "arn:aws:s3:::*")],
     "resource widened for s3:GetObject"),
    ("azure", [{"kind": "action", "operation": "*", "scope": "/s"},
               {"kind": "notAction", "operation": "Microsoft.Storage/storageAccounts/listKeys/action", "scope": "/s"}],
     [{"kind": "action", "operation": "*", "scope": "/s"}], "exclusion removed: notAction Microsoft.Storage/storageAccounts/listKeys/action"),
])
def test_widening_by_removal_is_risky(provider, before, after, risk):
    from linking.review.diff import diff_link

    link = {"provider": provider, "owner": "o", "tier": "custom", "credential": "impersonation", "enabled": True, "expiresAt": None,
            "identity": {}, "trust": [], "conditions": [], "lint": {"warnings": []}}
    entry = diff_link("link:x", {**link, "grants": before}, {**link, "grants": after})
    assert any(r.startswith(risk) for r in entry["risks"]), entry["risks"]


def test_a_deleted_stack_file_is_risky_and_a_failing_one_is_not_removed(project, tmp_path):
    stacks = project / "stacks"
    write_stack(stacks, "a", aws_link("acme-a", "123456789012"))
    write_stack(stacks, "b", aws_link("acme-b", "210987654321"))
    base = load_plan(plan_json(tmp_path, stacks, "base"))
    (stacks / "Pulumi.a.yaml").unlink()
    write_stack(stacks, "b", aws_link("acme-b", "1234"))  # no longer plans
    diff = diff_plans(base, load_plan(plan_json(tmp_path, stacks, "head")))
    entries = {entry["key"].rsplit("/", 1)[-1]: entry for entry in diff["links"]}
    assert entries["link:acme-a"]["status"] == "removed"
    assert any("persists until `pulumi destroy`" in r for r in entries["link:acme-a"]["risks"])
    assert entries["link:acme-b"]["status"] == "failed to plan" and entries["link:acme-b"]["revoked"] == []
    assert diff["risky"] and len(diff["failedStacks"]) == 1


def test_names_from_stack_files_cannot_break_the_comment():
    diff = {"links": [{"key": "p/s|**x**/link:a", "provider": "aws", "status": "changed", "owner": "<img src=x onerror=alert(1)> [x](http://evil)",
                       "granted": [], "revoked": [], "trustAdded": [], "trustRemoved": [], "changes": ["a | b"], "risks": ["r`|`"]}],
            "failedStacks": ["stacks/Pulumi.a|b**.yaml: error `x`"], "unchanged": 0, "risky": True}
    markdown = format_markdown(diff)
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert all(line.replace("\\|", "").count("|") == 6 for line in table[1:])  # every row keeps its five cells
    assert "<img" not in markdown.replace("\\<img", "")  # escaped: shown as text, never as HTML
    assert "](http" not in markdown.replace("\\](http", "")  # and never as a link (its bracket is escaped)
    assert "<summary>p/s\\|\\*\\*x\\*\\*/link:a: " in markdown


@pytest.mark.parametrize(("before", "after", "risk"), [
    ({"maxSessionHours": 1}, {"maxSessionHours": 12}, "longer sessions: maxSessionSeconds 3600 -> 43200"),
    ({"permissionsBoundaryArn": "arn:aws:iam::123456789012:policy/guard"}, {}, "permissions boundary removed"),
    ({}, {"scope": "account"}, "ownership fence dropped: scope owned -> account"),
    ({"revokeWorkloads": True}, {}, "revokeWorkloads switched: true -> false (disabling the link no longer stops"),
    ({}, {"revokeWorkloads": True}, "revokeWorkloads switched: false -> true (disabling the link stops every role"),
    ({}, {"allowClaims": [{"service": "kms", "reason": "adopts the keys the data team made before"}]},
     "claims allowed: the admin tier may stamp untagged resources it did not create: kms (adopts the keys"),
])
def test_link_settings_that_widen_are_risky(before, after, risk, project, tmp_path):
    stack = project / "stacks"
    for name, settings in (("base", before), ("head", after)):
        link = aws_link("acme-prod", "123456789012", tier="admin")
        link["aws"].update(settings)
        write_stack(stack, "prod", link)
        plan_json(tmp_path, stack, name)
    (entry,) = diff_plans(load_plan(tmp_path / "base.json"), load_plan(tmp_path / "head.json"))["links"]
    assert any(r.startswith(risk) for r in entry["risks"]), entry["risks"]


def test_two_aws_links_of_one_account_whose_names_overlap_are_risky(project, tmp_path):
    stack = project / "stacks"
    write_stack(stack, "prod", aws_link("acme-prod", "123456789012"))
    plan_json(tmp_path, stack, "base")
    write_stack(stack, "eu", aws_link("acme-prod-eu", "123456789012"))
    write_stack(stack, "other", aws_link("acme-prod-us", "210987654321"))
    plan_json(tmp_path, stack, "head")
    links = {e["id"]: e for e in diff_plans(load_plan(tmp_path / "base.json"), load_plan(tmp_path / "head.json"))["links"]}
    assert any(r.startswith("names shared: links acme-prod and acme-prod-eu in account 123456789012") for r in links["acme-prod-eu"]["risks"])
    assert not any(r.startswith("names shared") for r in links["acme-prod-us"]["risks"])  # another account


@pytest.mark.parametrize(("before", "after"), [("resource-groups", "subscription"), ("project", "wide")])
def test_opting_in_to_a_wider_admin_tier_is_risky_on_every_cloud(before, after):
    from linking.review.diff import _settings_changes

    changes, risks = _settings_changes({"scope": before}, {"scope": after})
    assert changes == [f"scope: {before} -> {after}"] and risks[0].startswith(f"ownership fence dropped: scope {before} -> {after}")
    assert _settings_changes({"scope": after}, {"scope": before})[1] == []


def _s3_get_actions() -> list[str]:
    from linking.providers import load_catalogues

    return load_catalogues(None)["aws"].matches("s3:Get*")


@pytest.mark.parametrize(("before", "after", "widened"), [
    ([_aws_grant("s3:GetObject", "arn:aws:s3:::reports/*")], [_aws_grant("s3:Get*", "arn:aws:s3:::reports/*")], True),
    ([_aws_grant("s3:Get*", "arn:aws:s3:::reports/*")], [_aws_grant(a, "arn:aws:s3:::reports/*") for a in _s3_get_actions()], False),
    ([_aws_grant("s3:*"), _aws_grant("s3:GetObject", effect="Deny")], [_aws_grant("s3:*"), _aws_grant("s3:GetObject", "arn:aws:s3:::x/*", effect="Deny")], True),
    ([_aws_grant("ec2:Describe*")], [_aws_grant("not:ec2:*")], True),
    ([_aws_grant("s3:GetObject", "arn:aws:s3:::reports/*")], [_aws_grant("S3:getobject", "arn:aws:s3:::reports/*")], False),
])
def test_effective_access_is_compared_action_by_action(before, after, widened):
    from linking.review.diff import diff_link

    link = {"provider": "aws", "owner": "o", "tier": "custom", "credential": "impersonation", "enabled": True, "expiresAt": None,
            "identity": {}, "trust": [], "conditions": [], "lint": {"warnings": []}}
    entry = diff_link("link:x", {**link, "grants": before}, {**link, "grants": after})
    assert any(r.startswith("effective access widened") for r in entry["risks"]) is widened, entry["risks"]


@pytest.mark.parametrize(("provider", "grant", "risk"), [
    ("gcp", {"permission": "roles/resourcemanager.projectIamAdmin", "scope": "projects/p"}, "role roles/resourcemanager.projectIamAdmin changes IAM"),
    ("gcp", {"permission": "roles/iam.serviceAccountTokenCreator", "scope": "projects/p"}, "role roles/iam.serviceAccountTokenCreator changes IAM or acts"),
    ("azure", {"kind": "role", "operation": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
               "scope": "/subscriptions/s"}, "built-in role Owner grants *"),
    ("azure", {"kind": "role", "operation": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
               "scope": "/subscriptions/s"}, "built-in role User Access Administrator grants"),
])
def test_a_role_named_by_id_is_judged_by_what_it_holds(provider, grant, risk):
    from linking.review.per_provider import grant_risks

    assert any(r.startswith(risk) for r in grant_risks(provider, grant)), grant_risks(provider, grant)


@pytest.mark.parametrize(("provider", "grant"), [
    ("gcp", {"permission": "roles/storage.bucketViewer", "scope": "projects/p"}),
    ("azure", {"kind": "role", "operation": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
               "scope": "/subscriptions/s"}),  # Reader
])
def test_a_narrow_role_is_not_flagged(provider, grant):
    from linking.review.per_provider import grant_risks

    assert grant_risks(provider, grant) == []


def test_azure_assignable_scopes_widened_is_risky(project, tmp_path):
    import yaml

    link = yaml.safe_load((REPO / "stacks" / "Pulumi.azure-example.yaml").read_text())["config"]["linking:link"]
    role = json.loads((policy.policy_docs_root() / "azure" / "readonly.json").read_text())
    # a custom tier has no ledger: the reads the readonly tier keeps by its own (instrumentation keys, webhook URLs) go
    role["NotActions"] += ["Microsoft.Insights/components/read", "Microsoft.Insights/actionGroups/read"]
    for name, scope in (("base", "/subscriptions/{{SubscriptionId}}/resourceGroups/apps"), ("head", "/subscriptions/{{SubscriptionId}}")):
        (project / "role.json").write_text(json.dumps({**role, "AssignableScopes": [scope]}))
        write_stack(project / "stacks", "az", {**link, "tier": "custom", "policyFile": "role.json"})
        plan_json(tmp_path, project / "stacks", name)
    (entry,) = diff_plans(load_plan(tmp_path / "base.json"), load_plan(tmp_path / "head.json"))["links"]
    assert any(r.startswith("assignable scopes widened: /subscriptions/") for r in entry["risks"]), entry["risks"]


@pytest.mark.parametrize(("provider", "grant", "old", "new"), [
    ("azure", {"kind": "action", "operation": "Microsoft.Compute/virtualMachines/write"}, "/subscriptions/s/resourceGroups/apps", "/subscriptions/s"),
    ("kubernetes", {"apiGroup": "", "resource": "pods", "verb": "create"}, "team-a", "cluster"),
])
def test_the_same_grant_at_a_wider_scope_is_risky(provider, grant, old, new):
    from linking.review.diff import diff_link

    link = {"provider": provider, "owner": "o", "tier": "custom", "credential": "impersonation", "enabled": True, "expiresAt": None,
            "identity": {}, "trust": [], "conditions": [], "lint": {"warnings": []}}
    entry = diff_link("link:x", {**link, "grants": [{**grant, "scope": old}]}, {**link, "grants": [{**grant, "scope": new}]})
    assert f"scope widened: {old} -> {new}" in entry["risks"]


@pytest.mark.parametrize(("provider", "grant", "risk"), [
    ("azure", {"kind": "role", "operation": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
               "scope": "/subscriptions/s"}, "built-in role Key Vault Secrets User acts on data"),
    ("gcp", {"permission": "roles/storage.objectViewer", "scope": "projects/p"}, "role roles/storage.objectViewer reads data"),
])
def test_a_role_that_reads_data_is_flagged_for_a_linked_service_account(provider, grant, risk):
    from linking.review.per_provider import grant_risks

    assert any(r.startswith(risk) for r in grant_risks(provider, grant)), grant_risks(provider, grant)


@pytest.mark.parametrize(("arn", "risk"), [
    ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "managed policy AmazonS3ReadOnlyAccess: credentials exposure, data access (iam-dataset)"),
    ("arn:aws:iam::aws:policy/IAMFullAccess", "managed policy IAMFullAccess: "),
    ("arn:aws:iam::aws:policy/AdministratorAccess", "managed policy outside linking's snapshot, its contents unreviewed"),
])
def test_a_managed_policy_is_reviewed_by_its_contents(arn, risk):
    from linking.aws.review import managed_policy_grants
    from linking.review.diff import diff_link

    grants = managed_policy_grants(arn)
    link = {"provider": "aws", "owner": "o", "tier": "custom", "credential": "web-identity", "enabled": True, "expiresAt": None,
            "identity": {}, "trust": [], "conditions": [], "lint": {"warnings": []}}
    entry = diff_link("serviceAccount:shop/worker", {**link, "grants": []}, {**link, "grants": grants})
    assert any(r.startswith(risk) for r in entry["risks"]), entry["risks"]
    if "AdministratorAccess" not in arn:
        assert all(g.get("via") == arn.rsplit("/", 1)[-1] for g in grants) and len(grants) > 1
        assert any("(via " in text for text in entry["granted"])


def test_the_managed_policy_snapshot_says_where_it_comes_from():
    provenance = json.loads((REPO / "linking" / "catalogues" / "PROVENANCE.json").read_text())["sources"]["aws-managed-policies.json.gz"]
    assert provenance["licence"] == "MIT" and provenance["count"] > 1000 and "AdministratorAccess" in provenance["missing"]
