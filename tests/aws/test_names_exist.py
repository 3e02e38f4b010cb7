"""Every name the AWS tiers use exists: service principals, condition keys and ARN shapes, each checked against a
sourced list, as actions are checked against the catalogue. A misspelt principal (``eks-pods.amazonaws.com``) or
a key the action never carries makes a statement that silently never matches, or a negated condition that always
holds."""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache

import pytest

from linking.aws import AwsNames, render_policy

from linking.aws.catalogue import aws_managed_policies, aws_resource_arns
from linking.policy import builtin_document_path
from ..generators import generator

_tiers = generator("aws_tiers")
ServiceData = _tiers.ServiceData

NAMES = AwsNames("acme-prod", "123456789012", "aws")
DOCUMENTS = ("admin", "admin-account", "readonly", "workload-boundary")
PRINCIPAL_KEYS = ("iam:PassedToService", "iam:AWSServiceName")
PLACE = {"Partition": "aws", "Region": "eu-west-1", "Account": NAMES.account_id}

SERVICE_LINKED_ONLY = {
    # Service names of service-linked roles that no AWS managed policy names in a condition, so the snapshot of
    # managed policies cannot vouch for them. Source: Amazon EKS User Guide, "Using service-linked roles for
    # Amazon EKS" (AWSServiceRoleForAmazonEKSNodegroup trusts eks-nodegroup.amazonaws.com,
    # AWSServiceRoleForAmazonEKSForFargate trusts eks-fargate.amazonaws.com).
    "eks-fargate.amazonaws.com",
    "eks-nodegroup.amazonaws.com",
}
GLOBAL_KEYS = {"aws:currenttime", "aws:tagkeys", "aws:requesttag/", "aws:resourcetag/"}
"""Global condition keys the documents use (the IAM User Guide's global condition context keys)."""


def rendered(name: str) -> dict:
    return render_policy(builtin_document_path("aws", name), NAMES, name).document


@cache
def data() -> ServiceData:
    return ServiceData()


@cache
def known_principals() -> frozenset[str]:
    """Every service principal AWS's own managed policies name (the shipped snapshot)."""
    text = json.dumps(aws_managed_policies())
    return frozenset(re.findall(r'"([a-z0-9.-]+\.amazonaws\.com)"', text)) | SERVICE_LINKED_ONLY


def _actions(statement: dict) -> list[tuple[str, str]]:
    found = []
    for pattern in statement.get("Action", []):
        service, _, name = pattern.partition(":")
        found += [(service, f.name.split(":")[1]) for f in data().actions(service)
                  if re.fullmatch(name.replace("*", ".*"), f.name.split(":")[1], re.IGNORECASE)]
    return found


def _keys_of(service: str, action: str) -> set[str]:
    details = data().details(service, action)
    keys = set(details.get("conditionKeys", []))
    for row in details.get("resourceTypes", []):
        keys |= set(row.get("conditionKeys", [])) | data().type_keys(service, row["name"])
    return {k.lower() for k in keys}


def _conditions(name: str):
    for statement in rendered(name)["Statement"]:
        for operator, block in (statement.get("Condition") or {}).items():
            for key, value in block.items():
                yield statement, operator, key, value


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_service_principal_a_tier_names_exists(name):
    named = {v for _, _, key, value in _conditions(name) if key in PRINCIPAL_KEYS
             for v in (value if isinstance(value, list) else [value])}
    assert named <= known_principals(), sorted(named - known_principals())


def test_the_pod_identity_principal_is_the_one_eks_documents():
    passed = next(s for s in rendered("admin")["Statement"] if s["Sid"] == "PassWorkloadRolesOnlyToComputeServices")
    assert "pods.eks.amazonaws.com" in passed["Condition"]["StringEquals"]["iam:PassedToService"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_condition_key_applies_to_every_action_it_fences(name):
    """A service key must be one the reference lists for each action of an Allow (else the Allow never matches,
    or a negated condition always holds) and for some action of a Deny."""
    wrong = []
    for statement, _, key, _ in _conditions(name):
        lowered = key.lower()
        if lowered.startswith("aws:"):
            assert any(lowered == g or (g.endswith("/") and lowered.startswith(g)) for g in GLOBAL_KEYS), key
            continue
        actions = _actions(statement)
        supported = [a for a in actions if lowered in _keys_of(*a)]
        if not supported or (statement["Effect"] == "Allow" and len(supported) < len(actions)):
            wrong.append(f"{statement.get('Sid')}: {key} on {sorted(set(actions) - set(supported))[:5]}")
    assert not wrong, wrong


def _format_regex(arn_format: str) -> re.Pattern[str]:
    """Variables match any text; region and account may be empty (AWS's public SSM parameters have no account)."""
    parts = re.split(r"(\$\{\w+\})", arn_format)
    return re.compile("".join((".*" if p in ("${Region}", "${Account}") else ".+") if p.startswith("${") else re.escape(p)
                              for p in parts))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_resource_arn_has_a_shape_aws_documents(name):
    """Each ARN pattern, its wildcards filled, is an ARN of its service's reference formats."""
    wrong = []
    for statement in rendered(name)["Statement"]:
        resources = statement.get("Resource", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            if resource == "*":
                continue
            service = resource.split(":")[2]
            sample = resource.replace("*", "x1")
            formats = (aws_resource_arns(service) or {}).values()
            examples = [re.sub(r"\$\{(\w+)\}", lambda m: PLACE.get(m.group(1), "x1"), f) for f in formats]
            # the pattern, wildcards filled, is one of the formats; or it matches an example of one (``/*``)
            if not any(_format_regex(f).fullmatch(sample) for f in formats) and \
                    not any(fnmatch.fnmatchcase(example, resource) for example in examples):
                wrong.append(resource)
    assert not wrong, wrong
