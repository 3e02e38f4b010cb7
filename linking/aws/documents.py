"""AWS IAM documents without the AWS SDK: grammar, canonical form, trust, size limits.

Shared by the account link (`linking.aws`) and, later, workload identities, so
the trust conditions and size rules are written once.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from ..canonical import as_list, canonical_json, sha256_hex
from ..errors import LinkConfigError
from ..policy import RenderedDocument, fill_placeholders, load_document, policy_docs_root, render_document
from ..tags import OWNERSHIP_TAG
from ..validation import validate


VERSION = "2012-10-17"
INLINE_LIMIT = 10_240
"""Characters (whitespace not counted) of all inline policies of one role."""
MANAGED_LIMIT = 6_144
"""Characters (whitespace not counted) of one managed policy."""
MANAGED_PER_ROLE = 10
"""Managed policies attached to one role (IAM's default quota)."""
TRUST_LIMIT = 2_048
"""Characters (whitespace not counted) of a role trust policy (IAM's default quota)."""

_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
ROLE_PATH_NAME = "linking"
"""Link roles live under ``/linking/``; the admin tier denies changes to anything there."""
WORKLOAD_PATH_PREFIX = "linking-workloads"
BOUNDARY_DOCUMENT = "workload-boundary"
REVOKED_BOUNDARY = {
    "Version": VERSION,
    "Statement": [{"Sid": "LinkDisabledRevokeWorkloads", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}
"""The workload boundary of a disabled link with ``revokeWorkloads``: every role that carries it can do nothing."""


@dataclass(frozen=True)
class AwsNames:
    """Every physical name and ARN of one link, derived from its id alone."""

    link_id: str
    account_id: str
    partition: str

    @property
    def role_name(self) -> str:
        return f"linking-{self.link_id}"

    @property
    def role_path(self) -> str:
        return f"/{ROLE_PATH_NAME}/"

    @property
    def workload_path(self) -> str:
        """Path (without slashes) of the roles the control plane may create, each fenced by the boundary."""
        return f"{WORKLOAD_PATH_PREFIX}/{self.link_id}"

    @property
    def boundary_policy_name(self) -> str:
        return f"linking-{self.link_id}-{BOUNDARY_DOCUMENT}"

    @property
    def boundary_policy_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:policy{self.role_path}{self.boundary_policy_name}"

    def permission_policy_name(self, tier: str, part: Optional[int] = None) -> str:
        return f"linking-{self.link_id}-{tier}" + (f"-{part}" if part else "")

    def placeholders(self) -> dict[str, str]:
        """The ``{{Placeholders}}`` an AWS policy document may use."""
        return {
            "Partition": self.partition,
            "AccountId": self.account_id,
            "LinkId": self.link_id,
            "LinkRolePath": ROLE_PATH_NAME,
            "WorkloadPath": self.workload_path,
            "WorkloadBoundaryArn": self.boundary_policy_arn,
        }



def _sorted_unique(values: list[Any]) -> list[Any]:
    """Sort and de-duplicate; IAM action names compare case-insensitively."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(str(value).lower(), value)
    return [seen[k] for k in sorted(seen)]


def canonical_policy(document: Mapping[str, Any]) -> dict[str, Any]:
    """Statement, Action and Resource as sorted, de-duplicated lists; condition value lists sorted.

    Statement order is kept: it is authored, and reviewers read it top down.
    Tolerates malformed input (it runs before the grammar check, which reports it).
    """
    doc = copy.deepcopy(dict(document))
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        for statement in statements:
            if not isinstance(statement, dict):
                continue
            for key in _LIST_KEYS:
                if key in statement:
                    statement[key] = _sorted_unique(as_list(statement[key]))
            for operator in (statement.get("Condition") or {}).values() if isinstance(statement.get("Condition"), dict) else ():
                if isinstance(operator, dict):
                    for key, value in operator.items():
                        if isinstance(value, list) and len(value) > 1:
                            operator[key] = sorted(value, key=str)
        doc["Statement"] = statements
    return doc


def check_identity_policy(document: Any, key_path: str) -> dict[str, Any]:
    """The canonical form of an identity policy, or a `LinkConfigError` naming the statement at fault."""
    if not isinstance(document, Mapping):
        raise LinkConfigError(key_path, document, 'an IAM policy document: {"Version": "2012-10-17", "Statement": [...]}')
    doc = canonical_policy(document)
    validate("aws-iam-policy.schema.json", doc, key_path, from_file=True)
    return doc


check_identity_policy.canonical = canonical_policy  # type: ignore[attr-defined]
"""The schema constrains strings only by the action, Sid and resource patterns: a document that passes with each
placeholder's shape in place (`linking.policy._shape`) passes with any value of that shape (tests/aws/test_documents.py
holds the schema to that), so a fleet's tier grammar is checked once per file, not once per link."""


def render_policy(path: Path, names: Optional[AwsNames], key_path: str) -> RenderedDocument:
    """An IAM policy document with a link's names filled in, checked and canonical.

    Without ``names`` (a workload's inline policy, written for one account) it may hold no placeholders.
    """
    return render_document(path, names.placeholders() if names else {}, check_identity_policy, key_path)


def rendered(document: Mapping[str, Any]) -> RenderedDocument:
    """A document built in code, in the form a rendered file has (canonical text and its digest)."""
    doc = canonical_policy(document)
    text = canonical_json(doc)
    return RenderedDocument(document=doc, text=text, sha256=sha256_hex(text))


CLAIMS_DOCUMENT = "admin.claims.json"
"""Generated beside the admin tier (``scripts/aws_tiers.py``): per service, what ``aws.allowClaims`` may add."""


def with_claims(policy: RenderedDocument, services: Iterable[str], names: AwsNames, key_path: str) -> RenderedDocument:
    """The admin tier plus one statement that lets the link stamp *untagged* resources of the named services that
    have no name to fence by (a KMS key): a claim. Only what the stack opts in to, each service with a reason."""
    wanted = sorted(set(services))
    if not wanted:
        return policy
    claimable = load_document(policy_docs_root() / "aws" / CLAIMS_DOCUMENT, CLAIMS_DOCUMENT)
    statement = fill_placeholders({
        "Sid": "ClaimUntaggedResourcesTheStackAllows",
        "Effect": "Allow",
        "Action": [a for service in wanted for a in claimable[service]["actions"]],
        "Resource": [r for service in wanted for r in claimable[service]["resources"]],
        "Condition": {"StringEquals": {f"aws:RequestTag/{OWNERSHIP_TAG}": "{{LinkId}}"},
                      "Null": {f"aws:ResourceTag/{OWNERSHIP_TAG}": "true"}},
    }, names.placeholders(), key_path)
    return rendered({**policy.document, "Statement": [*policy.document["Statement"], statement]})


def claimed_actions(services: Iterable[str]) -> frozenset[str]:
    """The tag actions ``aws.allowClaims`` adds for these services (the lint accepts them: the stack says why)."""
    claimable = load_document(policy_docs_root() / "aws" / CLAIMS_DOCUMENT, CLAIMS_DOCUMENT)
    return frozenset(a for service in set(services) for a in claimable[service]["actions"])


def policy_size(document: Any) -> int:
    """Size as IAM counts it: characters of the JSON without whitespace (of a document, or of one value in it)."""
    return len(_WHITESPACE.sub("", canonical_json(document)))


_WHITESPACE = re.compile(r"\s")


def oidc_condition_prefix(issuer: str) -> str:
    """The condition-key prefix IAM derives from an issuer URL (host and path, no scheme)."""
    return re.sub(r"^https://", "", issuer).rstrip("/")


def principal_trust_statement(principal_arn: str, external_id: str) -> dict[str, Any]:
    """The control plane's AWS principal, only with the external ID (the confused-deputy guard)."""
    return {
        "Sid": "ControlPlaneAssumeRole",
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
    }


def web_identity_trust_statement(provider_arn: str, issuer: str, audience: str, subject: str) -> dict[str, Any]:
    """Tokens of one OIDC issuer, only for the exact audience and subject."""
    prefix = oidc_condition_prefix(issuer)
    return {
        "Sid": "ControlPlaneWebIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{prefix}:aud": audience, f"{prefix}:sub": subject}},
    }


EKS_AUDIENCE = "sts.amazonaws.com"


def irsa_trust(provider_arn: str, issuer: str, subject: str) -> dict[str, Any]:
    """EKS IAM roles for service accounts: trust for exactly one ServiceAccount's token, ``sub`` and ``aud`` pinned."""
    return trust_policy(web_identity_trust_statement(provider_arn, issuer, EKS_AUDIENCE, subject))


def trust_policy(statement: Mapping[str, Any], *, expires_at: Optional[str] = None, enabled: bool = True) -> dict[str, Any]:
    """A role trust policy around one trust statement.

    ``expires_at`` adds ``DateLessThan aws:CurrentTime``, so STS itself refuses
    the role after that instant. A disabled link keeps the principal but denies
    it, without conditions: nobody can assume the role, and the document still
    shows whom it was for.
    """
    statement = copy.deepcopy(dict(statement))
    if not enabled:
        statement = {
            "Sid": "LinkDisabled",
            "Effect": "Deny",
            "Principal": statement["Principal"],
            "Action": statement["Action"],
        }
    elif expires_at:
        statement["Condition"]["DateLessThan"] = {"aws:CurrentTime": expires_at}
    return canonical_policy({"Version": VERSION, "Statement": [statement]})


def check_trust_size(document: Mapping[str, Any], key_path: str) -> None:
    size = policy_size(document)
    if size > TRUST_LIMIT:
        raise LinkConfigError(
            key_path, f"a trust policy of {size} characters",
            f"at most {TRUST_LIMIT} characters (IAM's default quota for a role trust policy): {size - TRUST_LIMIT} over",
        )


@dataclass(frozen=True)
class PolicyLayout:
    """Where a permission document goes on a role: one inline policy, or several managed ones."""

    inline: Optional[dict[str, Any]]
    managed: tuple[dict[str, Any], ...] = ()


def layout_policy(document: Mapping[str, Any], key_path: str, *, managed_slots: int = MANAGED_PER_ROLE) -> PolicyLayout:
    """Fit a canonical document into IAM's limits, deterministically.

    Inline when it fits in `INLINE_LIMIT`; otherwise statements are packed in
    order into managed policies of at most `MANAGED_LIMIT`, a statement too big
    for one policy being cut by its Action list. Raises when even
    ``managed_slots`` policies cannot hold it, saying by how much.
    """
    size = policy_size(document)
    if size <= INLINE_LIMIT:
        return PolicyLayout(inline=dict(document))
    pieces = [piece for s in document["Statement"] for piece in _fit_statement(s, key_path)]
    documents: list[list[dict[str, Any]]] = [[]]
    used = _EMPTY_SIZE
    for piece in pieces:
        # Without whitespace a document's size is its frame's, plus each statement's, plus a comma between two.
        piece_size = policy_size(piece) + (1 if documents[-1] else 0)
        if documents[-1] and used + piece_size > MANAGED_LIMIT:
            documents.append([])
            used, piece_size = _EMPTY_SIZE, piece_size - 1
        documents[-1].append(piece)
        used += piece_size
    if len(documents) > managed_slots:
        raise LinkConfigError(
            key_path,
            f"{size} characters",
            f"a document that fits {managed_slots} managed policies of {MANAGED_LIMIT} characters "
            f"(IAM's limit per role); it needs {len(documents)}, {len(documents) - managed_slots} too many",
        )
    return PolicyLayout(inline=None, managed=tuple(_document(d) for d in documents))


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": statements}


_EMPTY_SIZE = policy_size(_document([]))


def _fit_statement(statement: dict[str, Any], key_path: str) -> list[dict[str, Any]]:
    """The statement, or parts of it cut by Action, each fitting one managed policy.

    Only ``Action`` is cut: the union of the parts grants the same. ``NotAction``
    cannot be cut without widening the grant.
    """
    if policy_size(_document([statement])) <= MANAGED_LIMIT:
        return [statement]
    sid = statement.get("Sid", "")
    too_big = LinkConfigError(
        f"{key_path} statement {sid or '(no Sid)'}",
        f"{policy_size(_document([statement]))} characters",
        f"a statement of at most {MANAGED_LIMIT} characters, or one whose Action list can be cut to fit",
    )
    if "Action" not in statement or len(statement["Action"]) < 2:
        raise too_big

    def part(actions: list[str], number: int) -> dict[str, Any]:
        return {**statement, "Action": actions, **({"Sid": f"{sid}Part{number}"} if sid else {})}

    def frame_size(number: int) -> int:  # the part's document with an empty Action list
        return policy_size(_document([part([], number)]))

    # A part's size is its frame's plus each action's, plus a comma between two: counted as actions are added,
    # not by measuring the part again for each (quadratic in a tier of thousands of actions).
    parts: list[dict[str, Any]] = []
    actions: list[str] = []
    frame, listed = frame_size(1), 0
    for action in statement["Action"]:
        size = policy_size(action)
        if actions and frame + listed + 1 + size > MANAGED_LIMIT:
            parts.append(part(actions, len(parts) + 1))
            actions, frame, listed = [], frame_size(len(parts) + 1), 0
        listed += size + (1 if actions else 0)
        actions.append(action)
    parts.append(part(actions, len(parts) + 1))
    if any(policy_size(_document([p])) > MANAGED_LIMIT for p in parts):
        raise too_big
    return parts
