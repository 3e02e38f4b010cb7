"""Derive the resource types that grant access from the installed provider SDKs (generated from each provider's
Pulumi schema) and write ``linking/catalogues/access-resource-types.json``.

`linking plan` reviews every resource of these types a program registers outside our components, and the tests
check that this file is what the installed SDKs give (``tests/review/test_access_types.py``), so a provider
release that adds an access-granting type fails the suite until the file is regenerated and reviewed.

Each SDK resource module carries its type token (``super(...).__init__('aws:iam/role:Role', ...)``), its input
properties (``__props__.__dict__["policy"] = policy``) and each input's schema description (``:param ... policy:``).
A type grants access when, by the rule of its provider:

- aws: it lives in an identity or sharing module (``iam``, ``ssoadmin``, ``identitystore``, ``ram``,
  ``organizations``); or its name says it grants (Permission, Grant, Acl, AccessEntry, AccessPolicyAssociation,
  DelegatedAdministrator, RoleAttachment, FunctionUrl, AllowedPrinciple, AccessPointPolicy); or an input that
  holds a policy (``policy``, ``access_policies``, ``managed_policy_arns``; not ``policy_type``) is
  described as a JSON, IAM, key, bucket, access or resource-based policy document, or belongs to a type named
  ``*Policy``, and is not an operational one by its names (lifecycle, scaling, retention, redrive, delivery, ...);
  or it deploys a template that can create any resource (CloudFormation stacks and stack sets, Service Catalog
  products); or it runs commands on instances (SSM associations).
- gcp: its name holds IAM (every ``*IAMMember``, ``*IAMBinding``, ``*IAMPolicy``, custom roles, deny policies),
  AccessControl or DatasetAccess (ACLs); or it is a service account key or a workload identity pool or provider
  (trust); or project metadata (SSH keys, startup scripts of every VM); or Deployment Manager.
- azure-native: its module is ``authorization`` or ``managedidentity``; its name holds AccessPolicy; or an input
  (``properties``) holds ``accessPolicies`` (Key Vault);
  or it deploys an ARM template (``resources:Deployment*``). azuread: every type (the provider is identity).
- kubernetes: its API group is ``rbac.authorization.k8s.io``, ``admissionregistration.k8s.io`` or
  ``certificates.k8s.io``, or it is a ServiceAccount; or it applies manifests the mock runtime does not expand
  (``yaml``, ``helm``, ``kustomize``). Lists and patches count as their type.

Run: ``python scripts/access_resource_types.py`` with the ``all`` extra installed (CI never runs it).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "linking" / "catalogues" / "access-resource-types.json"
PACKAGES = {
    "aws": ["pulumi_aws"],
    "azure": ["pulumi_azure_native", "pulumi_azuread"],
    "gcp": ["pulumi_gcp"],
    "kubernetes": ["pulumi_kubernetes"],
}
_TYPE = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'([^']+)'")
_INPUT = re.compile(r'__props__\.__dict__\["(\w+)"\] = (\w+)\n')
_PARAM = re.compile(r":param [^\n]*? (\w+): (.*?)(?=\n\s*:param |\n\s*\"\"\"|\n\s*\n)", re.S)

DOCUMENTED = {"pulumi_aws"}
"""SDKs whose input descriptions the rule reads (reading them costs most of the time)."""
NESTED = {"pulumi_azure_native"}
"""SDKs whose object inputs the rule looks into (azure-native nests a resource under ``properties``)."""
AWS_MODULES = {"iam", "ssoadmin", "identitystore", "ram", "organizations"}
AWS_NAMES = re.compile(r"Permission|Grant|Acl|AccessEntry|AccessPolicyAssociation|DelegatedAdministrator|RoleAttachment|"
                       r"FunctionUrl|AllowedPrinciple|AccessPointPolicy")
AWS_RUNS = re.compile(r"^aws:ssm/association:")
AWS_POLICY_PROPERTY = re.compile(r"polic(y|ies)(_document|_json|_template|_arns?)?$")
"""A property that holds a policy (``policy``, ``access_policies``, ``managed_policy_arns``), not one about it
(``policy_type``, ``policy_name``)."""
AWS_POLICY_DOC = re.compile(r"\b(json|iam|key policy|bucket policy|access (control )?polic|resource[- ]based|resource polic|policy document|auth policy)", re.I)
AWS_OPERATIONAL = re.compile(r"lifecycle|scaling|retention|redrive|delivery|filter|replay|dataprotection|data_protection|"
                             r"indexpolic|index_polic|browser|guardrail|base_polic|corenetwork|deadletter", re.I)
"""Operational policies, judged by the type's and the property's names (a description may mention a backup vault's
access policy, which grants)."""
AWS_TEMPLATES = {"aws:cloudformation/stack:Stack", "aws:cloudformation/stackSet:StackSet",
                 "aws:cloudformation/stackSetInstance:StackSetInstance",
                 "aws:servicecatalog/provisionedProduct:ProvisionedProduct"}
GCP_RUNS = re.compile(r"^gcp:compute/projectMetadata")
"""Project metadata: SSH keys and startup scripts on every VM of the project."""
GCP_TRUST = re.compile(r"^gcp:(serviceaccount/key:Key|iam/workloadIdentityPool\w*:|iam/oauthClient\w*:|deploymentmanager/)")
K8S_GROUPS = ("rbac.authorization.k8s.io/", "admissionregistration.k8s.io/", "certificates.k8s.io/")
K8S_OPAQUE = re.compile(r"^kubernetes:(yaml|helm\.sh|kustomize)|^kubernetes:core/v1:ServiceAccount")


_FIELD = re.compile(r'pulumi\.set\(__self__, "(\w+)"')
_ANNOTATION = re.compile(r"(\w+): (?:Optional\[)?pulumi\.Input\[(?:Union\[)?'(\w+Args)'")


def sdk_types(package: str) -> dict[str, dict[str, str]]:
    """Type token -> {input property (snake case): its schema description} of every resource in an SDK. An input
    of an object type also names its fields (``properties.access_policies``), one level down, as azure-native
    nests most of a resource under ``properties``."""
    root = Path(importlib.util.find_spec(package).origin).parent
    found: dict[str, dict[str, str]] = {}
    nested: dict[Path, dict[str, list[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "_internal_init" not in text or not (match := _TYPE.search(text)):
            continue
        docs: dict[str, str] = {}
        for name, description in _PARAM.findall(text) if package in DOCUMENTED else ():
            docs.setdefault(name, " ".join(description.split()))
        inputs = {name: docs.get(name, "") for name, value in _INPUT.findall(text) if name == value}
        if package not in NESTED:
            found.setdefault(match.group(1), inputs)
            continue
        if path.parent not in nested:
            args_file = path.parent / "_inputs.py"
            source = args_file.read_text(encoding="utf-8", errors="replace") if args_file.is_file() else ""
            nested[path.parent] = {
                block.split("(", 1)[0].split(":", 1)[0].strip(): _FIELD.findall(block)
                for block in source.split("\nclass ")[1:] if block.split("(", 1)[0].split(":", 1)[0].strip().endswith("Args")
            }
        for name, args_class in set(_ANNOTATION.findall(text)):
            if name in inputs:
                inputs.update({f"{name}.{field}": "" for field in nested[path.parent].get(args_class, [])})
        found.setdefault(match.group(1), inputs)
    return found


def access_inputs(provider: str, token: str, inputs: dict[str, str]) -> list[str] | None:
    """The inputs that say who gets what, when the type grants access by its provider's rule; else None."""
    if token.count(":") != 2:  # the provider resource itself (``pulumi:providers:aws``)
        return None
    module, name = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[-1]
    if provider == "aws":
        documented = [key for key, doc in inputs.items()
                      if AWS_POLICY_PROPERTY.search(key) and (AWS_POLICY_DOC.search(doc) or name.endswith("Policy"))
                      and not AWS_OPERATIONAL.search(f"{name} {key}")]
        if module in AWS_MODULES or AWS_NAMES.search(name) or token in AWS_TEMPLATES or AWS_RUNS.search(token) or documented:
            return documented or sorted(key for key in inputs if "." not in key)
    elif provider == "gcp":
        if re.search(r"IAM|Iam|AccessControl|DatasetAccess", name) or GCP_TRUST.search(token) or GCP_RUNS.search(token):
            return sorted(key for key in inputs if "." not in key)
    elif provider == "azure":
        policies = sorted(key.split(".")[0] for key in inputs if key.split(".")[-1] == "access_policies")
        if token.startswith("azuread:") or module in ("authorization", "managedidentity") or "AccessPolicy" in name \
                or re.match(r"azure-native:resources:Deployment", token):
            return sorted(key for key in inputs if "." not in key)
        if policies:
            return policies
    elif provider == "kubernetes":
        if token.split(":")[1].startswith(K8S_GROUPS) or K8S_OPAQUE.search(token):
            return sorted(key for key in inputs if "." not in key)
    return None


def main() -> int:
    catalogue: dict[str, dict[str, list[str]]] = {}
    versions = {}
    for provider, packages in PACKAGES.items():
        catalogue[provider] = {}
        for package in packages:
            versions[package] = importlib.metadata.version(package.replace("_", "-"))
            for token, inputs in sdk_types(package).items():
                chosen = access_inputs(provider, token, inputs)
                if chosen is not None:
                    catalogue[provider][token] = [_camel(key) for key in chosen]
    document = {
        "source": "the installed Pulumi provider SDKs (generated from each provider's schema): type tokens, input "
                  "properties and their descriptions, read by scripts/access_resource_types.py",
        "sdkVersions": versions,
        "rule": "see the docstring of scripts/access_resource_types.py",
        "types": {provider: dict(sorted(types.items())) for provider, types in catalogue.items()},
    }
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(", ".join(f"{provider}: {len(types)}" for provider, types in catalogue.items()), file=sys.stderr)
    return 0


def _camel(name: str) -> str:
    """An SDK's Python property name as the engine records it (``assume_role_policy`` -> ``assumeRolePolicy``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


if __name__ == "__main__":
    sys.exit(main())
