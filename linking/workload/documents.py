"""What a linked service account grants, checked before anything registers (no cloud SDK)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..errors import LinkConfigError
from ..findings import errors
from ..providers import part
from ..validation import join_path

if TYPE_CHECKING:
    from ..config import WorkloadSpec


def check_workload(spec: "WorkloadSpec", key_path: str) -> Optional[dict[str, Any]]:
    """The inline IAM document (rendered and checked), or None. Everything the workload is granted goes through
    the same lint as a link's tier: its inline document, each AWS managed policy by its document, each GCP
    predefined role by its permissions, each Azure built-in role by its definition (the shipped data).

    ``key_path`` names the entry (``linking:serviceAccounts[0]``); errors name the key below it.
    """
    section = join_path(key_path, [spec.cloud])
    checks, document = part(spec.cloud, "workload").checks(spec.settings, section)
    for found, where, value in checks:
        for error in errors(found):
            raise LinkConfigError(join_path(section, where), value, f"a grant that passes the lint ({error.rule} forbids: {error.title}; here: {error.detail})")
    return document
