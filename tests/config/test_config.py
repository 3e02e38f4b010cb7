"""The stack config contract: good values parse, every bad value stops with one clear error."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from linking.config import LinkSpec
from linking.errors import HIDDEN, LinkConfigError

from ..conftest import REPO

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def parse(link: dict[str, Any], project_root: Path = REPO, **kwargs: Any) -> LinkSpec:
    return LinkSpec.from_config(link, project_root=project_root, now=NOW, **kwargs)


def test_valid_link_parses_with_defaults(link):
    spec = parse(link)
    assert spec.id == "acme-prod"
    assert spec.enabled is True
    assert spec.expires_at is None
    assert spec.aws is not None
    assert spec.aws.max_session_hours == 1
    assert spec.aws.trust == "principal"  # inferred: only controlPlane.aws is set
    assert spec.control_plane.aws is not None
    assert spec.control_plane.aws.external_id is None


def test_expiry_is_normalised_to_utc(link):
    link["expiresAt"] = "2027-06-30T02:00:00+02:00"
    assert parse(link).expires_at == "2027-06-30T00:00:00Z"


def test_oidc_trust_is_inferred_when_only_oidc_is_configured(link):
    link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp", "audience": "sts.amazonaws.com"}}
    assert parse(link).aws.trust == "oidc"


def test_to_config_round_trips(link, tmp_path):
    policy = tmp_path / "p.json"
    policy.write_text("{}")
    link.update(tier="custom", policyFile=policy.name, expiresAt="2027-01-01T00:00:00Z", tags={"team": "core"})
    spec = parse(link, tmp_path)
    assert Path(spec.policy_file) == policy.resolve()
    assert parse({**spec.to_config(), "policyFile": policy.name}, tmp_path) == spec


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(link: dict[str, Any]) -> None:
        node = link
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(link: dict[str, Any]) -> None:
        node = link
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _both(*mutations: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(link: dict[str, Any]) -> None:
        for m in mutations:
            m(link)

    return mutate


BAD_INPUTS = [
    # (case, mutation, key path, bad value shown, words of the expectation)
    ("account id 11 digits", _set("aws.accountId", "12345678901"), "linking:link.aws.accountId", '"12345678901"', "12-digit"),
    ("account id unquoted number", _set("aws.accountId", 123456789012), "linking:link.aws.accountId", "123456789012", "quoted"),
    ("link id upper case", _set("id", "Acme-prod"), "linking:link.id", '"Acme-prod"', "lower-case"),
    ("link id over 30", _set("id", "a" * 31), "linking:link.id", '"' + "a" * 31 + '"', "3 to 30"),
    ("unknown provider", _set("provider", "oracle"), "linking:link.provider", '"oracle"', "one of: aws"),
    ("unknown tier", _set("tier", "owner"), "linking:link.tier", '"owner"', "admin, readonly, custom"),
    ("custom without policyFile", _set("tier", "custom"), "linking:link.policyFile", "(missing)", "path to a policy document"),
    ("policyFile missing", _both(_set("tier", "custom"), _set("policyFile", "policy_docs/custom/nope.json")),
     "linking:link.policyFile", '"policy_docs/custom/nope.json"', "an existing file"),
    ("principal is *", _set("controlPlane.aws.principalArn", "*"), "linking:link.controlPlane.aws.principalArn", '"*"', "without wildcards"),
    ("principal not an ARN", _set("controlPlane.aws.principalArn", "control-plane"), "linking:link.controlPlane.aws.principalArn", '"control-plane"', "ARN"),
    ("principal wildcard", _set("controlPlane.aws.principalArn", "arn:aws:iam::111122223333:role/*"),
     "linking:link.controlPlane.aws.principalArn", '"arn:aws:iam::111122223333:role/*"', "without wildcards"),
    ("external id too short", _set("controlPlane.aws.externalId", "x"), "linking:link.controlPlane.aws.externalId", HIDDEN, "2 to 1,224"),  # a secret is never echoed
    ("external id too long", _set("controlPlane.aws.externalId", "x" * 1225), "linking:link.controlPlane.aws.externalId", None, "2 to 1,224"),
    ("external id bad characters", _set("controlPlane.aws.externalId", "abc def!"), "linking:link.controlPlane.aws.externalId", HIDDEN, "_+=,.@:/-"),
    ("expiresAt not RFC 3339", _set("expiresAt", "30/06/2027"), "linking:link.expiresAt", '"30/06/2027"', "RFC 3339"),
    ("expiresAt without zone", _set("expiresAt", "2027-06-30T00:00:00"), "linking:link.expiresAt", '"2027-06-30T00:00:00"', "time zone"),
    ("expiresAt past", _set("expiresAt", "2026-01-01T00:00:00Z"), "linking:link.expiresAt", '"2026-01-01T00:00:00Z"', "set enabled: false"),
    ("owner missing", _delete("owner"), "linking:link.owner", "(missing)", "who answers for this link"),
    ("maxSessionHours 0", _set("aws.maxSessionHours", 0), "linking:link.aws.maxSessionHours", "0", "1 to 12"),
    ("maxSessionHours 13", _set("aws.maxSessionHours", 13), "linking:link.aws.maxSessionHours", "13", "1 to 12"),
    ("oidc issuer http", _set("controlPlane.oidc", {"issuer": "http://issuer.example", "subject": "cp", "audience": "a"}),
     "linking:link.controlPlane.oidc.issuer", '"http://issuer.example"', "https://"),
    ("oidc trust without audience", _set("controlPlane", {"oidc": {"issuer": "https://issuer.example", "subject": "cp"}}),
     "linking:link.controlPlane.oidc.audience", "(missing)", "audience"),
    ("both trusts, none chosen", _set("controlPlane.oidc", {"issuer": "https://i.example", "subject": "cp", "audience": "a"}),
     "linking:link.aws.trust", "(missing)", "say which one"),
    ("trust principal without controlPlane.aws", _both(_set("aws.trust", "principal"), _set("controlPlane", {"gcp": {"member": "user:a@b.example"}})),
     "linking:link.controlPlane.aws", "(missing)", "principalArn"),
    ("unknown key", _set("aws.region", "eu-west-1"), "linking:link.aws.region", '"eu-west-1"', "no such key"),
    ("reserved tag key", _set("tags", {"linking:owner": "me"}), "linking:link.tags", None, "reserved"),
    ("aws section missing", _delete("aws"), "linking:link.aws", "(missing)", "accountId"),
]


@pytest.mark.parametrize("case,mutate,key_path,shown,expected", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_names_key_value_and_expectation(link, case, mutate, key_path, shown, expected):
    mutate(link)
    with pytest.raises(LinkConfigError) as raised:
        parse(link)
    error = raised.value
    assert error.key_path == key_path
    message = str(error)
    assert message.startswith(f"{key_path}: got ")
    if shown is not None:
        assert f"got {shown};" in message
    assert expected in error.expected


@pytest.mark.parametrize("case,mutate,key_path,shown,expected", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_stops_the_program_before_any_resource(link, plan, case, mutate, key_path, shown, expected):
    if case == "expiresAt past":
        link["expiresAt"] = "2020-01-01T00:00:00Z"  # the program checks against the real clock
    mutate(link)
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == key_path
    assert plan.registered == []


def test_invalid_custom_policy_names_the_statement(link, plan, tmp_path):
    policy = tmp_path / "bad.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3 GetObject", "Resource": "*"},
    ]}))
    link.update(tier="custom", policyFile=policy.name)
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == "linking:link.policyFile.Statement[1].Action[0]"
    assert raised.value.value == HIDDEN and "s3 GetObject" not in str(raised.value)  # a file's content is never echoed
    assert plan.registered == []


@pytest.mark.parametrize(
    "document,key_path,expected",
    [
        ({"Version": "2012-10-17", "Statement": []}, "linking:link.policyFile.Statement", "non-empty"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "linking:link.policyFile.Version", "2012-10-17"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]},
         "linking:link.policyFile.Statement[0].(a key)", "no such key"),
        ({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
         "linking:link.policyFile.Version", "2012-10-17"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}]},
         "linking:link.policyFile.Statement[0]", "exactly one of Action/NotAction"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*:{{Nope}}"}]},
         "linking:link.policyFile", "placeholders"),
    ],
)
def test_custom_policy_grammar_errors(link, plan, tmp_path, document, key_path, expected):
    policy = tmp_path / "custom.json"
    policy.write_text(json.dumps(document))
    link.update(tier="custom", policyFile=policy.name)
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == key_path
    assert expected in raised.value.expected


def test_custom_policy_that_is_not_json(link, plan, tmp_path):
    policy = tmp_path / "custom.json"
    policy.write_text('{"Version": "2012-10-17",\n  "Statement": [}')
    link.update(tier="custom", policyFile=policy.name)
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == "linking:link.policyFile"
    assert "valid JSON (line 2" in raised.value.expected


def test_relative_policy_file_resolves_against_project_root(link):
    link.update(tier="custom", policyFile="policy_docs/aws/readonly.json")
    assert Path(parse(link).policy_file) == REPO / "policy_docs" / "aws" / "readonly.json"


def test_secret_placeholder_accepted_only_for_the_offline_plan(link):
    link["controlPlane"]["aws"]["externalId"] = "[secret]"
    with pytest.raises(LinkConfigError):
        parse(link)
    assert parse(link, allow_unreadable_secrets=True).control_plane.aws.external_id == "[secret]"


def test_spec_built_in_code_is_checked_by_the_same_rules(link):
    spec = parse(link)
    from dataclasses import replace

    bad = replace(spec, aws=replace(spec.aws, account_id="42"))
    with pytest.raises(LinkConfigError) as raised:
        bad.checked()
    assert raised.value.key_path == "AwsSettings.account_id"  # the Python field the program set
    assert spec.checked() is spec  # a parsed spec is not checked twice


@pytest.mark.parametrize(("key_path", "field"), [
    ("linking:link.aws.accountId", "AwsSettings.account_id"),
    ("linking:link.controlPlane.aws.principalArn", "AwsControlPlane.principal_arn"),
    ("linking:link.waivers[0].reason", "Waiver.reason"),
    ("linking:link.id", "LinkSpec.id"),
    ("linking:link.kubernetes.admissionFence.reason", "AdmissionFence.reason"),
])
def test_an_error_in_a_spec_built_in_code_names_the_python_field(key_path, field):
    from linking.config import python_field

    assert python_field(key_path) == field


def test_a_spec_built_in_code_says_its_provider_by_its_settings_and_takes_a_datetime(link):
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    spec = parse(link)
    expiry = datetime(2027, 6, 30, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    built = LinkSpec(id=spec.id, tier="readonly", owner=spec.owner, control_plane=spec.control_plane, aws=spec.aws, expires_at=expiry)
    assert built.provider == "aws" and built.expires_at == "2027-06-30T00:00:00Z"
    assert built.checked().provider == "aws"
    with pytest.raises(LinkConfigError, match="timezone-aware"):
        replace(built, expires_at=datetime(2027, 6, 30))
    with pytest.raises(LinkConfigError, match="exactly one of"):
        LinkSpec(id="x-1", tier="readonly", owner="o@example.com")
