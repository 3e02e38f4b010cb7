"""AwsAccountLink under Pulumi's mock runtime: the resources, their inputs, secrecy and the link record."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pulumi
import pytest

from linking.aws import AwsAccountLink, AwsAccountLinkArgs, AwsNames, documents, render_policy
from linking.config import AwsControlPlane, AwsSettings, ControlPlane, LinkSpec
from linking.errors import LinkConfigError
from linking.planned import Ambient
from linking.plan.runtime import PlanMocks
from linking.planned import Secret
from linking.policy import builtin_document_path
from linking.validation import load_schema

from ..conftest import REPO

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PASSWORD = "random:index/randomPassword:RandomPassword"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
NAMES = AwsNames("acme-prod", "123456789012", "aws")


def trust_of(plan_result) -> dict:
    return json.loads(plan_result.one(ROLE).plain_input("assumeRolePolicy"))


def test_admin_link_creates_role_managed_tier_policies_and_workload_boundary(link, plan):
    result = plan(link)
    component = result.one("linking:aws:AccountLink")
    assert component.name == "acme-prod"
    parts = documents.layout_policy(render_policy(builtin_document_path("aws", "admin"), NAMES, "k").document, "k").managed
    assert sorted(r.type for r in result.resources) == sorted(
        ["linking:aws:AccountLink", PASSWORD, ROLE, POLICY] + [POLICY, ATTACHMENT] * len(parts)
    )
    for resource in result.resources:
        if resource is not component:
            assert resource.parent_urn == component.urn, resource.name
            assert resource.name.startswith("acme-prod-")

    role = result.one(ROLE)
    assert role.inputs["name"] == "linking-acme-prod"
    assert role.inputs["path"] == "/linking/"
    assert role.inputs["maxSessionDuration"] == 3600
    assert "permissionsBoundary" not in role.inputs
    assert role.inputs["tags"] == {
        "linking:link-id": "acme-prod",
        "linking:owner": "platform@acme.example",
        "linking:tier": "admin",
        "linking:expires-at": "never",
        "linking:status": "enabled",
        "managed-by": "pulumi",
    }
    policies = {p.inputs["name"]: p for p in result.by_type(POLICY)}
    assert [json.loads(policies[f"linking-acme-prod-admin-{n}"].inputs["policy"]) for n in range(1, len(parts) + 1)] == list(parts)
    assert result.outputs["linkRecord"]["aws"]["ownership"] == {"tagKey": "linking:owned-by", "tagValue": "acme-prod"}

    boundary = policies["linking-acme-prod-workload-boundary"]
    assert boundary.inputs["name"] == "linking-acme-prod-workload-boundary"
    assert boundary.inputs["path"] == "/linking/"
    record = result.outputs["linkRecord"]
    assert record["aws"]["workloadBoundaryArn"] == NAMES.boundary_policy_arn
    assert record["aws"]["workloadRolePath"] == "/linking-workloads/acme-prod/"


def test_readonly_link_creates_no_workload_boundary(link, plan):
    link["tier"] = "readonly"
    result = plan(link)
    assert all(p.inputs["name"].startswith("linking-acme-prod-readonly-") for p in result.by_type(POLICY))
    record = result.outputs["linkRecord"]["aws"]
    assert record["workloadBoundaryArn"] is None and record["ownership"] is None


def test_generated_external_id_is_secret_everywhere(link, plan):
    result = plan(link)
    password = result.one(PASSWORD)
    assert password.inputs["length"] == 32 and password.inputs["special"] is False
    assert isinstance(result.one(ROLE).inputs["assumeRolePolicy"], Secret)
    assert isinstance(result.outputs["linkSecrets"], Secret)
    assert result.outputs["linkSecrets"].value == {"externalId": "[secret]"}
    record = result.outputs["linkRecord"]
    assert not isinstance(record, Secret)  # the public record reads without --show-secrets
    assert record["authentication"] == {
        "method": "external-id",
        "principalArn": "arn:aws:iam::111122223333:role/control-plane",
        "externalId": "linkSecrets.externalId",
    }


def test_configured_external_id_is_used_and_kept_secret(link, plan):
    link["controlPlane"]["aws"]["externalId"] = "acme-7f3e9c"
    result = plan(link)
    assert result.by_type(PASSWORD) == []
    assert isinstance(result.one(ROLE).inputs["assumeRolePolicy"], Secret)
    assert trust_of(result)["Statement"][0]["Condition"]["StringEquals"] == {"sts:ExternalId": "acme-7f3e9c"}
    assert result.outputs["linkSecrets"] == Secret({"externalId": "acme-7f3e9c"})
    assert "acme-7f3e9c" not in json.dumps(result.outputs["linkRecord"])


def test_link_record_validates_against_its_schema(link, plan):
    record = plan(link).outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["policySha256"] == render_policy(builtin_document_path("aws", "admin"), NAMES, "k").sha256
    assert record["identity"] == {"roleArn": "arn:aws:iam::123456789012:role/linking/linking-acme-prod", "roleName": "linking-acme-prod"}
    assert record["target"] == {"accountId": "123456789012", "partition": "aws"}


def test_expiry_is_enforced_by_the_trust_policy(link, plan):
    link["expiresAt"] = "2027-06-30T00:00:00Z"
    result = plan(link)
    assert trust_of(result)["Statement"][0]["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2027-06-30T00:00:00Z"}
    assert result.one(ROLE).inputs["tags"]["linking:expires-at"] == "2027-06-30T00:00:00Z"
    assert "aws:CurrentTime" in result.outputs["linkRecord"]["expiryEnforcement"]


def test_oidc_trust_creates_the_provider_and_pins_sub_and_aud(link, plan):
    link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example/cp", "subject": "system:control-plane", "audience": "sts.amazonaws.com"}}
    result = plan(link)
    provider = result.one(OIDC_PROVIDER)
    assert provider.inputs["url"] == "https://issuer.example/cp"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    (statement,) = trust_of(result)["Statement"]
    assert statement["Principal"] == {"Federated": "arn:aws:iam::123456789012:oidc-provider/issuer.example/cp"}
    assert statement["Condition"] == {"StringEquals": {"issuer.example/cp:aud": "sts.amazonaws.com", "issuer.example/cp:sub": "system:control-plane"}}
    assert result.by_type(PASSWORD) == []
    assert "linkSecrets" not in result.outputs
    assert result.outputs["linkRecord"]["authentication"]["method"] == "oidc-web-identity"


def test_existing_oidc_provider_is_referenced_not_created(link, plan):
    arn = "arn:aws:iam::123456789012:oidc-provider/issuer.example"
    link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp", "audience": "a", "providerArn": arn}}
    result = plan(link)
    assert result.by_type(OIDC_PROVIDER) == []
    assert trust_of(result)["Statement"][0]["Principal"] == {"Federated": arn}


def test_disabled_link_keeps_role_and_tags_but_nobody_can_assume_it_and_it_holds_nothing(link, plan):
    enabled = plan(link)
    link["enabled"] = False
    disabled = plan(link)
    assert disabled.by_type(ROLE_POLICY) == [] and disabled.by_type(ATTACHMENT) == []
    assert disabled.one(ROLE).urn == enabled.one(ROLE).urn
    assert disabled.one(PASSWORD).urn == enabled.one(PASSWORD).urn  # re-enabling restores the same external ID
    (statement,) = trust_of(disabled)["Statement"]
    assert statement["Effect"] == "Deny" and "Condition" not in statement
    assert disabled.one(ROLE).inputs["tags"]["linking:status"] == "disabled"
    assert disabled.outputs["linkRecord"]["enabled"] is False


def test_revoke_workloads_turns_the_boundary_into_a_deny_all_only_when_disabled(link, plan):
    link["aws"]["revokeWorkloads"] = True
    enabled = plan(link)
    boundary = "linking-acme-prod-workload-boundary"
    normal = json.loads(next(p for p in enabled.by_type(POLICY) if p.inputs["name"] == boundary).inputs["policy"])
    assert normal == render_policy(builtin_document_path("aws", "workload-boundary"), NAMES, "k").document
    link["enabled"] = False
    disabled = plan(link)
    revoked = next(p for p in disabled.by_type(POLICY) if p.inputs["name"] == boundary)
    assert json.loads(revoked.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "LinkDisabledRevokeWorkloads", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]}],
    }
    assert revoked.urn == next(p for p in enabled.by_type(POLICY) if p.inputs["name"] == boundary).urn  # same policy, new text
    assert disabled.outputs["linkRecord"]["aws"]["revokeWorkloads"] is True
    link["aws"]["revokeWorkloads"] = False
    kept = plan(link)
    assert json.loads(next(p for p in kept.by_type(POLICY) if p.inputs["name"] == boundary).inputs["policy"]) == normal


def test_an_expired_link_is_put_to_rest_disabled_and_then_revokes_its_workloads(link, plan):
    link.update(expiresAt="2020-01-01T00:00:00Z", enabled=False)
    link["aws"]["revokeWorkloads"] = True
    result = plan(link)
    boundary = next(p for p in result.by_type(POLICY) if p.inputs["name"] == "linking-acme-prod-workload-boundary")
    assert json.loads(boundary.inputs["policy"])["Statement"][0]["Sid"] == "LinkDisabledRevokeWorkloads"
    assert result.outputs["linkRecord"]["expiresAt"] == "2020-01-01T00:00:00Z"


def test_account_scope_is_the_wider_admin_tier_with_a_lint_warning(link, plan):
    link["aws"]["scope"] = "account"
    result = plan(link)
    record = result.outputs["linkRecord"]
    assert record["policySha256"] == render_policy(builtin_document_path("aws", "admin-account"), NAMES, "k").sha256
    assert record["aws"]["scope"] == "account" and record["aws"]["ownership"] is None
    assert {w.split()[1] for w in record["lint"]["warnings"]} == {"AWS009", "AWS012"}  # and writes to anything
    link["aws"]["scope"] = "everything"
    plan.expect_error(link, "linking:link.aws.scope", "owned (the default")


KMS_CLAIM = {"service": "kms", "reason": "adopts the keys the data team made before linking existed"}


def test_claims_are_an_opt_in_per_service_with_a_reason_a_warning_and_a_record(link, plan):
    default = plan(link)
    link["aws"]["allowClaims"] = [KMS_CLAIM]
    result = plan(link)
    record = result.outputs["linkRecord"]
    statements = [s for p in result.by_type(POLICY) if "workload-boundary" not in p.inputs["name"]
                  for s in json.loads(p.inputs["policy"])["Statement"]]
    claim = next(s for s in statements if s["Sid"] == "ClaimUntaggedResourcesTheStackAllows")
    assert claim["Action"] == ["kms:TagResource"]
    assert claim["Resource"] == ["arn:aws:kms:*:123456789012:key/*"]
    assert claim["Condition"] == {"Null": {"aws:ResourceTag/linking:owned-by": "true"},
                                  "StringEquals": {"aws:RequestTag/linking:owned-by": "acme-prod"}}
    assert record["aws"]["allowClaims"] == [KMS_CLAIM]
    assert default.outputs["linkRecord"]["aws"]["allowClaims"] == []
    assert record["policySha256"] != default.outputs["linkRecord"]["policySha256"]
    assert [w for w in record["lint"]["warnings"] if w.split()[1] == "AWS014"]


@pytest.mark.parametrize("change,key,expected", [
    ({"allowClaims": [{"service": "kms", "reason": "too short"}]}, "linking:link.aws.allowClaims[0].reason", "20 to 500"),
    ({"allowClaims": [{"service": "lambda-functions", "reason": KMS_CLAIM["reason"]}]}, "linking:link.aws.allowClaims[0].service", "admin.claims"),
    ({"allowClaims": [KMS_CLAIM], "scope": "account"}, "linking:link.aws.allowClaims", "tier admin with aws.scope owned"),
])
def test_claims_need_a_known_service_a_reason_and_the_owned_admin_tier(link, plan, change, key, expected):
    link["aws"].update(change)
    plan.expect_error(link, key, expected)


def test_display_name_change_replaces_nothing(link, plan):
    before = plan(link)
    link["displayName"] = "ACME production (EU) ✓"
    after = plan(link)
    assert [r.urn for r in before.resources] == [r.urn for r in after.resources]
    role_before, role_after = before.one(ROLE).inputs, after.one(ROLE).inputs
    assert {k: v for k, v in role_before.items() if k != "description"} == {k: v for k, v in role_after.items() if k != "description"}
    assert role_after["description"] == (
        "linking acme-prod: ACME production (EU) ?; owner platform@acme.example; tier admin; expires never"
    )


def test_session_length_and_boundary_reach_the_role(link, plan):
    link["aws"].update(maxSessionHours=12, permissionsBoundaryArn="arn:aws:iam::123456789012:policy/org-boundary")
    role = plan(link).one(ROLE)
    assert role.inputs["maxSessionDuration"] == 43200
    assert role.inputs["permissionsBoundary"] == "arn:aws:iam::123456789012:policy/org-boundary"


def test_oversized_custom_tier_becomes_attached_managed_policies(link, plan, tmp_path):
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{i}", "Effect": "Allow", "Resource": "*", "Action": [f"svc{i}:ExampleAction{n:04d}" for n in range(200)]}
        for i in range(3)
    ]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(document))
    link.update(tier="custom", policyFile=path.name)
    result = plan(link)
    assert result.by_type(ROLE_POLICY) == []
    policies = sorted(result.by_type(POLICY), key=lambda r: r.name)
    attachments = result.by_type(ATTACHMENT)
    assert [p.inputs["name"] for p in policies] == [f"linking-acme-prod-custom-{n}" for n in range(1, len(policies) + 1)]
    assert len(attachments) == len(policies) >= 2
    arns = [f"arn:aws:iam::123456789012:policy/linking/{p.inputs['name']}" for p in policies]
    assert sorted(result.outputs["linkRecord"]["aws"]["managedPolicyArns"]) == sorted(arns)
    assert sorted(a.inputs["policyArn"] for a in attachments) == sorted(arns)
    assert plan(link).by_type(POLICY)[0].inputs == result.by_type(POLICY)[0].inputs


def test_account_guard_stops_before_anything_is_registered(link, plan):
    with pytest.raises(LinkConfigError) as raised:
        plan(link, ambient=Ambient(aws_account_id="999999999999"))
    message = str(raised.value)
    assert raised.value.key_path == "linking:link.aws.accountId"
    assert "123456789012" in message and "999999999999" in message
    assert plan.registered == []


def test_component_used_directly_from_another_program():
    """What a team does with `pip install 'cloud-linking[aws]'`: a spec in code, Pulumi's own test decorator."""
    pulumi.runtime.settings.reset_options()  # a fresh root stack, as a new program would have
    pulumi.runtime.set_mocks(PlanMocks(Ambient(aws_account_id="210987654321")), preview=False)
    spec = LinkSpec(
        id="team-sandbox",
        provider="aws",
        tier="readonly",
        owner="team@acme.example",
        control_plane=ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::111122223333:role/control-plane")),
        aws=AwsSettings(account_id="210987654321"),
    )
    link = AwsAccountLink("sandbox", AwsAccountLinkArgs(spec))

    @pulumi.runtime.test
    def check():
        def verify(values):
            arn, secret, record = values
            assert arn == "arn:aws:iam::210987654321:role/linking/linking-team-sandbox"
            assert secret is True
            assert record["tier"] == "readonly" and record["provider"] == "aws"

        return pulumi.Output.all(link.role.arn, link.external_id.is_secret(), link.link_record).apply(verify)

    check()


def test_the_readme_unit_test_snippet_runs_as_written(tmp_path):
    """The documented example for Pulumi's own mocks (docs/languages.md), run as a user would run it: pytest on that
    file alone."""
    readme = (REPO / "docs" / "languages.md").read_text()
    (snippet,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "class Mocks(pulumi.runtime.Mocks)" in block]
    (tmp_path / "test_readme_snippet.py").write_text(snippet)
    completed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                               capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "1 passed" in completed.stdout


class VendingMocks(PlanMocks):
    """The plan's mocks, plus what AWS Organizations answers for a new member account."""

    def __init__(self, account_id: str) -> None:
        super().__init__(Ambient(aws_account_id=account_id))
        self.account_id = account_id

    def new_resource(self, args):
        if args.typ == "aws:organizations/account:Account":
            return self.account_id, {**args.inputs, "id": self.account_id, "arn": f"arn:aws:organizations::1:account/o-x/{self.account_id}"}
        return super().new_resource(args)


def _vend_and_link(account_id: str, **settings):
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(VendingMocks(account_id), preview=False)
    account = aws_sdk().organizations.Account("team", name="team", email="team@acme.example")
    spec = LinkSpec(
        id="team", tier="admin", owner="team@acme.example",
        control_plane=ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::111122223333:role/control-plane")),
        aws=AwsSettings(account_id=account.id, **settings),
    )
    return account, AwsAccountLink("team", AwsAccountLinkArgs(spec))


def aws_sdk():
    import pulumi_aws

    return pulumi_aws


def test_a_program_vends_an_account_and_links_it_in_one_run():
    """The account id is an Output: documents are rendered with a stand-in and get the real id when it resolves."""
    _, link = _vend_and_link("345678901234")

    @pulumi.runtime.test
    def check():
        def verify(values):
            record, trust, sha = values
            assert record["target"]["accountId"] == "345678901234"
            assert record["aws"]["workloadBoundaryArn"].startswith("arn:aws:iam::")
            assert "000000000000" not in json.dumps(record) and "000000000000" not in trust
            rendered = render_policy(builtin_document_path("aws", "admin"), AwsNames("team", "345678901234", "aws"), "k")
            assert sha == rendered.sha256  # the digest of what is applied, not of the stand-in

        return pulumi.Output.all(link.link_record, link.role.assume_role_policy, link.link_record["policySha256"]).apply(verify)

    check()


def test_a_vended_account_id_is_checked_when_it_resolves():
    """A malformed id (say, a mistaken attribute) stops the documents that would name it."""
    _, link = _vend_and_link("12345")

    @pulumi.runtime.test
    def check():
        return link.link_record.apply(lambda record: None)

    with pytest.raises(Exception, match="AwsSettings.account_id"):
        check()


def test_the_plan_shows_the_reads_the_readonly_tier_keeps_by_its_ledger(link, plan):
    link["tier"] = "readonly"
    warnings = plan(link).outputs["linkRecord"]["lint"]["warnings"]
    assert any("LEDGER001" in w and "lambda:ListFunctions" in w for w in warnings), warnings
    link["tier"] = "admin"
    assert not any("LEDGER001" in w for w in plan(link).outputs["linkRecord"]["lint"]["warnings"])
