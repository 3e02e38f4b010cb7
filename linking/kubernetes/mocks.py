"""What a cluster would answer, offline: a service-account token Secret filled with placeholders."""

from __future__ import annotations

import base64
from typing import Any, Optional

from ..contract import SECRET_PLACEHOLDER

PACKAGES = ("kubernetes",)


def outputs(typ: str, name: str, inputs: dict[str, Any], ambient: Any) -> Optional[tuple[str, dict[str, Any]]]:
    if typ == "kubernetes:core/v1:Secret" and inputs.get("type") == "kubernetes.io/service-account-token":
        data = {  # filled by the cluster's token controller
            "token": base64.b64encode(SECRET_PLACEHOLDER.encode()).decode(),
            "ca.crt": base64.b64encode(b"[cluster CA]").decode(),
        }
        return f"{name}-id", {**inputs, "data": data}
    return None


def invoke(token: str, args: dict[str, Any], ambient: Any) -> Optional[dict[str, Any]]:
    return None
