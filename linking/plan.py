"""The offline plan: run a stack's program under Pulumi's mock runtime and record what it would create.

No cloud credentials, no Pulumi CLI: ``pulumi.runtime.set_mocks`` stands in for
the engine and the providers. The real component code runs; each resource is
recorded with its type, name, parent, inputs and the outputs a provider would
compute. Invokes (AWS caller identity and partition, Azure client config, GCP
client config and project) answer from the stack's own config, so the guards
against the wrong account, subscription or project cannot be checked offline,
and the plan says so.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from . import program
from .canonical import sha256_hex
from .config import CONFIG_KEY, SECRET_PLACEHOLDER
from .names import deterministic_guid
from .policy import YAML_LOADER
from .errors import LinkConfigError

STACK_TYPE = "pulumi:pulumi:Stack"

REVIEWED_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "gcp:projects/iAMCustomRole:IAMCustomRole": ("permissions",),
    "gcp:projects/iAMMember:IAMMember": ("role", "member", "condition"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("role", "member", "condition"),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        "attributeMapping", "attributeCondition", "aws", "oidc",
    ),
    "azure-native:authorization:RoleDefinition": ("roleName", "permissions", "assignableScopes"),
    "azure-native:authorization:RoleAssignment": ("scope", "roleDefinitionId", "principalType", "condition"),
    "azure-native:managedidentity:FederatedIdentityCredential": ("issuer", "subject", "audiences"),
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        "issuer", "subject", "audiences",
    ),
    "azuread:index/applicationPassword:ApplicationPassword": ("endDate",),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn",),
    "kubernetes:core/v1:ServiceAccount": ("metadata",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ("rules",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef", "subjects"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef", "subjects"),
}
"""Inputs that say who gets which access: printed in full for review."""


@dataclass(frozen=True)
class Secret:
    """An input or output Pulumi treats as secret. Offline it only ever holds placeholders."""

    value: Any


@dataclass(frozen=True)
class Ambient:
    """What the invokes answer offline: the identity the credentials would have."""

    aws_account_id: str = "123456789012"
    aws_partition: str = "aws"
    gcp_project: str = "example-project"
    azure_subscription_id: str = "00000000-0000-0000-0000-000000000000"
    azure_tenant_id: str = "00000000-0000-0000-0000-000000000000"

    @property
    def gcp_project_number(self) -> str:
        """A stand-in project number, stable for the project id."""
        return _digits(self.gcp_project, 12)


def _digits(seed: str, length: int) -> str:
    return str(int(sha256_hex(seed), 16))[:length]


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    parent_urn: Optional[str]
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the offline provider computed (ARNs, ids, names)."""
    provider: Optional[str] = None
    """The provider reference (``urn::id``) it registers with; None for the default provider."""

    def plain_input(self, key: str) -> Any:
        """An input with any secret wrapper removed."""
        return plain(self.inputs.get(key))


@dataclass
class StackPlan:
    stack: str
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def by_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.by_type(type_)
        if len(found) != 1:
            raise LookupError(f"expected one {type_}, found {len(found)}")
        return found[0]

    def parent_of(self, resource: PlannedResource) -> Optional[PlannedResource]:
        return next((r for r in self.resources if r.urn == resource.parent_urn), None)


def _unwrap_secrets(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return Secret(_unwrap_secrets(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


class PlanMocks(pulumi_mocks.Mocks):
    """Outputs a provider would compute (ARNs, ids), derived from the inputs; secrets stay placeholders."""

    def __init__(self, ambient: Ambient) -> None:
        self.ambient = ambient
        self.current = threading.local()
        """Inputs and outputs of the registration this thread handles, for `RecordingMonitor` (saves decoding twice)."""

    def _arn(self, kind: str) -> str:
        return f"arn:{self.ambient.aws_partition}:iam::{self.ambient.aws_account_id}:{kind}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        self.current.inputs = args.inputs
        resource_id, outputs = self._outputs(args)
        self.current.outputs = outputs
        return resource_id, outputs

    def _outputs(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        inputs = args.inputs
        outputs = dict(inputs)
        if args.typ in ("aws:iam/role:Role", "aws:iam/policy:Policy"):
            kind = "role" if args.typ == "aws:iam/role:Role" else "policy"
            outputs["arn"] = self._arn(f"{kind}{inputs.get('path', '/')}{inputs['name']}")
            return inputs["name"], outputs
        if args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            outputs["arn"] = self._arn("oidc-provider/" + inputs["url"].removeprefix("https://"))
            return outputs["arn"], outputs
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = SECRET_PLACEHOLDER
        elif args.typ == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
            outputs.update(
                email=email,
                member=f"serviceAccount:{email}",
                name=f"projects/{inputs['project']}/serviceAccounts/{email}",
                uniqueId=_digits(email, 21),
            )
            return outputs["name"], outputs
        elif args.typ == "gcp:projects/iAMCustomRole:IAMCustomRole":
            name = f"projects/{inputs['project']}/roles/{inputs['roleId']}"
            return name, {"name": name, "roleId": inputs["roleId"]}  # not the long permission list back
        elif args.typ == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
            outputs["name"] = self._pool_name(inputs["workloadIdentityPoolId"])
        elif args.typ == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
            outputs["name"] = self._pool_name(inputs["workloadIdentityPoolId"]) + f"/providers/{inputs['workloadIdentityPoolProviderId']}"
        elif args.typ == "gcp:serviceaccount/key:Key":
            outputs.update(name=f"{inputs['serviceAccountId']}/keys/{_digits(args.name, 16)}", privateKey=SECRET_PLACEHOLDER)
        elif args.typ == "kubernetes:core/v1:Secret" and inputs.get("type") == "kubernetes.io/service-account-token":
            outputs["data"] = {  # filled by the cluster's token controller
                "token": base64.b64encode(SECRET_PLACEHOLDER.encode()).decode(),
                "ca.crt": base64.b64encode(b"[cluster CA]").decode(),
            }
        elif args.typ.startswith(("azure-native:", "azuread:")):
            return self._azure(args.typ, args.name, outputs)
        elif args.typ == "time:index/rotating:Rotating":
            outputs["rotationRfc3339"] = f"(creation time + {int(inputs['rotationDays'])} days)"
        return f"{args.name}-id", outputs

    def _azure(self, typ: str, name: str, outputs: dict[str, Any]) -> tuple[str, dict]:
        """Ids shaped as ARM and Entra return them; object ids are stable GUIDs derived from the logical name."""
        subscription = f"/subscriptions/{self.ambient.azure_subscription_id}"
        guid = deterministic_guid("offline-plan", name)
        if typ == "azure-native:resources:ResourceGroup":
            outputs.update(name=outputs["resourceGroupName"], id=f"{subscription}/resourceGroups/{outputs['resourceGroupName']}")
        elif typ == "azure-native:managedidentity:UserAssignedIdentity":
            outputs.update(
                name=outputs["resourceName"],
                id=f"{subscription}/resourceGroups/{outputs['resourceGroupName']}/providers/Microsoft.ManagedIdentity"
                f"/userAssignedIdentities/{outputs['resourceName']}",
                clientId=deterministic_guid("client", guid),
                principalId=deterministic_guid("principal", guid),
                tenantId=self.ambient.azure_tenant_id,
            )
        elif typ == "azure-native:authorization:RoleDefinition":
            outputs["id"] = f"{outputs['scope']}/providers/Microsoft.Authorization/roleDefinitions/{outputs['roleDefinitionId']}"
        elif typ == "azure-native:authorization:RoleAssignment":
            outputs["id"] = f"{outputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{outputs['roleAssignmentName']}"
        elif typ == "azuread:index/application:Application":
            outputs.update(clientId=deterministic_guid("client", guid), objectId=guid, id=f"/applications/{guid}")
        elif typ == "azuread:index/servicePrincipal:ServicePrincipal":
            outputs.update(objectId=guid, id=guid)
        elif typ == "azuread:index/applicationPassword:ApplicationPassword":
            outputs.update(value=SECRET_PLACEHOLDER, keyId=guid)
        return outputs.get("id", guid), outputs

    def _pool_name(self, pool_id: str) -> str:
        return f"projects/{self.ambient.gcp_project_number}/locations/global/workloadIdentityPools/{pool_id}"

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:  # type: ignore[override] # the monitor takes a dict
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            account = self.ambient.aws_account_id
            return {
                "accountId": account,
                "arn": f"arn:{self.ambient.aws_partition}:iam::{account}:user/offline-plan",
                "userId": "OFFLINEPLAN",
                "id": account,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": self.ambient.aws_partition,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsSuffix": "com.amazonaws",
                "id": self.ambient.aws_partition,
            }
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": deterministic_guid("offline-plan", "client"),
                "objectId": deterministic_guid("offline-plan", "object"),
                "subscriptionId": self.ambient.azure_subscription_id,
                "tenantId": self.ambient.azure_tenant_id,
            }
        if args.token == "gcp:organizations/getClientConfig:getClientConfig":
            return {"project": self.ambient.gcp_project, "region": "", "zone": "", "accessToken": SECRET_PLACEHOLDER, "id": "offline-plan"}
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId", self.ambient.gcp_project)
            return {"projectId": project, "number": self.ambient.gcp_project_number, "name": project, "id": f"projects/{project}"}
        raise NotImplementedError(f"the offline plan has no answer for invoke {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping each registration's parent and inputs in order."""

    def __init__(self, mocks: PlanMocks) -> None:
        super().__init__(mocks)
        self.mocks: PlanMocks = mocks
        self.planned: list[PlannedResource] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            self.planned.append(
                PlannedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent_urn=request.parent or None,
                    custom=request.custom,
                    inputs=_unwrap_secrets(self.mocks.current.inputs),
                    outputs=_unwrap_secrets(self.mocks.current.outputs),
                    provider=request.provider or None,
                )
            )
        return response


class _WarningCollector(logging.Handler):
    """Keeps what the program logs as a warning (``pulumi.log.warn``) for the plan to print."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.logger = logging.Logger("linking.plan", logging.WARNING)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _resolve(output: Any) -> Any:
    out = pulumi.Output.from_input(output)
    value = _sync_await(out.future())
    return Secret(value) if _sync_await(out.is_secret()) else value


def run_program(
    config: Mapping[str, str],
    *,
    project_root: Path,
    project: str = "linking",
    stack: str = "plan",
    ambient: Optional[Ambient] = None,
    secret_keys: tuple[str, ...] = (),
    monitor: Optional[RecordingMonitor] = None,
    main: Optional[Callable[[], None]] = None,
) -> StackPlan:
    """Run the stack program (or ``main``) once under mocks with this config (``ns:key`` -> string, as Pulumi passes it).

    Pass ``monitor`` to see what was registered even when the program raises;
    ``ambient`` is then ignored (the monitor's mocks answer the invokes).
    """
    monitor = monitor or RecordingMonitor(PlanMocks(ambient or Ambient()))
    warnings = _WarningCollector()
    settings.set_root_resource(None)  # type: ignore[arg-type] # a fresh Stack for each run
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor, logger=warnings.logger
    )
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    _sync_await(
        run_pulumi_func(main or (lambda: program.run(project_root, allow_unreadable_secrets=True)))
    )
    root = settings.get_root_resource()
    outputs = {name: _resolve(value) for name, value in sorted(getattr(root, "outputs", {}).items())}
    # Registration order depends on thread scheduling; the URN order does not.
    return StackPlan(
        stack=stack, resources=sorted(monitor.planned, key=lambda r: r.urn), outputs=outputs, warnings=warnings.messages
    )


@dataclass(frozen=True)
class StackFile:
    path: Path
    project_root: Path
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: tuple[str, ...]
    secure_values: dict[str, str]
    """Key path of each ``secure:`` value -> fingerprint of its ciphertext."""
    environments: tuple[str, ...] = ()
    """Pulumi ESC environments the stack imports (``environment:``): the offline plan cannot resolve them."""


def find_project_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise LinkConfigError(str(start), None, "a stack file inside a Pulumi project (no Pulumi.yaml above it)")


def _replace_secure(value: Any, path: str, found: dict[str, str]) -> Any:
    """``{secure: ...}`` anywhere -> `SECRET_PLACEHOLDER`, noting each one's key path and ciphertext fingerprint.

    The fingerprint (a hash of the ciphertext, which changes whenever the secret
    does) lets a diff say that a secret changed without knowing it.
    """
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found[path] = sha256_hex(str(value["secure"]))[:16]
            return SECRET_PLACEHOLDER
        return {k: _replace_secure(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _config_string(value: Any) -> str:
    """How Pulumi hands a config value to a program: strings as-is, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def load_stack_file(path: Path) -> StackFile:
    """Read ``Pulumi.<stack>.yaml`` into the config map the engine would pass to the program."""
    path = Path(path)
    name = path.name
    if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))) or name in ("Pulumi.yaml", "Pulumi.yml"):
        raise LinkConfigError(str(path), name, "a stack file named Pulumi.<stack>.yaml")
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}  # noqa: S506 - a safe loader
    except OSError as exc:
        raise LinkConfigError(str(path), None, f"a readable stack file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise LinkConfigError(str(path), None, f"valid YAML (error{where}: {getattr(exc, 'problem', exc)})") from None
    root = find_project_root(path.resolve().parent)
    project_doc = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    project = project_doc.get("name", root.name)
    raw_config = document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise LinkConfigError(f"{path}: config", raw_config, "a mapping of config keys")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    secure_values: dict[str, str] = {}
    for key, value in raw_config.items():
        full_key = key if ":" in key else f"{project}:{key}"
        before = len(secure_values)
        config[full_key] = _config_string(_replace_secure(value, full_key, secure_values))
        if len(secure_values) > before:
            secret_keys.append(full_key)
    stack = name[len("Pulumi.") :].rsplit(".", 1)[0]
    environments = _environments(document.get("environment"), path)
    return StackFile(path, root, project, stack, config, tuple(secret_keys), secure_values, environments)


def _environments(value: Any, path: Path) -> tuple[str, ...]:
    """The ESC environments named by a stack file's ``environment:`` (a list, or ``{imports: [...]}``)."""
    if value is None:
        return ()
    imports = value.get("imports") if isinstance(value, dict) else value
    if not isinstance(imports, list) or not all(isinstance(name, str) for name in imports):
        raise LinkConfigError(f"{path}: environment", value, "a list of Pulumi ESC environment names")
    return tuple(imports)


def ambient_for(config: Mapping[str, str]) -> Ambient:
    """Offline, the credentials are taken to reach exactly the account or project the config names."""
    try:
        link = json.loads(config.get(CONFIG_KEY, "{}"))
        found = {
            "aws_account_id": link.get("aws", {}).get("accountId"),
            "gcp_project": link.get("gcp", {}).get("project"),
            "azure_subscription_id": link.get("azure", {}).get("subscriptionId"),
            "azure_tenant_id": link.get("azure", {}).get("tenantId"),
        }
    except (ValueError, AttributeError):
        found = {}
    return Ambient(**{k: v for k, v in found.items() if isinstance(v, str)})


def run_stack_file(stack_file: StackFile) -> StackPlan:
    plan = _run_stack_program(stack_file)
    if stack_file.environments:
        plan.warnings.insert(0, (
            "the stack imports Pulumi ESC environments that an offline plan cannot resolve: "
            + ", ".join(stack_file.environments)
            + "; config and secrets they supply are missing here, so `pulumi preview` may differ"
        ))
    return plan


def _run_stack_program(stack_file: StackFile) -> StackPlan:
    return run_program(
        stack_file.config,
        project_root=stack_file.project_root,
        project=stack_file.project,
        stack=stack_file.stack,
        ambient=ambient_for(stack_file.config),
        secret_keys=stack_file.secret_keys,
    )


def plan_stack_file(path: Path) -> StackPlan:
    return run_stack_file(load_stack_file(path))


def plain(value: Any) -> Any:
    """Secret wrappers removed, at any depth: offline they only ever hold placeholders."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def parsed_json(value: Any) -> Any:
    """A JSON document held in a string (IAM policies) shown as the document itself."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _display(value: Any) -> Any:
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_display(v) for v in value]
    return value


def format_text(plan: StackPlan, source: Optional[Path] = None) -> str:
    """The human-readable plan: resource tree, then every policy document in full, then outputs."""
    lines = [f"Stack {plan.stack}" + (f" ({source})" if source else "")]
    lines.append(
        "Offline plan: Pulumi mock runtime, no credentials; the guard against the wrong account or project "
        "runs only in `pulumi up`."
    )
    lines.append("")
    lines.append(f"Resources to create ({len(plan.resources)}):")
    children: dict[Optional[str], list[PlannedResource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent_urn if plan.parent_of(resource) else None, []).append(resource)

    def tree(parent: Optional[str], depth: int) -> None:
        for resource in children.get(parent, []):
            lines.append(f"  {'  ' * depth}+ {resource.type}  {resource.name}")
            tree(resource.urn, depth + 1)

    tree(None, 0)
    for resource in plan.resources:
        reviewed = {k: resource.inputs[k] for k in REVIEWED_INPUTS.get(resource.type, ()) if k in resource.inputs}
        if not reviewed:
            continue
        label = f"{resource.type} {resource.name}"
        if any(isinstance(v, Secret) for v in reviewed.values()):
            label += " (a Pulumi secret: it carries a secret value, which the plan shows as [secret])"
        lines += ["", label + ":"]
        shown = {k: parsed_json(plain(v)) for k, v in reviewed.items()}
        lines.append(json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False))
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {message}" for message in plan.warnings]
    lines += ["", "Outputs:"]
    for name, value in plan.outputs.items():
        if isinstance(value, Secret):
            lines.append(f"  {name}: [secret]")
        else:
            lines.append(f"  {name}: " + json.dumps(_display(value), indent=2, sort_keys=True).replace("\n", "\n  "))
    return "\n".join(lines) + "\n"
