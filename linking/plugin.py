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

from .config import CONFIG_KEY, LinkSpec, config_values, run_time_keys, stand_ins
from .errors import LinkConfigError
from .validation import join_path

PACKAGE = "linking"


class ControlPlaneAwsArgs(TypedDict, total=False):
    principal_arn: pulumi.Input[str]
    """The control plane's IAM role (or user) ARN, no wildcards."""
    external_id: pulumi.Input[str]
    """The external ID the control plane sends; generated (a secret) when absent."""


class ControlPlaneOidcArgs(TypedDict, total=False):
    issuer: pulumi.Input[str]
    """The https URL of the control plane's OIDC issuer."""
    subject: pulumi.Input[str]
    """The exact token subject."""
    audience: pulumi.Input[str]
    provider_arn: pulumi.Input[str]
    """AWS: an existing IAM OIDC provider for the issuer (one per issuer per account)."""
    group: pulumi.Input[str]
    """Kubernetes: the group the OIDC identity is bound as."""


class ControlPlaneGcpArgs(TypedDict, total=False):
    member: pulumi.Input[str]
    """The control plane's principal, such as serviceAccount:cp@project.iam.gserviceaccount.com."""


class ControlPlaneArgs(TypedDict, total=False):
    aws: pulumi.Input[ControlPlaneAwsArgs]
    oidc: pulumi.Input[ControlPlaneOidcArgs]
    gcp: pulumi.Input[ControlPlaneGcpArgs]


class WaiverArgs(TypedDict):
    rule: pulumi.Input[str]
    """A lint rule id of the link's provider, such as AWS006."""
    grant: pulumi.Input[str]
    """The action, permission or resource the lint error names (iam:PassRole): the waiver covers it and no other."""
    reason: pulumi.Input[str]
    """Why this link needs the exception, in words."""


class LinkArgs(TypedDict, total=False):
    """What every link takes (``linking:link`` in a stack file)."""

    id: pulumi.Input[str]
    """The link id: lower-case letters, digits and '-'; it names every resource."""
    display_name: pulumi.Input[str]
    tier: pulumi.Input[str]
    """readonly, admin or custom."""
    policy_file: pulumi.Input[str]
    """The tier document of tier custom, relative to the program's directory."""
    owner: pulumi.Input[str]
    """Who answers for this link."""
    expires_at: pulumi.Input[str]
    """RFC 3339 instant, such as 2027-06-30T00:00:00Z."""
    enabled: pulumi.Input[bool]
    control_plane: pulumi.Input[ControlPlaneArgs]
    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    waivers: pulumi.Input[list[pulumi.Input[WaiverArgs]]]


class AwsClaimArgs(TypedDict, total=False):
    service: pulumi.Input[str]
    reason: pulumi.Input[str]


class AwsSettingsArgs(TypedDict, total=False):
    account_id: pulumi.Input[str]
    """The 12-digit account id; may be another resource's output (an account the program vends)."""
    trust: pulumi.Input[str]
    permissions_boundary_arn: pulumi.Input[str]
    max_session_hours: pulumi.Input[int]
    scope: pulumi.Input[str]
    """owned (default) or account."""
    revoke_workloads: pulumi.Input[bool]
    allow_claims: pulumi.Input[list[pulumi.Input[AwsClaimArgs]]]
    """Services whose untagged resources the admin tier may claim, each with a reason (an opt-in)."""


class AwsAccountLinkArgs(LinkArgs, total=False):
    aws: pulumi.Input[AwsSettingsArgs]


class AzureClientSecretArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    end_date: pulumi.Input[str]


class AzureSettingsArgs(TypedDict, total=False):
    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    identity: pulumi.Input[str]
    """managed (default) or application."""
    location: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    client_secret: pulumi.Input[AzureClientSecretArgs]
    resource_groups: pulumi.Input[list[pulumi.Input[str]]]
    """The resource groups the admin tier works in; the link creates them."""
    scope: pulumi.Input[str]
    """resource-groups (default) or subscription."""


class AzureSubscriptionLinkArgs(LinkArgs, total=False):
    azure: pulumi.Input[AzureSettingsArgs]


class GcpSettingsArgs(TypedDict, total=False):
    project: pulumi.Input[str]
    access: pulumi.Input[str]
    """impersonation (default), workload-identity or key."""
    services: pulumi.Input[list[pulumi.Input[str]]]
    key_rotation_days: pulumi.Input[int]
    scope: pulumi.Input[str]
    """project (default) or wide."""


class GcpProjectLinkArgs(LinkArgs, total=False):
    gcp: pulumi.Input[GcpSettingsArgs]


class AdmissionFenceArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    reason: pulumi.Input[str]


class PodSecurityArgs(TypedDict, total=False):
    level: pulumi.Input[str]
    """restricted (the default) or baseline."""
    reason: pulumi.Input[str]
    """Why the link's namespaces enforce only baseline."""


class KubernetesSettingsArgs(TypedDict, total=False):
    namespace: pulumi.Input[str]
    create_namespace: pulumi.Input[bool]
    credential: pulumi.Input[str]
    server: pulumi.Input[str]
    ca_data: pulumi.Input[str]
    kubeconfig: pulumi.Input[str]
    context: pulumi.Input[str]
    namespaces: pulumi.Input[list[pulumi.Input[str]]]
    scope: pulumi.Input[str]
    create_namespaces: pulumi.Input[bool]
    custom_resource_groups: pulumi.Input[list[pulumi.Input[str]]]
    admission_fence: pulumi.Input[AdmissionFenceArgs]
    pod_security: pulumi.Input[PodSecurityArgs]


class KubernetesClusterLinkArgs(LinkArgs, total=False):
    kubernetes: pulumi.Input[KubernetesSettingsArgs]


class AwsWorkloadArgs(TypedDict, total=False):
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL; may be another resource's output (a cluster the program creates)."""
    oidc_provider_arn: pulumi.Input[str]
    policy_arns: pulumi.Input[list[pulumi.Input[str]]]
    max_session_hours: pulumi.Input[int]


class GcpWorkloadArgs(TypedDict, total=False):
    project: pulumi.Input[str]
    roles: pulumi.Input[list[pulumi.Input[str]]]


class AzureRoleAssignmentArgs(TypedDict, total=False):
    role_definition_id: pulumi.Input[str]
    scope: pulumi.Input[str]


class AzureWorkloadArgs(TypedDict, total=False):
    subscription_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL; may be another resource's output."""
    role_assignments: pulumi.Input[list[pulumi.Input[AzureRoleAssignmentArgs]]]


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
    """The shared body: the spec from the args, then the provider's component as the only child."""

    link_record: pulumi.Output[Any]
    """The link record (linking/schemas/link-record.schema.json): what the control plane needs to use the link."""
    link_secrets: pulumi.Output[Any]
    """The link's secrets (an external ID, a client secret, a key), always a Pulumi secret."""

    _cloud = ""
    _token = ""

    def _build(self, name: str, args: Any, opts: Optional[pulumi.ResourceOptions]) -> Any:
        spec = _spec(args, self._cloud)
        super().__init__(self._token, name, {}, opts)
        from .providers import part

        module = part(self._cloud, "component")
        component_type, args_type = _COMPONENTS[self._cloud]
        child = getattr(module, component_type)(name, getattr(module, args_type)(spec), pulumi.ResourceOptions(parent=self))
        self.link_record = child.link_record
        self.link_secrets = pulumi.Output.secret(child.link_secrets) if child.link_secrets is not None else pulumi.Output.secret({})
        return child


_COMPONENTS = {
    "aws": ("AwsAccountLink", "AwsAccountLinkArgs"),
    "azure": ("AzureSubscriptionLink", "AzureSubscriptionLinkArgs"),
    "gcp": ("GcpProjectLink", "GcpProjectLinkArgs"),
    "kubernetes": ("KubernetesClusterLink", "KubernetesClusterLinkArgs"),
}


class AwsAccountLink(_HostedLink):
    """An IAM role for the control plane in one AWS account, with its tier, trust and workload boundary."""

    role_arn: pulumi.Output[str]
    _cloud, _token = "aws", f"{PACKAGE}:index:AwsAccountLink"

    def __init__(self, name: str, args: AwsAccountLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        child = self._build(name, args, opts)
        self.role_arn = child.role.arn
        self.register_outputs({"roleArn": self.role_arn, "linkRecord": self.link_record, "linkSecrets": self.link_secrets})


class AzureSubscriptionLink(_HostedLink):
    """A keyless identity for the control plane with its tier in one Azure subscription (or its resource groups)."""

    principal_id: pulumi.Output[str]
    _cloud, _token = "azure", f"{PACKAGE}:index:AzureSubscriptionLink"

    def __init__(self, name: str, args: AzureSubscriptionLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        child = self._build(name, args, opts)
        self.principal_id = child.principal_id
        self.register_outputs({"principalId": self.principal_id, "linkRecord": self.link_record, "linkSecrets": self.link_secrets})


class GcpProjectLink(_HostedLink):
    """A service account for the control plane with its tier as a custom role in one GCP project."""

    service_account_email: pulumi.Output[str]
    _cloud, _token = "gcp", f"{PACKAGE}:index:GcpProjectLink"

    def __init__(self, name: str, args: GcpProjectLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        child = self._build(name, args, opts)
        self.service_account_email = child.service_account.email
        self.register_outputs({"serviceAccountEmail": self.service_account_email, "linkRecord": self.link_record,
                               "linkSecrets": self.link_secrets})


class KubernetesClusterLink(_HostedLink):
    """RBAC for the control plane in one Kubernetes cluster, fenced to its namespaces by an admission policy."""

    _cloud, _token = "kubernetes", f"{PACKAGE}:index:KubernetesClusterLink"

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

        from .config import SERVICE_ACCOUNTS_KEY, load_service_accounts
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
CLOUD_SECTIONS = {"AwsAccountLink": "aws", "AzureSubscriptionLink": "azure", "GcpProjectLink": "gcp"}
"""The settings section each component cannot do without (a Kubernetes link's is all defaults)."""


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
        resource["requiredInputs"] = sorted({*required, *([CLOUD_SECTIONS[component]] if component in CLOUD_SECTIONS else [])})
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
