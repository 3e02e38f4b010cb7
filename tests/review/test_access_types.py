"""Every access-granting resource type of the four providers is reviewed in a program: the list is derived from
the provider SDKs (their schemas), and a resource of any listed type shows in the review."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from linking.catalogue import access_resource_types
from linking.cli import main
from linking.review.diff import diff_plans, load_plan
from linking.review.per_provider import reviewed_inputs

from ..builders import write_project

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import access_resource_types as generator  # noqa: E402  (the script that derives the catalogue)


@pytest.mark.skipif(any(importlib.util.find_spec(p) is None for ps in generator.PACKAGES.values() for p in ps),
                    reason="the all extra is not installed")
def test_the_shipped_list_is_what_the_installed_sdks_give():
    shipped = json.loads((REPO / "linking" / "catalogues" / "access-resource-types.json").read_text())
    for package in (p for ps in generator.PACKAGES.values() for p in ps):
        assert shipped["sdkVersions"][package] == generator.importlib.metadata.version(package.replace("_", "-")), (
            f"{package} changed: run scripts/access_resource_types.py and review the new list")
    derived = {provider: {} for provider in generator.PACKAGES}
    for provider, packages in generator.PACKAGES.items():
        for package in packages:
            for token, inputs in generator.sdk_types(package).items():
                chosen = generator.access_inputs(provider, token, inputs)
                if chosen is not None:
                    derived[provider][token] = [generator._camel(key) for key in chosen]
    assert derived == shipped["types"]


def test_the_list_covers_what_each_review_reads_and_the_named_classes():
    types = {t for provider in access_resource_types().values() for t in provider}
    assert set(reviewed_inputs()) - types == set()
    for expected in ("aws:iam/policyAttachment:PolicyAttachment", "aws:iam/userPolicy:UserPolicy", "aws:s3/bucketPolicy:BucketPolicy",
                     "aws:lambda/permission:Permission", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                     "aws:cloudformation/stack:Stack", "gcp:projects/iAMBinding:IAMBinding", "gcp:organizations/iAMBinding:IAMBinding",
                     "gcp:folder/iAMPolicy:IAMPolicy", "gcp:storage/bucketIAMMember:BucketIAMMember",
                     "azure-native:authorization:RoleAssignment", "azure-native:resources:Deployment",
                     "azure-native:keyvault:Vault", "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
                     "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:yaml/v2:ConfigGroup",
                     "kubernetes:helm.sh/v4:Chart", "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy"):
        assert expected in types, expected


BASE = '''
from pathlib import Path
from linking import program
program.run(Path(__file__).resolve().parent)
'''
HEAD = BASE + '''
import json
import pulumi_aws as aws
import pulumi_kubernetes as k8s

outside = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
           "Principal": {"AWS": "arn:aws:iam::999988887777:root"}}]}
aws.iam.Role("ops", assume_role_policy=json.dumps(outside),
             managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"],
             inline_policies=[{"name": "all", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})}])
aws.iam.UserPolicy("deploy-user", user="deployer", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))
aws.s3.BucketPolicy("public", bucket="acme-data", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data/*"}]}))
k8s.yaml.v2.ConfigGroup("rbac", yaml="""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
""")
'''


def test_access_resources_outside_our_components_are_reviewed(tmp_path, capsys):
    write_project(tmp_path, "platform")
    (tmp_path / "Pulumi.dev.yaml").write_text((REPO / "stacks" / "Pulumi.aws-readonly-example.yaml").read_text())
    for name, program in (("base", BASE), ("head", HEAD)):
        (tmp_path / "__main__.py").write_text(program)
        assert main(["plan", str(tmp_path / "Pulumi.dev.yaml"), "--quiet", "--json", str(tmp_path / f"{name}.json")]) == 0, capsys.readouterr().err
    diff = diff_plans(load_plan(tmp_path / "base.json"), load_plan(tmp_path / "head.json"))
    by_key = {link["key"].rsplit("/", 1)[-1]: link for link in diff["links"]}
    aws_entry, k8s_entry = by_key["resources:aws"], by_key["resources:kubernetes"]
    granted = "\n".join(aws_entry["granted"])
    assert "AdministratorAccess" in granted and "Allow s3:* on *" in granted and "Allow iam:* on *" in granted
    assert any("access resource added: aws:s3/bucketPolicy:BucketPolicy public" in r for r in aws_entry["risks"])
    assert any("access resource added: kubernetes:yaml/v2:ConfigGroup rbac" in r and "cluster-admin" in r for r in k8s_entry["risks"])
    assert diff["risky"]
