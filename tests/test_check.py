"""`linking check`: every granted action exists in the catalogues, each tier's privilege ratio, the lint."""

from __future__ import annotations

import json

from linking.cli import main

from .conftest import REPO
from .builders import allow, aws_doc



def test_check_passes_on_every_shipped_document_and_prints_ratios(capsys):
    assert main(["check", str(REPO / "policy_docs")]) == 0
    out = capsys.readouterr().out
    assert "12 documents checked, 0 failed" in out
    for document in ("aws/admin.json", "aws/readonly.json", "azure/admin.json", "gcp/readonly.yaml", "kubernetes/admin.yaml"):
        line = next(line for line in out.splitlines() if document in line)
        assert "privilege ratio" in line and ("all in the catalogue" in line or "not catalogued" in line)
    assert "error" not in out  # the shipped tiers need no waiver
    # only the opt-in account-scope admin tier warns: it changes resource policies on what it did not create
    warned = {line.split()[2] for line in out.splitlines() if line.strip().startswith("warning:")}
    assert warned == {str(REPO / "policy_docs/aws/admin-account.json")}


def test_check_fails_on_an_unknown_action_and_on_lint_errors(tmp_path, capsys):
    folder = tmp_path / "aws"
    folder.mkdir()
    (folder / "typo.json").write_text(json.dumps(aws_doc(allow(["s3:GetObjects", "ec2:Describe*"]))))
    (folder / "passrole.json").write_text(json.dumps(aws_doc(allow(["iam:PassRole"]))))
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "NOT IN THE CATALOGUE: s3:GetObjects" in out
    assert "error: AWS006" in out and "2 documents checked, 2 failed" in out


def test_check_without_catalogues_uses_the_shipped_snapshots(capsys):
    assert main(["check", str(REPO / "policy_docs" / "aws" / "readonly.json"), str(REPO / "policy_docs" / "gcp" / "readonly.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "aws/readonly.json (aws, readonly)" in lines[0] and "all in the catalogue" in lines[0]
    assert "gcp/readonly.yaml (gcp, readonly)" in lines[1] and "all in the catalogue" in lines[1]
    assert "privilege ratio" in lines[1] and "permissions of roles/owner" in lines[1]


def test_check_with_a_catalogue_folder_that_does_not_exist_is_bad_usage(tmp_path, capsys):
    assert main(["check", str(REPO / "policy_docs"), "--catalogues", str(tmp_path / "missing")]) == 2
    assert "--catalogues" in capsys.readouterr().err


def test_check_with_the_independent_catalogues(shared_catalogues, capsys):
    assert main(["check", str(REPO / "policy_docs"), "--catalogues", str(shared_catalogues)]) == 0
    assert "12 documents checked, 0 failed" in capsys.readouterr().out


def test_check_a_stack_file(capsys):
    assert main(["check", str(REPO / "stacks" / "Pulumi.k8s-example.yaml")]) == 0
    assert "(kubernetes, readonly)" in capsys.readouterr().out


def test_a_path_that_is_no_policy_document_is_bad_input(tmp_path, capsys):
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    assert main(["check", str(stray)]) == 2
    assert "a policy document under a provider folder" in capsys.readouterr().err
