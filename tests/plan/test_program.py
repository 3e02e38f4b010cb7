"""`linking plan --program DIR`: a platform team's own Pulumi program, planned offline and diffed like our stacks."""

from __future__ import annotations

import json
from pathlib import Path

from linking.cli import main
from linking.review.compact import link_grants
from linking.review.diff import diff_plans, load_plan

from ..builders import write_project


PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws
from linking import AwsControlPlane, AwsSettings, ControlPlane, LinkSpec
from linking.aws import AwsAccountLink, AwsAccountLinkArgs

config = pulumi.Config("platform")
control_plane = ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::111122223333:role/control-plane"))
for link_id, account in (("team-a", config.require("accountA")), ("team-b", config.require("accountB"))):
    spec = LinkSpec(id=link_id, tier="readonly", owner="platform@acme.example", control_plane=control_plane,
                    aws=AwsSettings(account_id=account))
    AwsAccountLink(link_id, AwsAccountLinkArgs(spec, verify_account=False))

deployer = aws.iam.Role("deployer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("deployer-policy", role=deployer.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ACTION"], "Resource": "arn:aws:s3:::artifacts/*"}]}))
'''


def write_program(root: Path, action: str) -> None:
    (root / "__main__.py").write_text(PROGRAM.replace("ACTION", action))


def test_a_program_of_your_own_is_planned_and_its_raw_role_diffed(tmp_path, capsys):
    write_project(tmp_path, "platform")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  platform:accountA: '123456789012'\n  platform:accountB: '210987654321'\n"
    )
    plans = {}
    for name, action in (("base", "s3:GetObject"), ("head", "s3:*")):
        write_program(tmp_path, action)
        plans[name] = tmp_path / f"{name}.json"
        assert main(["plan", str(tmp_path / "Pulumi.dev.yaml"), "--program", str(tmp_path), "--json", str(plans[name])]) == 0, capsys.readouterr().err
    document = json.loads(plans["base"].read_text())
    links = {link["key"]: link for link in document["stacks"][0]["links"]}
    assert set(links) == {"link:team-a", "link:team-b", "resources:aws"}
    assert links["link:team-b"]["target"]["accountId"] == "210987654321"
    raw = link_grants(document["documents"], links["resources:aws"])
    assert {"effect": "Allow", "action": "s3:GetObject", "resource": "arn:aws:s3:::artifacts/*", "condition": None} in raw
    diff = diff_plans(load_plan(plans["base"]), load_plan(plans["head"]))
    (entry,) = diff["links"]
    assert entry["key"].endswith("resources:aws") and "new wildcard: s3:*" in entry["risks"]
    capsys.readouterr()
    assert main(["diff", str(plans["base"]), str(plans["head"]), "--fail-on", "risky"]) == 1


def test_a_folder_that_is_not_a_program_is_bad_input(tmp_path, capsys):
    write_project(tmp_path, "platform")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert main(["plan", str(tmp_path / "Pulumi.dev.yaml"), "--program", str(tmp_path / "nowhere")]) == 2
    assert "a folder with __main__.py" in capsys.readouterr().err


DUPLICATE = '''
from linking import AwsControlPlane, AwsSettings, ControlPlane, LinkSpec
from linking.aws import AwsAccountLink, AwsAccountLinkArgs

spec = LinkSpec(id="team-a", tier="readonly", owner="platform@acme.example", aws=AwsSettings(account_id="123456789012"),
                control_plane=ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::111122223333:role/control-plane")))
AwsAccountLink("first", AwsAccountLinkArgs(spec, verify_account=False))
AwsAccountLink("second", AwsAccountLinkArgs(spec, verify_account=False))
'''


def test_two_links_with_the_same_id_in_one_program_stop_before_the_second_registers(tmp_path, capsys):
    write_project(tmp_path, "platform")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(DUPLICATE)
    assert main(["plan", str(tmp_path / "Pulumi.dev.yaml"), "--program", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "linking:link.id" in err and "an id no other aws link of this program uses on aws 123456789012" in err
