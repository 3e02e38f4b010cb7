"""AWS trust and permission documents: golden files, canonical form, real catalogue, IAM grammar (moto)."""

from __future__ import annotations

import json
import random

import boto3
import pytest
from moto import mock_aws
from moto.iam.access_control import IAMPolicy, PermissionResult

from linking.aws import AwsNames, documents as iam, render_policy
from linking.policy import RenderedDocument
from linking.canonical import canonical_json
from linking.errors import LinkConfigError
from linking.policy import builtin_document_path, policy_docs_root

from linking.catalogue import Catalogue
from ..conftest import REPO

NAMES = AwsNames("acme-prod", "123456789012", "aws")
AWS_DOCUMENTS = ("admin", "readonly", "workload-boundary")
CONTROL_PLANE = "arn:aws:iam::111122223333:role/control-plane"
EXTERNAL_ID = "3f1c9e0d-example-external-id"
ISSUER = "https://token.actions.githubusercontent.com"


def rendered(name: str) -> RenderedDocument:
    return render_policy(builtin_document_path("aws", name), NAMES, f"policy_docs/aws/{name}")


TRUSTS = {
    "trust-principal": iam.trust_policy(iam.principal_trust_statement(CONTROL_PLANE, EXTERNAL_ID)),
    "trust-principal-expiring": iam.trust_policy(
        iam.principal_trust_statement(CONTROL_PLANE, EXTERNAL_ID), expires_at="2027-06-30T00:00:00Z"
    ),
    "trust-principal-disabled": iam.trust_policy(
        iam.principal_trust_statement(CONTROL_PLANE, EXTERNAL_ID), expires_at="2027-06-30T00:00:00Z", enabled=False
    ),
    "trust-oidc": iam.trust_policy(
        iam.web_identity_trust_statement(
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            ISSUER,
            "sts.amazonaws.com",
            "repo:acme/control-plane:environment:prod",
        )
    ),
}


@pytest.mark.parametrize("name", AWS_DOCUMENTS)
def test_permission_documents_match_golden(name, golden):
    golden(f"aws/{name}.json", canonical_json(rendered(name).document, pretty=True))


@pytest.mark.parametrize("name", sorted(TRUSTS))
def test_trust_documents_match_golden(name, golden):
    golden(f"aws/{name}.json", canonical_json(TRUSTS[name], pretty=True))


def test_principal_trust_has_exactly_the_external_id_and_expiry_conditions():
    (statement,) = TRUSTS["trust-principal-expiring"]["Statement"]
    assert statement["Principal"] == {"AWS": CONTROL_PLANE}
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Condition"] == {
        "StringEquals": {"sts:ExternalId": EXTERNAL_ID},
        "DateLessThan": {"aws:CurrentTime": "2027-06-30T00:00:00Z"},
    }


def test_oidc_trust_pins_audience_and_subject():
    (statement,) = TRUSTS["trust-oidc"]["Statement"]
    assert statement["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/control-plane:environment:prod",
        }
    }


def test_disabled_trust_denies_the_same_principal_without_conditions():
    (statement,) = TRUSTS["trust-principal-disabled"]["Statement"]
    assert statement == {"Sid": "LinkDisabled", "Effect": "Deny", "Principal": {"AWS": CONTROL_PLANE}, "Action": ["sts:AssumeRole"]}


def test_no_trust_document_has_a_wildcard_principal():
    for name, document in TRUSTS.items():
        for statement in document["Statement"]:
            for value in statement["Principal"].values():
                assert "*" not in value, name


@pytest.mark.parametrize("name", AWS_DOCUMENTS)
def test_shipped_documents_are_stored_in_canonical_form(name):
    """What a reviewer reads in policy_docs/ is byte for byte what the renderer would write."""
    path = builtin_document_path("aws", name)
    text = path.read_text(encoding="utf-8")
    assert text == canonical_json(iam.canonical_policy(json.loads(text)), pretty=True)


def test_rendering_is_canonical_whatever_the_input_order(tmp_path):
    document = json.loads(builtin_document_path("aws", "readonly").read_text())
    shuffled = json.loads(json.dumps(document))
    rng = random.Random(7)
    for statement in shuffled["Statement"]:
        rng.shuffle(statement["Action"])
        statement["Action"].append(statement["Action"][0])  # a duplicate
    path = tmp_path / "shuffled.json"
    path.write_text(json.dumps(shuffled, indent=7))
    first = render_policy(builtin_document_path("aws", "readonly"), NAMES, "k")
    second = render_policy(path, NAMES, "k")
    assert second.text == first.text
    assert second.sha256 == first.sha256
    assert render_policy(path, NAMES, "k").text == second.text


def test_placeholders_are_all_filled_and_iam_variables_left_alone(tmp_path):
    path = tmp_path / "vars.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:{{Partition}}:s3:::{{LinkId}}-${aws:username}"}
    ]}))
    text = render_policy(path, NAMES, "k").text
    assert "arn:aws:s3:::acme-prod-${aws:username}" in text
    for name in AWS_DOCUMENTS:
        assert "{{" not in rendered(name).text


# --- the real catalogue -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def aws_catalogue(catalogues: dict[str, Catalogue]) -> Catalogue:
    return catalogues["aws"]


def _actions(document: dict) -> list[str]:
    return [a for s in document["Statement"] for key in ("Action", "NotAction") for a in s.get(key, [])]


@pytest.mark.parametrize("name", AWS_DOCUMENTS)
def test_every_granted_action_exists_in_the_aws_catalogue(name, aws_catalogue):
    actions = _actions(rendered(name).document)
    assert actions
    assert aws_catalogue.unknown(actions) == []


def test_trust_actions_exist_in_the_aws_catalogue(aws_catalogue):
    assert aws_catalogue.unknown([a for d in TRUSTS.values() for a in _actions(d)]) == []


def test_catalogue_check_catches_typos_and_empty_wildcards(aws_catalogue):
    assert aws_catalogue.unknown(["s3:GetObjects", "ec2:Descrbe*", "s3:GetObject", "ec2:Describe*"]) == [
        "ec2:Descrbe*",
        "s3:GetObjects",
    ]


def test_workload_boundary_has_no_iam_writes(aws_catalogue):
    granted = {m for a in _actions(rendered("workload-boundary").document) for m in aws_catalogue.matches(a)}
    assert not {a for a in granted if a.startswith(("iam:", "organizations:", "sts:", "account:"))}


def test_trust_evaluation_requires_the_external_id():
    policy = IAMPolicy(canonical_json(TRUSTS["trust-principal"]))
    assert policy.is_action_permitted("sts:AssumeRole", principal=CONTROL_PLANE,
                                      incoming_condition_values={"sts:ExternalId": EXTERNAL_ID}) == PermissionResult.PERMITTED
    assert policy.is_action_permitted("sts:AssumeRole", principal=CONTROL_PLANE,
                                      incoming_condition_values={"sts:ExternalId": "guess"}) != PermissionResult.PERMITTED


# --- IAM accepts the documents (moto's IAM grammar validators) ------------------------------------


@mock_aws
def test_iam_accepts_trust_and_permission_documents():
    client = boto3.client("iam", region_name="us-east-1")
    client.create_role(RoleName="linking-acme-prod", Path="/linking/", AssumeRolePolicyDocument=canonical_json(TRUSTS["trust-principal"]))
    for document in TRUSTS.values():
        client.update_assume_role_policy(RoleName="linking-acme-prod", PolicyDocument=canonical_json(document))
    for name in ("admin", "readonly"):
        client.put_role_policy(RoleName="linking-acme-prod", PolicyName=f"linking-acme-prod-{name}", PolicyDocument=rendered(name).text)
    client.create_policy(PolicyName="linking-acme-prod-workload-boundary", Path="/linking/", PolicyDocument=rendered("workload-boundary").text)


@mock_aws
def test_moto_rejects_a_malformed_document():
    """Sanity check of the oracle itself: moto does reject a malformed document."""
    client = boto3.client("iam", region_name="us-east-1")
    client.create_role(RoleName="r", AssumeRolePolicyDocument=canonical_json(TRUSTS["trust-principal"]))
    with pytest.raises(client.exceptions.MalformedPolicyDocumentException):
        client.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}')


# --- size limits -------------------------------------------------------------------------------------


def big_document(statements: int, actions_per_statement: int) -> dict:
    """A grammatical document of made-up actions, as large as asked (catalogue data stays out of the repo)."""
    return iam.canonical_policy({"Version": "2012-10-17", "Statement": [
        {"Sid": f"Part{i}", "Effect": "Allow", "Resource": "*",
         "Action": [f"svc{i}:ExampleAction{n:04d}" for n in range(actions_per_statement)]}
        for i in range(statements)
    ]})


def test_small_documents_stay_inline():
    document = rendered("workload-boundary").document
    layout = iam.layout_policy(document, "k")
    assert layout.inline == document and layout.managed == ()
    assert iam.policy_size(document) <= iam.MANAGED_LIMIT, "a permissions boundary is one managed policy"


@pytest.mark.parametrize("name", ["admin", "readonly"])
def test_the_generated_tiers_fit_a_role_as_managed_policies(name):
    layout = iam.layout_policy(rendered(name).document, "k")
    assert layout.inline is None and 1 < len(layout.managed) <= iam.MANAGED_PER_ROLE
    assert all(iam.policy_size(part) <= iam.MANAGED_LIMIT for part in layout.managed)


def test_large_document_splits_deterministically_into_managed_policies(golden):
    document = big_document(statements=2, actions_per_statement=250)  # each statement alone is over 6,144
    assert iam.policy_size(document) > iam.INLINE_LIMIT
    layout = iam.layout_policy(document, "k")
    assert layout.inline is None
    assert 2 <= len(layout.managed) <= iam.MANAGED_PER_ROLE
    assert all(iam.policy_size(d) <= iam.MANAGED_LIMIT for d in layout.managed)
    assert sorted(_actions(document)) == sorted(a for d in layout.managed for a in _actions(d))
    assert iam.layout_policy(document, "k") == layout
    golden("aws/split-managed.json", canonical_json(list(layout.managed), pretty=True))


@mock_aws
def test_iam_accepts_every_split_part():
    client = boto3.client("iam", region_name="us-east-1")
    for i, document in enumerate(iam.layout_policy(big_document(2, 250), "k").managed):
        client.create_policy(PolicyName=f"part-{i}", PolicyDocument=canonical_json(document))


def test_document_too_large_for_ten_managed_policies_says_by_how_much():
    with pytest.raises(LinkConfigError) as raised:
        iam.layout_policy(big_document(statements=30, actions_per_statement=100), "linking:link.policyFile")
    error = raised.value
    assert error.key_path == "linking:link.policyFile"
    assert "fits 10 managed policies of 6144 characters" in error.expected
    assert "too many" in error.expected


def test_not_action_statement_too_large_is_refused_rather_than_widened():
    document = big_document(1, 600)
    document["Statement"][0]["NotAction"] = document["Statement"][0].pop("Action")
    with pytest.raises(LinkConfigError) as raised:
        iam.layout_policy(document, "k")
    assert raised.value.key_path == "k statement Part0"


def test_max_length_external_id_keeps_trust_under_the_default_quota():
    document = iam.trust_policy(iam.principal_trust_statement(CONTROL_PLANE, "x" * 1224), expires_at="2027-06-30T00:00:00Z")
    assert iam.policy_size(document) <= 2048


def test_policy_docs_root_is_the_checkout_in_development():
    assert policy_docs_root() == REPO / "policy_docs"


def test_trust_over_the_quota_says_by_how_much():
    document = iam.trust_policy(iam.principal_trust_statement(CONTROL_PLANE, "x" * 1224))
    iam.check_trust_size(document, "k")
    document["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "x" * 2100
    with pytest.raises(LinkConfigError) as raised:
        iam.check_trust_size(document, "k")
    assert "at most 2048 characters" in raised.value.expected and "over" in raised.value.expected


def _string_constraints(node, found=None):
    """Every keyword of the IAM schema that constrains a string's content."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("pattern", "maxLength", "minLength", "format", "propertyNames", "patternProperties"):
                found.append((key, json.dumps(value, sort_keys=True)))
            _string_constraints(value, found)
    elif isinstance(node, list):
        for item in node:
            _string_constraints(item, found)
    return sorted(found)


def test_the_iam_schema_cannot_tell_one_placeholder_value_from_another():
    """What lets a tier's grammar be checked once per file: the only string constraints are these three patterns.
    A value's shape (braces, "arn:" kept) fails the action and Sid patterns, and where the resource pattern
    accepts it, it accepts any value of that shape. A new constraint fails here until the fast path in
    linking.policy is thought through again."""
    schema = json.loads((REPO / "linking" / "schemas" / "aws-iam-policy.schema.json").read_text())
    assert _string_constraints(schema) == sorted([
        ("pattern", json.dumps("^([a-z0-9-]+:[A-Za-z0-9*?]+|\\*)$")),
        ("pattern", json.dumps("^(\\*|arn:[^\\s]+)$")),
        ("pattern", json.dumps("^[A-Za-z0-9]*$")),
    ])


@pytest.mark.parametrize("document", ["admin", "admin-account", "readonly", "workload-boundary"])
def test_a_tier_rendered_on_the_fast_path_is_what_the_full_check_gives(document):
    from linking import policy

    path = builtin_document_path("aws", document)
    names = AwsNames("team-7", "345678901234", "aws-us-gov")
    fast = render_policy(path, names, "k")
    template = policy._template(path, path.stat().st_mtime_ns, "k")
    shapes = tuple((name, policy._shape(value)) for name, value in sorted(names.placeholders().items()))
    assert policy._passes_with_shapes(path, path.stat().st_mtime_ns, shapes, iam.check_identity_policy, "k")
    full = iam.check_identity_policy(policy.fill_placeholders(template, names.placeholders(), "k"), "k")
    assert fast.document == full


def test_a_placeholder_where_the_grammar_looks_at_its_value_takes_the_full_check(tmp_path):
    """In a Sid or an action the template itself fails the grammar, so each link's value is checked: one that
    breaks the Sid pattern is an error, as it was before the fast path."""
    path = tmp_path / "custom.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Link{{LinkId}}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:{{Partition}}:s3:::b/*"}]}))
    with pytest.raises(LinkConfigError, match="Sid"):
        render_policy(path, AwsNames("team-7", "345678901234", "aws"), "k")
    assert render_policy(path, AwsNames("team7", "345678901234", "aws"), "k").document["Statement"][0]["Sid"] == "Linkteam7"


def test_managed_policies_are_packed_full_by_sizes_added_up():
    """The layout adds statement sizes instead of measuring each growing document: the sum is exact, every part
    fits, and no part could have taken the next part's first statement."""
    names = AwsNames("team-7", "345678901234", "aws")
    layout = iam.layout_policy(render_policy(builtin_document_path("aws", "admin"), names, "k").document, "k")
    assert len(layout.managed) > 1
    for document in layout.managed:
        statements = document["Statement"]
        assert iam.policy_size(document) == iam._EMPTY_SIZE + sum(iam.policy_size(s) for s in statements) + len(statements) - 1
        assert iam.policy_size(document) <= iam.MANAGED_LIMIT
    for document, following in zip(layout.managed, layout.managed[1:]):
        assert iam.policy_size(iam._document(document["Statement"] + following["Statement"][:1])) > iam.MANAGED_LIMIT
