"""GCP IAM without the GCP SDK: custom role documents, names, time conditions, workload identity trust."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from ..errors import LinkConfigError
from ..names import derived_name
from ..policy import RenderedDocument, render_document
from ..validation import join_path, validate
from .owned import EXPIRY_PREFIX

MAX_PERMISSIONS = 3000
"""Permissions in one custom role (GCP's limit)."""
BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
BASE_SERVICES = ("cloudresourcemanager.googleapis.com", "iam.googleapis.com", "serviceusage.googleapis.com")
ACCESS_SERVICES = {
    "impersonation": ("iamcredentials.googleapis.com",),
    "workload-identity": ("iamcredentials.googleapis.com", "sts.googleapis.com"),
    "key": (),
}
"""APIs the control plane's way in needs, besides `BASE_SERVICES`."""
SERVICE_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


def service_account_id(link_id: str) -> str:
    """``linking-<id>``, or a shortened, hashed form when that breaks GCP's 6-30 character rule."""
    return derived_name("linking-", link_id, 30)


def custom_role_id(link_id: str) -> str:
    """Role ids allow letters, digits, ``_`` and ``.``: no hyphens."""
    return "linking_" + link_id.replace("-", "_")


def workload_identity_pool_id(link_id: str) -> str:
    """4-32 characters; the ``gcp-`` prefix is reserved by Google, ours is ``linking-``."""
    return derived_name("linking-", link_id, 32)


def check_custom_role(document: Any, key_path: str) -> dict[str, Any]:
    """The canonical form of a custom role document (permissions sorted, de-duplicated), or one clear error."""
    if not isinstance(document, Mapping):
        raise LinkConfigError(key_path, document, "a custom role: {title, description, stage, includedPermissions: [...]}")
    doc = copy.deepcopy(dict(document))
    permissions = doc.get("includedPermissions")
    if isinstance(permissions, list):
        permissions_path = join_path(key_path, ["includedPermissions"])
        for index, permission in enumerate(permissions):
            if permission in BASIC_ROLES:
                raise LinkConfigError(
                    join_path(permissions_path, [index]),
                    permission,
                    "permissions, not a basic role: owner, editor and viewer grant far more than a link needs",
                )
        doc["includedPermissions"] = sorted(set(p for p in permissions if isinstance(p, str))) + [
            p for p in permissions if not isinstance(p, str)
        ]
        if len(doc["includedPermissions"]) > MAX_PERMISSIONS:
            count = len(doc["includedPermissions"])
            raise LinkConfigError(
                permissions_path,
                f"{count} permissions",
                f"at most {MAX_PERMISSIONS} permissions in one custom role (GCP's limit); {count - MAX_PERMISSIONS} too many",
            )
    if isinstance(permissions, list) and all(isinstance(p, str) for p in doc["includedPermissions"]):
        _check_permissions(tuple(doc["includedPermissions"]), key_path)
        doc_without_list = {**doc, "includedPermissions": doc["includedPermissions"][:1]}
    else:
        doc_without_list = doc
    validate("gcp-custom-role.schema.json", doc_without_list, key_path, from_file=True)
    doc.setdefault("stage", "GA")
    return doc


@lru_cache(maxsize=64)
def _check_permissions(permissions: tuple[Any, ...], key_path: str) -> None:
    """The permission list against the schema, once per distinct list: a tier's ~1,900 permissions are the same
    for every link of a fleet, while its title (with the link id) differs."""
    validate("gcp-custom-role.schema.json", {"title": "t", "includedPermissions": list(permissions)}, key_path, from_file=True)


def render_role(path: Path, link_id: str, project: str, key_path: str) -> RenderedDocument:
    """A custom role document with a link's names filled in, checked and canonical."""
    return render_document(path, {"LinkId": link_id, "Project": project}, check_custom_role, key_path)


def expiry_condition(link_id: str, expires_at: str) -> dict[str, str]:
    """An IAM condition Google itself evaluates: the binding stops granting at ``expires_at``."""
    return {
        "title": "linking-expiry",
        "description": f"Access of link {link_id} ends at {expires_at}",
        "expression": f'{EXPIRY_PREFIX}timestamp("{expires_at}")',
    }


def aws_role_session_arn(role_arn: str) -> str:
    """The assumed-role ARN that AWS credentials of ``role_arn`` present to GCP's STS."""
    match = re.match(r"^arn:(aws[a-z-]*):iam::([0-9]{12}):role/(?:.*/)?([^/]+)$", role_arn)
    if not match:
        raise ValueError(f"not an IAM role ARN: {role_arn}")
    partition, account, name = match.groups()
    return f"arn:{partition}:sts::{account}:assumed-role/{name}"


@dataclass(frozen=True)
class WorkloadIdentityTrust:
    """How a workload identity pool provider maps and filters the control plane's tokens."""

    attribute_mapping: dict[str, str]
    attribute_condition: str
    principal_attribute: str
    """``subject/<value>`` or ``attribute.<name>/<value>``: appended to the pool name to form the member."""
    aws_account_id: Optional[str] = None
    oidc_issuer: Optional[str] = None
    oidc_audiences: tuple[str, ...] = ()

    def member(self, pool_name: str) -> str:
        """The IAM member for exactly the control plane, given ``projects/<n>/locations/global/workloadIdentityPools/<id>``."""
        kind = "principal" if self.principal_attribute.startswith("subject/") else "principalSet"
        return f"{kind}://iam.googleapis.com/{pool_name}/{self.principal_attribute}"


def aws_trust(role_arn: str) -> WorkloadIdentityTrust:
    """Trust one AWS role: sessions of it, from its account only."""
    session = aws_role_session_arn(role_arn)
    account = role_arn.split(":")[4]
    return WorkloadIdentityTrust(
        attribute_mapping={
            "google.subject": "assertion.arn",
            "attribute.aws_role": (
                "assertion.arn.contains('assumed-role') ? assertion.arn.extract('{account_arn}assumed-role/')"
                " + 'assumed-role/' + assertion.arn.extract('assumed-role/{role_name}/') : assertion.arn"
            ),
        },
        attribute_condition=f"attribute.aws_role == {json.dumps(session)}",
        principal_attribute=f"attribute.aws_role/{session}",
        aws_account_id=account,
    )


def oidc_trust(issuer: str, subject: str, audience: Optional[str]) -> WorkloadIdentityTrust:
    """Trust one OIDC subject of one issuer (and audience, when given)."""
    return WorkloadIdentityTrust(
        attribute_mapping={"google.subject": "assertion.sub"},
        attribute_condition=f"assertion.sub == {json.dumps(subject)}",  # a JSON string is a valid CEL literal
        principal_attribute=f"subject/{subject}",
        oidc_issuer=issuer,
        oidc_audiences=(audience,) if audience else (),
    )
