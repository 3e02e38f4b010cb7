"""The link components for every Pulumi language: a component package hosted by Pulumi's Python SDK.

``plugin/`` holds the ``PulumiPlugin.yaml`` and entry point; ``pulumi package add ./plugin`` generates an SDK for
TypeScript, Go, C#, Java or YAML from the schema Pulumi's analyzer derives from the types below (``plugin/schema.json``
is that schema, checked in and tested for drift). Each component takes the same settings as ``linking:link`` in a stack
file (camelCase in other languages, snake_case here), checks them the same way, and builds the Python component of its
provider as a child. Python programs keep using ``linking.aws.AwsAccountLink`` and the others directly.

No ``from __future__ import annotations`` here: the analyzer reads these annotations at run time.
"""

from typing import Any, Optional, TypedDict

import pulumi

from .aws.hosted import AwsAccountLinkArgs, AwsWorkloadArgs
from .azure.hosted import AzureSubscriptionLinkArgs, AzureWorkloadArgs
from .config import LinkSpec, config_values, run_time_keys, stand_ins
from .contract import CONFIG_KEY
from .gcp.hosted import GcpProjectLinkArgs, GcpWorkloadArgs
from .kubernetes.hosted import KubernetesClusterLinkArgs
from .errors import LinkConfigError
from .providers import by_component, clouds, part
from .validation import join_path

PACKAGE = "linking"


class LinkedServiceAccountArgs(TypedDict, total=False):
    """One Kubernetes ServiceAccount and the cloud identity it assumes (an entry of ``linking:serviceAccounts``)."""

    name: pulumi.Input[str]
    namespace: pulumi.Input[str]
    cloud: pulumi.Input[str]
    owner: pulumi.Input[str]
    aws: pulumi.Input[AwsWorkloadArgs]
    gcp: pulumi.Input[GcpWorkloadArgs]
    azure: pulumi.Input[AzureWorkloadArgs]
    tags: pulumi.Input[dict[str, pulumi.Input[str]]]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _config(value: Any) -> Any:
    """The args as a ``linking:link`` mapping (camelCase keys)."""
    if isinstance(value, dict):
        return {_camel(str(k)): _config(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_config(v) for v in value]
    return value


def _spec(args: Any, provider: str) -> LinkSpec:
    """The spec, checked as a stack file is; an Output is taken where a Python program may pass one (an account it
    vends in the same run), refused elsewhere."""
    config, restore = stand_ins({**_config(dict(args)), "provider": provider})
    if "policyFile" in config:
        raise LinkConfigError(
            join_path(CONFIG_KEY, ["policyFile"]), config["policyFile"],
            "no policy file here: the package runs in its own folder, so a custom tier's document cannot be found; "
            "use a stack file or the Python component",
        )
    for key_path, value in config_values(config):
        if isinstance(value, pulumi.Output):
            raise LinkConfigError(key_path, "(an Output)", f"a value known when the program runs (only {run_time_keys()} may be Outputs)")
    return restore(LinkSpec.from_config(config))


class _HostedLink(pulumi.ComponentResource):
    """The shared body: the spec from the args, then the cloud's component (the class of the same name) as the only
    child."""

    link_record: pulumi.Output[Any]
    """The link record (linking/schemas/link-record.schema.json): what the control plane needs to use the link."""
    link_secrets: pulumi.Output[Any]
    """The link's secrets (an external ID, a client secret, a key), always a Pulumi secret."""

    def _build(self, name: str, args: Any, opts: Optional[pulumi.ResourceOptions]) -> Any:
        hosted = by_component(type(self).__name__)
        spec = _spec(args, hosted.name)
        super().__init__(f"{PACKAGE}:index:{hosted.component}", name, {}, opts)
        module = part(hosted.name, "component")
        child = getattr(module, hosted.component)(name, getattr(module, f"{hosted.component}Args")(spec), pulumi.ResourceOptions(parent=self))
        self.link_record = child.link_record
        self.link_secrets = pulumi.Output.secret(child.link_secrets) if child.link_secrets is not None else pulumi.Output.secret({})
        return child


class AwsAccountLink(_HostedLink):
    """An IAM role for the control plane in one AWS account, with its tier, trust and workload boundary."""

    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AwsAccountLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        child = self._build(name, args, opts)
        self.role_arn = child.role.arn
        self.register_outputs({"roleArn": self.role_arn, "linkRecord": self.link_record, "linkSecrets": self.link_secrets})


class AzureSubscriptionLink(_HostedLink):
    """A keyless identity for the control plane with its tier in one Azure subscription (or its resource groups)."""

    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureSubscriptionLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        child = self._build(name, args, opts)
        self.principal_id = child.principal_id
        self.register_outputs({"principalId": self.principal_id, "linkRecord": self.link_record, "linkSecrets": self.link_secrets})


class GcpProjectLink(_HostedLink):
    """A service account for the control plane with its tier as a custom role in one GCP project."""

    service_account_email: pulumi.Output[str]

    def __init__(self, name: str, args: GcpProjectLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        child = self._build(name, args, opts)
        self.service_account_email = child.service_account.email
        self.register_outputs({"serviceAccountEmail": self.service_account_email, "linkRecord": self.link_record,
                               "linkSecrets": self.link_secrets})


class KubernetesClusterLink(_HostedLink):
    """RBAC for the control plane in one Kubernetes cluster, fenced to its namespaces by an admission policy."""

    def __init__(self, name: str, args: KubernetesClusterLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        self._build(name, args, opts)
        self.register_outputs({"linkRecord": self.link_record, "linkSecrets": self.link_secrets})


ISSUER_STAND_IN = "https://issuer.stand-in.invalid"


class LinkedServiceAccount(pulumi.ComponentResource):
    """A Kubernetes ServiceAccount with a cloud identity and no keys (EKS IRSA, GKE or AKS workload identity)."""

    cloud_identity: pulumi.Output[str]
    """The role ARN, Google service account email or managed identity client id the ServiceAccount assumes."""

    def __init__(self, name: str, args: LinkedServiceAccountArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        import dataclasses

        from .config import load_service_accounts
        from .contract import SERVICE_ACCOUNTS_KEY
        from .workload.component import LinkedServiceAccount as Workload, LinkedServiceAccountArgs as WorkloadArgs

        entry = _config(dict(args))
        cloud = entry.get("cloud")
        section = dict(entry.get(cloud) or {}) if isinstance(cloud, str) else {}
        issuer = section.get("oidcIssuer")
        if isinstance(issuer, pulumi.Output):  # checked when it resolves, by the workload component
            entry[cloud] = {**section, "oidcIssuer": ISSUER_STAND_IN}
        for key_path, value in config_values(entry):
            if isinstance(value, pulumi.Output):
                raise LinkConfigError(key_path, "(an Output)", "a value known when the program runs (only the OIDC issuer may be an Output)")
        (spec,) = load_service_accounts([entry], prefix=SERVICE_ACCOUNTS_KEY)
        if isinstance(issuer, pulumi.Output):
            spec = dataclasses.replace(spec, **{cloud: dataclasses.replace(getattr(spec, cloud), oidc_issuer=issuer)})
        super().__init__(f"{PACKAGE}:index:LinkedServiceAccount", name, {}, opts)
        child = Workload(name, WorkloadArgs(spec), pulumi.ResourceOptions(parent=self))
        self.cloud_identity = child.cloud_identity
        self.register_outputs({"cloudIdentity": self.cloud_identity})


COMPONENTS = [AwsAccountLink, AzureSubscriptionLink, GcpProjectLink, KubernetesClusterLink, LinkedServiceAccount]


def schema() -> dict[str, Any]:
    """The package schema (what ``pulumi package add`` sees): Pulumi's analyzer derives it from the types above, and
    the stack-config schema, the one source of what each setting means, adds what annotations cannot say: required
    inputs, enums, descriptions; secrets and the record's type are marked; the version is the package's."""
    from pulumi.provider.experimental.analyzer import Analyzer
    from pulumi.provider.experimental.schema import generate_schema

    result = Analyzer(PACKAGE).analyze(COMPONENTS)
    spec = generate_schema(PACKAGE, _version(), None, result["component_definitions"], result["type_definitions"],
                           sorted(result["dependencies"], key=repr)).to_json()
    return _refined(spec)


def provider() -> Any:
    """The component provider ``plugin/__main__.py`` serves: Pulumi's host for these components, answering
    ``GetSchema`` with the refined `schema` (the one ``pulumi package add`` generates SDKs from)."""
    import json

    from pulumi.provider.experimental.component import ComponentProvider

    hosted = ComponentProvider(COMPONENTS, PACKAGE, version=_version())
    hosted.schema = json.dumps(schema())
    return hosted


SECRET_INPUTS = {"linking:index:ControlPlaneAwsArgs": ("externalId",), "linking:index:KubernetesSettingsArgs": ("kubeconfig",)}
"""Inputs that carry a secret: generated SDKs then treat them as secrets."""


def _required_sections() -> dict[str, str]:
    """Component -> the settings section it cannot do without: a cloud's section with a setting that has no default
    (a Kubernetes link's is all defaults)."""
    import dataclasses
    import typing

    from .contract import dataclass_type

    hints = typing.get_type_hints(LinkSpec)
    found = {}
    for hosted in clouds():
        settings = dataclass_type(hints[hosted.name])
        if settings and any(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING for f in dataclasses.fields(settings)):
            found[hosted.component] = hosted.name
    return found


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cloud-linking")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0.0.0"


def _refined(spec: dict[str, Any]) -> dict[str, Any]:
    from .validation import load_schema

    link = load_schema("link-config.schema.json")
    accounts = load_schema("service-accounts.schema.json")
    record = load_schema("link-record.schema.json")
    spec["types"]["linking:index:LinkRecord"] = _record_type(record)
    for token, resource in sorted(spec["resources"].items()):
        component = token.rsplit(":", 1)[1]
        config = _resolved(accounts["items"], accounts) if component == "LinkedServiceAccount" else link
        root = accounts if component == "LinkedServiceAccount" else link
        _describe(spec, resource["inputProperties"], config, "Workload" if component == "LinkedServiceAccount" else "", root)
        required = [name for name in config.get("required", ()) if name in resource["inputProperties"]]
        section = _required_sections().get(component)
        resource["requiredInputs"] = sorted({*required, *([section] if section else [])})
        outputs = resource["properties"]
        if "linkRecord" in outputs:
            outputs["linkRecord"] = {"$ref": "#/types/linking:index:LinkRecord",
                                     "description": "The link record (schema linking/schemas/link-record.schema.json)."}
        if "linkSecrets" in outputs:
            outputs["linkSecrets"] = {**outputs["linkSecrets"], "secret": True}
    for token, names in SECRET_INPUTS.items():
        for name in names:
            spec["types"][token]["properties"][name]["secret"] = True
    return spec


def _resolved(node: Any, root: dict[str, Any]) -> Any:
    """A JSON-schema node with its local ``$ref`` (``#/$defs/...``) followed."""
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/$defs/"):
        node = {**root["$defs"][node["$ref"][len("#/$defs/"):]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _describe(spec: dict[str, Any], properties: dict[str, Any], node: dict[str, Any], owner: str, root: dict[str, Any]) -> None:
    """Descriptions, enums and required properties from the stack-config schema node each property stands for."""
    for name, prop in sorted(properties.items()):
        sub = _resolved((node.get("properties") or {}).get(name), root)
        if not isinstance(sub, dict):
            continue
        text = sub.get("description") or sub.get("x-expected")
        if text and not prop.get("description"):
            prop["description"] = text
        if "enum" in sub and prop.get("type") == "string":
            enum_token = f"linking:index:{owner}{name[0].upper()}{name[1:]}"
            spec["types"][enum_token] = {"type": "string", "enum": [{"value": value} for value in sub["enum"]]}
            properties[name] = {"$ref": f"#/types/{enum_token}", **({"description": prop["description"]} if "description" in prop else {})}
            continue
        target, sub_node = prop.get("$ref"), sub
        if "items" in prop:
            target, sub_node = prop["items"].get("$ref"), _resolved(sub.get("items") or {}, root)
        if target and target.startswith("#/types/"):
            token = target[len("#/types/"):]
            kind = spec["types"][token]
            _describe(spec, kind.get("properties", {}), sub_node, token.rsplit(":", 1)[1].removesuffix("Args"), root)
            required = [n for n in sub_node.get("required", ()) if n in kind.get("properties", {})]
            if required:
                kind["required"] = sorted(required)


def _record_type(record: dict[str, Any]) -> dict[str, Any]:
    """The link record as an object type: its top-level fields typed, nested sections left open (their schema is
    linking/schemas/link-record.schema.json)."""
    primitive = {"string": "string", "integer": "integer", "boolean": "boolean", "number": "number"}
    properties = {}
    for name, field in sorted(record.get("properties", {}).items()):
        kind = field.get("type")
        kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
        typed = {"type": primitive[kind]} if kind in primitive else {"$ref": "pulumi.json#/Any"}
        typed["description"] = field.get("description") or f"The record's {name} (linking/schemas/link-record.schema.json)."
        properties[name] = typed
    return {"type": "object", "properties": properties, "required": sorted(record.get("required", [])),
            "description": "What a link grants and how to use it."}


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(schema(), indent=2, sort_keys=True) + "\n")
