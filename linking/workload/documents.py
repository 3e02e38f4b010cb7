"""What a linked service account grants, checked before anything registers (no cloud SDK)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ..config import WorkloadSpec
from ..errors import LinkConfigError
from ..findings import errors
from ..aws.documents import render_policy
from ..validation import join_path


def check_workload(spec: WorkloadSpec, key_path: str) -> Optional[dict[str, Any]]:
    """The inline IAM document (rendered and checked), or None. Everything the workload is granted goes through
    the same lint as a link's tier: its inline document, each AWS managed policy by its document, each GCP
    predefined role by its permissions, each Azure built-in role by its definition (the shipped data).

    ``key_path`` names the entry (``linking:serviceAccounts[0]``); errors name the key below it.
    """
    from ..aws.lint import lint_aws_permissions, lint_managed_policy
    from ..azure.lint import RESOURCE_LINTERS as AZURE_LINTERS
    from ..gcp.lint import RESOURCE_LINTERS as GCP_LINTERS

    checks: list[tuple[list[Any], list[str | int], Any]] = []
    for index, role in enumerate(spec.gcp.roles if spec.gcp else ()):
        checks.append(([*GCP_LINTERS["gcp:projects/iAMMember:IAMMember"]({"role": role}, role, None)], ["gcp", "roles", index], role))
    for index, assignment in enumerate(spec.azure.role_assignments if spec.azure else ()):
        props = {"roleDefinitionId": assignment.role_definition_id, "condition": "the assignment is the workload's own"}
        found = AZURE_LINTERS["azure-native:authorization:RoleAssignment"](props, assignment.role_definition_id, None)
        checks.append((found, ["azure", "roleAssignments", index, "roleDefinitionId"], assignment.role_definition_id))
    for index, arn in enumerate(spec.aws.policy_arns if spec.aws else ()):
        checks.append((lint_managed_policy(arn, arn), ["aws", "policyArns", index], arn))
    document = None
    if spec.aws is not None and spec.aws.policy_file is not None:
        document = render_policy(Path(spec.aws.policy_file), None, join_path(key_path, ["aws", "policyFile"])).document
        checks.append((lint_aws_permissions(document, "policyFile"), ["aws", "policyFile"], spec.aws.policy_file))
    for found, where, value in checks:
        for error in errors(found):
            raise LinkConfigError(join_path(key_path, where), value, f"a grant that passes the lint ({error.rule} forbids: {error.title}; here: {error.detail})")
    return document
