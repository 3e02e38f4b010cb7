"""What AWS would answer, offline: ARNs from names, the caller identity and partition from the stack's config."""

from __future__ import annotations

from typing import Any, Optional

from ..contract import SECRET_PLACEHOLDER
from ..names import stable_digits

PACKAGES = ("aws", "random")
AMBIENT = {"aws_account_id": "123456789012", "aws_partition": "aws"}
"""What the invokes answer when the stack names no account (`linking.planned.Ambient`)."""


def _account(ambient: Any) -> str:
    return ambient.get("aws_account_id", AMBIENT["aws_account_id"])


def _partition(ambient: Any) -> str:
    return ambient.get("aws_partition", AMBIENT["aws_partition"])


def _arn(ambient: Any, kind: str) -> str:
    return f"arn:{_partition(ambient)}:iam::{_account(ambient)}:{kind}"


def outputs(typ: str, name: str, inputs: dict[str, Any], ambient: Any) -> Optional[tuple[str, dict[str, Any]]]:
    """(id, outputs) for the types whose outputs differ from their inputs; None for the rest."""
    if typ in ("aws:iam/role:Role", "aws:iam/policy:Policy"):
        kind = "role" if typ == "aws:iam/role:Role" else "policy"
        # Without a name, AWS's provider names it after the resource plus a random suffix (shown as -xxxxxxx).
        physical = inputs.get("name") or f"{name}-xxxxxxx"
        return physical, {**inputs, "name": physical, "arn": _arn(ambient, f"{kind}{inputs.get('path', '/')}{physical}")}
    if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        if not isinstance(inputs.get("url"), str):  # an issuer known only after apply: so is the ARN
            return None
        arn = _arn(ambient, "oidc-provider/" + inputs["url"].removeprefix("https://"))
        return arn, {**inputs, "arn": arn}
    if typ == "aws:organizations/account:Account":  # a vended account: its id is twelve digits, as AWS gives it
        account = stable_digits(f"{inputs.get('email')}|{name}", 12)
        return account, {**inputs, "arn": f"arn:{_partition(ambient)}:organizations::{_account(ambient)}:account/o-offline/{account}"}
    if typ == "random:index/randomPassword:RandomPassword":
        return f"{name}-id", {**inputs, "result": SECRET_PLACEHOLDER}
    return None


def invoke(token: str, args: dict[str, Any], ambient: Any) -> Optional[dict[str, Any]]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        account = _account(ambient)
        return {"accountId": account, "arn": _arn(ambient, "user/offline-plan"), "userId": "OFFLINEPLAN", "id": account}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": _partition(ambient), "dnsSuffix": "amazonaws.com", "reverseDnsSuffix": "com.amazonaws",
                "id": _partition(ambient)}
    return None
