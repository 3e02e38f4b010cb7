"""Azure RBAC without the Azure SDK: role definition documents, deterministic GUIDs, the delegation condition."""

from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..errors import LinkConfigError
from ..policy import RenderedDocument, builtin_document_path, load_document, render_document
from ..validation import join_path, validate

OPERATION_LISTS = ("Actions", "NotActions", "DataActions", "NotDataActions")
ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
DEFAULT_AUDIENCE = "api://AzureADTokenExchange"


def subscription_scope(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id.lower()}"


def check_role_definition(document: Any, subscription_id: str, key_path: str) -> dict[str, Any]:
    """The canonical role definition (operation lists sorted, de-duplicated), or one clear error.

    Every assignable scope must lie inside the linked subscription: a link never
    defines a role that can be assigned elsewhere.
    """
    if not isinstance(document, Mapping):
        raise LinkConfigError(key_path, document, "a role definition: {Name, Actions, AssignableScopes, ...}")
    doc = copy.deepcopy(dict(document))
    for key in OPERATION_LISTS:
        if isinstance(doc.get(key), list) and all(isinstance(v, str) for v in doc[key]):
            doc[key] = sorted(set(doc[key]), key=lambda op: (op.lower(), op))
        doc.setdefault(key, [])
    doc.setdefault("IsCustom", True)
    validate("azure-role-definition.schema.json", doc, key_path, from_file=True)
    scope = subscription_scope(subscription_id)
    for index, assignable in enumerate(doc["AssignableScopes"]):
        if not (assignable.lower() == scope or assignable.lower().startswith(scope + "/")):
            raise LinkConfigError(
                join_path(key_path, ["AssignableScopes", index]), assignable, f"{scope} or a scope under it (the linked subscription)"
            )
    return doc


def render_role_definition(path: Path, link_id: str, subscription_id: str, key_path: str) -> RenderedDocument:
    """A role definition with this link's names filled in, checked against the subscription, canonical."""
    return render_document(path, {"LinkId": link_id, "SubscriptionId": subscription_id.lower()}, _checker(subscription_id), key_path)


@cache
def _checker(subscription_id: str) -> Callable[[Any, str], dict[str, Any]]:
    """The role definition check for one subscription (one function per subscription, so renders cache)."""
    return lambda document, key_path: check_role_definition(document, subscription_id, key_path)


def grants_role_assignment_write(document: Mapping[str, Any]) -> bool:
    """Whether the Actions allow writing role assignments (directly or through a wildcard)."""
    target = ROLE_ASSIGNMENT_WRITE.lower()
    allowed = any(fnmatchcase(target, op.lower()) for op in document.get("Actions", []))
    denied = any(fnmatchcase(target, op.lower()) for op in document.get("NotActions", []))
    return allowed and not denied


def delegation_condition(role_definition_guids: Iterable[str], own_principal_id: str) -> str:
    """An ABAC condition for the link's own role assignments (version 2.0).

    The link may create or delete role assignments only for the listed roles, create them only for service
    principals, and neither create nor delete one for its own principal: a managed identity *is* a service
    principal, so without that clause it could give itself any of the listed data roles.
    """
    roles = ", ".join(sorted(g.lower() for g in role_definition_guids))
    own = own_principal_id.lower()
    return (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        f"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{roles}}} AND "
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'} AND "
        f"@Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidNotEquals {{{own}}}))"
        " AND "
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        f"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{roles}}} AND "
        f"@Resource[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidNotEquals {{{own}}}))"
    )


PRINCIPAL_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
"""Stands for the link's principal id, unknown until the identity exists, where the condition is only linted."""


WORKLOAD_ROLES_DOCUMENT = "workload-roles"


def workload_roles() -> dict[str, str]:
    """Built-in role name -> role definition GUID, from ``policy_docs/azure/workload-roles.json``."""
    path = builtin_document_path("azure", WORKLOAD_ROLES_DOCUMENT)
    return dict(load_document(path, str(path))["roles"])
