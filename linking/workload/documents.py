"""What a linked service account grants, checked before anything registers (no cloud SDK)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ..config import WorkloadSpec
from ..errors import LinkConfigError
from ..findings import errors
from ..aws.documents import render_policy
from ..gcp.lint import lint_gcp
from ..validation import join_path


def check_workload(spec: WorkloadSpec, key_path: str) -> Optional[dict[str, Any]]:
    """The inline IAM document (rendered and checked), or None; basic GCP roles are refused.

    ``key_path`` names the entry (``linking:serviceAccounts[0]``); errors name the key below it.
    """
    for index, role in enumerate(spec.gcp.roles if spec.gcp else ()):
        for found in errors(lint_gcp([], "", roles=[role])):
            raise LinkConfigError(
                join_path(key_path, ["gcp", "roles", index]), role,
                f"a predefined or custom role, not a basic role ({found.rule}: owner, editor and viewer grant far too much)",
            )
    if spec.aws is None or spec.aws.policy_file is None:
        return None
    return render_policy(Path(spec.aws.policy_file), None, join_path(key_path, ["aws", "policyFile"])).document
