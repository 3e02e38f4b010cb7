"""The component package for other Pulumi languages: its schema (from Pulumi's own analyzer, in-process), its
drift from the stack-file settings, and its components under the mock runtime."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from linking import plugin
from linking.errors import LinkConfigError
from linking.planned import Ambient
from linking.plan.runtime import PlanMocks
from linking.validation import load_schema

from .conftest import REPO

SCHEMA = REPO / "plugin" / "schema.json"


def test_the_checked_in_schema_is_what_the_analyzer_derives():
    """Regenerate with `python -m linking.plugin > plugin/schema.json` and review the diff."""
    assert json.loads(SCHEMA.read_text()) == json.loads(json.dumps(plugin.schema()))


def _config_paths(node: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, value in node.get("properties", {}).items():
        paths.add(prefix + name)
        nested = value.get("items", value) if value.get("type") == "array" else value
        if "properties" in nested:
            paths |= _config_paths(nested, f"{prefix}{name}.")
    return paths


def _input_paths(schema: dict[str, Any], properties: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, value in properties.items():
        paths.add(prefix + name)
        ref = value.get("$ref") or value.get("items", {}).get("$ref")
        if ref and ref.startswith("#/types/"):
            paths |= _input_paths(schema, schema["types"][ref[len("#/types/"):]].get("properties", {}), f"{prefix}{name}.")
    return paths


@pytest.mark.parametrize("component,provider", [("AwsAccountLink", "aws"), ("AzureSubscriptionLink", "azure"),
                                                ("GcpProjectLink", "gcp"), ("KubernetesClusterLink", "kubernetes")])
def test_every_stack_file_setting_is_an_input_of_the_component(component, provider):
    config = _config_paths(load_schema("link-config.schema.json"))
    others = {p for p in ("aws", "azure", "gcp", "kubernetes") if p != provider}
    wanted = {p for p in config if p.split(".")[0] not in others | {"provider"}}
    schema = plugin.schema()
    assert _input_paths(schema, schema["resources"][f"linking:index:{component}"]["inputProperties"]) == wanted


ARGS = {
    "id": "vended", "tier": "readonly", "owner": "platform@acme.example",
    "control_plane": {"aws": {"principal_arn": "arn:aws:iam::111122223333:role/control-plane"}},
    "aws": {"account_id": "210987654321", "max_session_hours": 2},
}


def _run(make) -> list[Any]:
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(PlanMocks(Ambient(aws_account_id="210987654321")), preview=False)
    return make()


def test_the_hosted_aws_component_builds_the_python_one_as_its_child():
    link = _run(lambda: plugin.AwsAccountLink("vended", ARGS))

    @pulumi.runtime.test
    def check():
        def verify(values):
            arn, record, secret = values
            assert arn == "arn:aws:iam::210987654321:role/linking/linking-vended"
            assert record["aws"]["maxSessionSeconds"] == 7200 and record["tier"] == "readonly"
            assert secret is True

        return pulumi.Output.all(link.role_arn, link.link_record, link.link_secrets.is_secret()).apply(verify)

    check()


@pytest.mark.parametrize("change,key_path,expected", [
    (lambda a: a.update(owner=pulumi.Output.from_input("platform@acme.example")), "linking:link.owner", "a value known"),
    (lambda a: a["aws"].update(account_id="1234"), "linking:link.aws.accountId", "12-digit"),
    (lambda a: a.update(tier="custom", policy_file="custom.json"), "linking:link.policyFile", "no policy file here"),
])
def test_bad_args_name_the_setting_before_anything_registers(change, key_path, expected):
    args = json.loads(json.dumps(ARGS))
    change(args)
    with pytest.raises(LinkConfigError) as raised:
        _run(lambda: plugin.AwsAccountLink("vended", args))
    assert raised.value.key_path == key_path and expected in raised.value.expected


def test_the_hosted_component_takes_a_vended_account_id_as_an_output():
    args = json.loads(json.dumps(ARGS))
    args["aws"]["account_id"] = pulumi.Output.from_input("210987654321")
    link = _run(lambda: plugin.AwsAccountLink("vended", args))

    @pulumi.runtime.test
    def check():
        def verify(record):
            assert record["target"]["accountId"] == "210987654321"

        return link.link_record.apply(verify)

    check()


def _run_in(ambient: Ambient, make) -> Any:
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(PlanMocks(ambient), preview=False)
    return make()


def test_the_hosted_components_take_a_vended_subscription_and_project_as_outputs():
    """From TypeScript or YAML too: a subscription alias's id and a project the program creates, checked against
    the credentials when they resolve."""
    subscription, tenant = "6f1d3a52-9c1e-4b1a-8f3e-2d7c5b9a0e11", "0a3c1d2e-4f5b-4c6d-8e7f-9a0b1c2d3e4f"
    owner, oidc = "platform@acme.example", {"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:acme/cp:ref:refs/heads/main"}
    azure = _run_in(Ambient(azure_subscription_id=subscription, azure_tenant_id=tenant), lambda: plugin.AzureSubscriptionLink("vended", {
        "id": "vended", "tier": "readonly", "owner": owner, "control_plane": {"oidc": oidc},
        "azure": {"subscription_id": pulumi.Output.from_input(subscription), "tenant_id": pulumi.Output.from_input(tenant), "location": "westeurope"},
    }))
    pulumi.runtime.test(lambda: azure.link_record.apply(lambda record: assert_target(record, {"subscriptionId": subscription, "tenantId": tenant})))()
    gcp = _run_in(Ambient(gcp_project="team-apps-7f3a"), lambda: plugin.GcpProjectLink("vended", {
        "id": "vended", "tier": "readonly", "owner": owner, "control_plane": {"oidc": {**oidc, "audience": "linking"}},
        "gcp": {"project": pulumi.Output.from_input("team-apps-7f3a"), "access": "workload-identity"},
    }))
    pulumi.runtime.test(lambda: gcp.link_record.apply(lambda record: assert_target(record, {"projectId": "team-apps-7f3a"})))()


def assert_target(record: dict, expected: dict) -> None:
    assert {key: record["target"][key] for key in expected} == expected


def test_the_schema_says_what_other_languages_need():
    """Required inputs, enums and descriptions from the stack-config schema; secrets marked; the record typed; the
    package's own version; the plugin installs linking from the checkout it lives in."""
    schema = json.loads(SCHEMA.read_text())
    assert schema["version"] == plugin._version() != "0.0.0"
    aws = schema["resources"]["linking:index:AwsAccountLink"]
    assert aws["requiredInputs"] == ["aws", "id", "owner", "tier"]
    assert aws["inputProperties"]["tier"]["$ref"] == "#/types/linking:index:Tier"
    assert sorted(e["value"] for e in schema["types"]["linking:index:Tier"]["enum"]) == ["admin", "custom", "readonly"]
    assert schema["types"]["linking:index:AwsSettingsArgs"]["properties"]["scope"]["$ref"] == "#/types/linking:index:AwsSettingsScope"
    assert aws["properties"]["linkSecrets"]["secret"] is True
    assert schema["types"]["linking:index:ControlPlaneAwsArgs"]["properties"]["externalId"]["secret"] is True
    assert aws["properties"]["linkRecord"]["$ref"] == "#/types/linking:index:LinkRecord"
    assert schema["types"]["linking:index:LinkRecord"]["properties"]["linkId"]["type"] == "string"
    undescribed = [f"{token}.{name}" for token, kind in [*schema["resources"].items(), *schema["types"].items()]
                   for name, prop in (kind.get("inputProperties") or kind.get("properties") or {}).items()
                   if not prop.get("description")]
    assert undescribed == []
    requirement = [line for line in (REPO / "plugin" / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert requirement == ["-e ..[all]"] and 'name = "cloud-linking"' in (REPO / "pyproject.toml").read_text()


def test_the_plugin_serves_the_refined_schema():
    """What `pulumi package add ./plugin` generates SDKs from is the provider's GetSchema answer: the checked-in one."""
    hosted = plugin.provider()
    assert json.loads(hosted.schema) == json.loads(SCHEMA.read_text()) and hosted.version == plugin._version()
    assert "from linking.plugin import provider" in (REPO / "plugin" / "__main__.py").read_text()


def test_a_linked_service_account_is_hosted_too_and_takes_an_output_issuer():
    """From TypeScript or YAML: a workload identity trusting a cluster the program creates; its issuer is an Output,
    checked when it resolves."""
    workload = _run_in(Ambient(), lambda: plugin.LinkedServiceAccount("exporter", {
        "name": "exporter", "namespace": "reports", "cloud": "aws", "owner": "data@acme.example",
        "aws": {"oidc_issuer": pulumi.Output.from_input("https://oidc.eks.eu-west-1.amazonaws.com/id/0123"),
                "policy_arns": ["arn:aws:iam::aws:policy/AmazonRoute53ReadOnlyAccess"]},
    }))
    pulumi.runtime.test(lambda: workload.cloud_identity.apply(
        lambda arn: assert_equal(arn, "arn:aws:iam::123456789012:role/linking-sa/linking-sa-reports-exporter")))()
    schema = json.loads(SCHEMA.read_text())
    hosted = schema["resources"]["linking:index:LinkedServiceAccount"]
    assert hosted["requiredInputs"] == ["cloud", "name", "namespace", "owner"]
    assert [e["value"] for e in schema["types"]["linking:index:WorkloadCloud"]["enum"]] == ["aws", "gcp", "azure"]


def assert_equal(actual: Any, expected: Any) -> None:
    assert actual == expected, actual


def test_the_schema_validates_against_pulumis_package_metaschema():
    """Pulumi's metaschema (pkg/codegen/schema/pulumi.json in pulumi/pulumi) ships with the Pulumi CLI's source, not
    with any package this project installs: point LINKING_PULUMI_METASCHEMA at it to run this check."""
    import os

    import jsonschema

    path = os.environ.get("LINKING_PULUMI_METASCHEMA")
    if not path:
        pytest.skip("set LINKING_PULUMI_METASCHEMA to Pulumi's pkg/codegen/schema/pulumi.json")
    import re

    # Go's and ECMAScript's named groups, (?<name>...), are Python's (?P<name>...).
    text = re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", open(path, encoding="utf-8").read())
    errors = sorted(jsonschema.Draft202012Validator(json.loads(text)).iter_errors(json.loads(SCHEMA.read_text())), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:10]]


def test_an_sdk_generated_from_the_schema_compiles(tmp_path):
    """`pulumi package gen-sdk` (the Pulumi CLI) generates the Python SDK from the checked-in schema, and it compiles;
    skipped where the CLI is not installed."""
    import compileall
    import shutil
    import subprocess

    if shutil.which("pulumi") is None:
        pytest.skip("the Pulumi CLI is not installed")
    subprocess.run(["pulumi", "package", "gen-sdk", str(SCHEMA), "--language", "python", "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    assert compileall.compile_dir(str(tmp_path), quiet=1)


def _typescript_declarations(schema: dict[str, Any]) -> str:
    """The schema's inputs as TypeScript declarations of the `@pulumi/linking` module (what a generated SDK's argument
    types say, without its Input wrappers): required inputs required, enums as string unions."""

    def kind(prop: dict[str, Any]) -> str:
        ref = prop.get("$ref", "")
        if ref == "pulumi.json#/Any":
            return "any"
        if ref.startswith("#/types/"):
            return ref.rsplit(":", 1)[1]
        if prop.get("type") == "array":
            return f"{kind(prop['items'])}[]"
        if prop.get("type") == "object":
            return f"{{[key: string]: {kind(prop.get('additionalProperties', {'type': 'string'}))}}}"
        return {"integer": "number"}.get(prop.get("type", ""), prop.get("type", "any"))

    def members(properties: dict[str, Any], required: list[str]) -> str:
        return " ".join(f"{name}{'' if name in required else '?'}: {kind(prop)};" for name, prop in sorted(properties.items()))

    lines = ['declare module "@pulumi/linking" {']
    for token, kind_spec in sorted(schema["types"].items()):
        name = token.rsplit(":", 1)[1]
        if "enum" in kind_spec:
            lines.append(f"  export type {name} = {' | '.join(json.dumps(e['value']) for e in kind_spec['enum'])};")
        else:
            lines.append(f"  export interface {name} {{ {members(kind_spec.get('properties', {}), kind_spec.get('required', []))} }}")
    for token, resource in sorted(schema["resources"].items()):
        name = token.rsplit(":", 1)[1]
        lines.append(f"  export interface {name}Args {{ {members(resource['inputProperties'], resource['requiredInputs'])} }}")
        outputs = " ".join(f"readonly {o}: any;" for o in sorted(resource["properties"]))
        lines.append(f"  export class {name} {{ constructor(name: string, args: {name}Args); {outputs} }}")
    return "\n".join(lines + ["}"]) + "\n"


def test_the_readmes_typescript_example_type_checks_against_the_schema(tmp_path):
    """The README's TypeScript program against the inputs the schema declares (names, required inputs, enums):
    `tsc --strict`; skipped where TypeScript is not installed (LINKING_TSC or tsc on the path)."""
    import os
    import shutil
    import subprocess

    tsc = os.environ.get("LINKING_TSC") or shutil.which("tsc")
    if not tsc:
        pytest.skip("TypeScript's compiler is not installed (npm install typescript; set LINKING_TSC)")
    text = (REPO / "docs" / "languages.md").read_text(encoding="utf-8")
    block = text[text.index("```typescript\n") + len("```typescript\n"):]
    (tmp_path / "index.ts").write_text(block[:block.index("\n```")])
    (tmp_path / "linking.d.ts").write_text(_typescript_declarations(json.loads(SCHEMA.read_text())))
    done = subprocess.run([tsc, "--strict", "--noEmit", "--module", "commonjs", "--target", "es2020", "index.ts", "linking.d.ts"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
