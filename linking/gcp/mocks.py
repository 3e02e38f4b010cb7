"""What GCP would answer, offline: emails and resource names from ids, the project from the stack's config."""

from __future__ import annotations

from typing import Any, Optional

from ..contract import SECRET_PLACEHOLDER
from ..names import stable_digits

PACKAGES = ("gcp", "time")
AMBIENT = {"gcp_project": "example-project"}
"""What the invokes answer when the stack names no project (`linking.planned.Ambient`)."""


def _project(ambient: Any) -> str:
    return ambient.get("gcp_project", AMBIENT["gcp_project"])


def _project_number(ambient: Any) -> str:
    """A stand-in project number, stable for the project id."""
    return stable_digits(_project(ambient), 12)


def _pool_name(ambient: Any, pool_id: str) -> str:
    return f"projects/{_project_number(ambient)}/locations/global/workloadIdentityPools/{pool_id}"


def outputs(typ: str, name: str, inputs: dict[str, Any], ambient: Any) -> Optional[tuple[str, dict[str, Any]]]:
    out = dict(inputs)
    if typ == "gcp:serviceaccount/account:Account":
        email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
        out.update(email=email, member=f"serviceAccount:{email}", name=f"projects/{inputs['project']}/serviceAccounts/{email}",
                   uniqueId=stable_digits(email, 21))
        return out["name"], out
    if typ == "gcp:projects/iAMCustomRole:IAMCustomRole":
        role = f"projects/{inputs['project']}/roles/{inputs['roleId']}"
        return role, {"name": role, "roleId": inputs["roleId"]}  # not the long permission list back
    if typ == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
        out["name"] = _pool_name(ambient, inputs["workloadIdentityPoolId"])
    elif typ == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
        out["name"] = _pool_name(ambient, inputs["workloadIdentityPoolId"]) + f"/providers/{inputs['workloadIdentityPoolProviderId']}"
    elif typ == "gcp:serviceaccount/key:Key":
        out.update(name=f"{inputs['serviceAccountId']}/keys/{stable_digits(name, 16)}", privateKey=SECRET_PLACEHOLDER)
    elif typ == "gcp:organizations/project:Project":  # a vended project: its number as Google gives it
        out["number"] = stable_digits(str(inputs.get("projectId")), 12)
        return f"projects/{inputs.get('projectId')}", out
    elif typ == "time:index/rotating:Rotating":
        out["rotationRfc3339"] = f"(creation time + {int(inputs['rotationDays'])} days)"
    else:
        return None
    return f"{name}-id", out


def invoke(token: str, args: dict[str, Any], ambient: Any) -> Optional[dict[str, Any]]:
    if token == "gcp:organizations/getClientConfig:getClientConfig":
        return {"project": _project(ambient), "region": "", "zone": "", "accessToken": SECRET_PLACEHOLDER, "id": "offline-plan"}
    if token == "gcp:organizations/getProject:getProject":
        project = args.get("projectId", _project(ambient))
        return {"projectId": project, "number": _project_number(ambient), "name": project, "id": f"projects/{project}"}
    return None
