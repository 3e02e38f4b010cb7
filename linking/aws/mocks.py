"""What AWS would answer, offline: ARNs from names, the caller identity and partition from the stack's config."""

from __future__ import annotations

from typing import Any, Optional

from ..config import SECRET_PLACEHOLDER
from ..names import stable_digits

PACKAGES = ("aws", "random")


def _arn(ambient: Any, kind: str) -> str:
    return f"arn:{ambient.aws_partition}:iam::{ambient.aws_account_id}:{kind}"


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
        return account, {**inputs, "arn": f"arn:{ambient.aws_partition}:organizations::{ambient.aws_account_id}:account/o-offline/{account}"}
    if typ == "random:index/randomPassword:RandomPassword":
        return f"{name}-id", {**inputs, "result": SECRET_PLACEHOLDER}
    return None


def invoke(token: str, args: dict[str, Any], ambient: Any) -> Optional[dict[str, Any]]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        account = ambient.aws_account_id
        return {"accountId": account, "arn": _arn(ambient, "user/offline-plan"), "userId": "OFFLINEPLAN", "id": account}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": ambient.aws_partition, "dnsSuffix": "amazonaws.com", "reverseDnsSuffix": "com.amazonaws",
                "id": ambient.aws_partition}
    return None
