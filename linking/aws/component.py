"""AWS account link: an IAM role the control plane assumes, with a tier of permissions.

Importing this module imports ``pulumi_aws`` (and ``pulumi_random`` when an external ID is generated).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Optional

import pulumi

from ..canonical import canonical_json
from ..component import LinkComponent, RunTimeSettings, TierFacts, invoke_options, is_stand_in, wrong_target
from ..findings import Finding
from ..contract import CONFIG_KEY, known
from ..errors import LinkConfigError
from ..extras import require_extra
from ..policy import RenderedDocument, builtin_document_path, kept_by_ledger
from ..record import LinkRecord, link_record
from ..tags import OWNERSHIP_TAG, describe_link, provenance_tags
from ..validation import join_path
from .cloud import CLOUD
from . import documents, lint
from .documents import BOUNDARY_DOCUMENT, AwsNames, render_policy

if TYPE_CHECKING:
    from ..config import LinkSpec

require_extra(CLOUD.name, CLOUD.sdk_modules)  # before the SDK import: a missing extra is a one-line error naming it
import pulumi_aws as aws  # noqa: E402

EXTERNAL_ID_LENGTH = 32


def _description(spec: LinkSpec) -> str:
    """IAM descriptions allow Latin-1 printable characters only; others become '?'."""
    return re.sub(r"[^\t\n\r\x20-\x7e\xa1-\xff]", "?", describe_link(spec))[:1000]


def check_account(account_id: str, actual: Optional[str]) -> None:
    """Stop when the ambient credentials reach another account than the config names."""
    if actual != account_id:
        raise wrong_target("aws.accountId", account_id, actual, "switch AWS credentials or fix the config")


def _named_partition(spec: LinkSpec) -> str:
    """The partition the link's own ARNs name, for an invoke that answers nothing (Pulumi's unit-test mocks
    answer every call with what the test returns, often {}); AWS itself always answers. `check_partitions`
    holds the ARNs to the answered partition when there is one."""
    cp = spec.control_plane
    named = [known(cp.aws.principal_arn) if cp.aws else None, cp.oidc.provider_arn if cp.oidc else None,
             spec.aws.permissions_boundary_arn if spec.aws else None]
    return next((arn.split(":")[1] for arn in named if arn and not is_stand_in(spec, arn)), "aws")


def check_partitions(spec: LinkSpec, partition: str) -> None:
    """Every ARN the link names is in the link's own partition (an aws-cn principal cannot assume an aws role)."""
    assert spec.aws is not None
    cp = spec.control_plane
    named = {
        "controlPlane.aws.principalArn": known(cp.aws.principal_arn) if cp.aws else None,
        "controlPlane.oidc.providerArn": cp.oidc.provider_arn if cp.oidc else None,
        "aws.permissionsBoundaryArn": spec.aws.permissions_boundary_arn,
    }
    for key, arn in named.items():
        if arn is not None and not is_stand_in(spec, arn) and arn.split(":")[1] != partition:
            raise LinkConfigError(
                join_path(CONFIG_KEY, key.split(".")), arn, f"an ARN in the link's partition, arn:{partition}:... (the account is in {partition})"
            )


class AwsAccountLinkArgs:
    """Arguments of `AwsAccountLink`."""

    def __init__(self, link: LinkSpec, *, verify_account: bool = True) -> None:
        """
        :param link: the link; ``link.provider`` is ``aws`` and ``link.aws`` is set.
        :param verify_account: compare ``link.aws.accountId`` with the caller identity
            before creating anything (turn off only where no credentials exist).
        """
        self.link = link
        self.verify_account = verify_account


class AwsAccountLink(LinkComponent):
    """An IAM role for the control plane: trust, tier permissions, provenance tags, link record."""

    TYPE, CLOUD, RULES = "linking:aws:AccountLink", CLOUD, lint.RULES
    role: aws.iam.Role
    external_id: Optional[pulumi.Output[str]]
    """Secret; None with OIDC trust."""
    policy: RenderedDocument
    link_secrets: Optional[pulumi.Output[dict[str, Any]]]

    def __init__(self, name: str, args: AwsAccountLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(name, args, opts)

    def render(self, run: RunTimeSettings, tier: TierFacts, args: Any, opts: Optional[pulumi.ResourceOptions]) -> list[Finding]:
        """The tier on the account (after the guards: the account the credentials reach, ARNs in its partition), the
        workload boundary when the tier names it, the trust's size, and their lint."""
        spec = run.spec
        assert spec.aws is not None
        invoke_opts = invoke_options(opts, "aws")
        # Known now: checked now. Known at run time: everything is rendered with a stand-in of the same length
        # (sizes, layout and lint do not depend on the digits) and the real value is put in when it resolves.
        if args.verify_account:
            run.check(("aws", "account_id"), check_account, answer=(
                lambda: aws.get_caller_identity(opts=invoke_opts).account_id,
                lambda: aws.get_caller_identity_output(opts=invoke_opts).account_id,
            ))
        partition = aws.get_partition(opts=invoke_opts).partition or _named_partition(spec)
        names = self.names = AwsNames(spec.id, known(spec.aws.account_id), partition)
        check_partitions(spec, names.partition)
        if spec.control_plane.aws is not None:
            run.check(("control_plane", "aws", "principal_arn"), lambda arn: check_partitions(
                dataclasses.replace(spec, control_plane=dataclasses.replace(
                    spec.control_plane, aws=dataclasses.replace(spec.control_plane.aws, principal_arn=arn))), names.partition))
        claims = [claim.service for claim in spec.aws.allow_claims] if spec.tier == "admin" and spec.aws.scope == "owned" else []
        self.policy = documents.with_claims(render_policy(tier.document, names, tier.key_path), claims, names, tier.key_path)
        self.layout = documents.layout_policy(self.policy.document, tier.key_path)
        self.boundary = None
        if names.boundary_policy_arn in self.policy.text:
            self.boundary = render_policy(builtin_document_path("aws", BOUNDARY_DOCUMENT), names, tier.key_path)
            if spec.aws.revoke_workloads and not spec.enabled:
                self.boundary = documents.rendered(documents.REVOKED_BOUNDARY)
        external_id = spec.control_plane.aws.external_id if spec.control_plane.aws else None
        trust_preview = self._trust_document(spec, names, external_id or "x" * EXTERNAL_ID_LENGTH, None)
        documents.check_trust_size(trust_preview, join_path(CONFIG_KEY, ["controlPlane"]))
        return (
            lint.lint_aws_trust(trust_preview, "trust policy")
            + lint.lint_aws_permissions(
                self.policy.document, tier.label, tier=spec.tier, link_id=spec.id,
                boundaries={names.boundary_policy_arn} | ({spec.aws.permissions_boundary_arn} if spec.aws.permissions_boundary_arn else set()),
                kept=tier.kept | documents.claimed_actions(claims),
            )
            + (lint.lint_aws_permissions(
                self.boundary.document, f"policy_docs/aws/{BOUNDARY_DOCUMENT}.json", link_id=spec.id,
                kept=kept_by_ledger(builtin_document_path("aws", BOUNDARY_DOCUMENT)),
            ) if self.boundary else [])
            + lint.lint_aws_settings(spec.aws, tier=spec.tier)
            + tier.kept_reads()
        )

    def register(self, name: str, run: RunTimeSettings, tier: TierFacts, warnings: list[str],
                 opts: Optional[pulumi.ResourceOptions]) -> pulumi.Output[LinkRecord]:
        """The role with its trust, the workload boundary, the tier's policies; the record."""
        spec, names = run.spec, self.names
        assert spec.aws is not None
        child = pulumi.ResourceOptions(parent=self)
        tags = provenance_tags(spec)
        trust, authentication = self._trust(name, spec, names, child, tags, run)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.role_name,
            path=names.role_path,
            description=_description(spec),
            assume_role_policy=run.put(trust),
            max_session_duration=spec.aws.max_session_hours * 3600,
            permissions_boundary=spec.aws.permissions_boundary_arn,
            tags=tags,
            opts=child,
        )
        boundary_arn = None
        if self.boundary is not None:
            boundary_arn = aws.iam.Policy(
                f"{name}-workload-boundary",
                name=names.boundary_policy_name,
                path=names.role_path,
                description=f"Most that any role created by link {spec.id} may do (no IAM writes)",
                policy=run.put(self.boundary.text),
                tags=tags,
                opts=child,
            ).arn
        managed_arns = self._permissions(name, spec, names, self.layout, tags, child, run) if spec.enabled else []
        self.policy_sha256 = run.sha256(self.policy.text)
        self.link_secrets = pulumi.Output.secret({"externalId": self.external_id}) if self.external_id is not None else None
        record: pulumi.Output[LinkRecord] = run.put(link_record(
            spec,
            policy_sha256=self.policy_sha256,
            target={"accountId": names.account_id, "partition": names.partition},
            identity={"roleArn": self.role.arn, "roleName": self.role.name},
            authentication=authentication,
            expiry_enforcement=(
                "STS refuses AssumeRole from expiresAt on (trust policy condition aws:CurrentTime); "
                f"a session issued before then lasts at most {spec.aws.max_session_hours} h"
                if spec.expires_at
                else "no expiry"
            ),
            details=self._details(spec, managed_arns, boundary_arn),
            warnings=warnings,
        ))
        return record

    def _details(self, spec: "LinkSpec", managed_arns: list[pulumi.Output[str]], boundary_arn: Optional[pulumi.Output[str]]) -> dict[str, Any]:
        assert spec.aws is not None
        return {
            "maxSessionSeconds": spec.aws.max_session_hours * 3600,
            "permissionsBoundaryArn": spec.aws.permissions_boundary_arn,
            "managedPolicyArns": managed_arns,
            "workloadRolePath": f"/{self.names.workload_path}/" if boundary_arn else None,
            "workloadBoundaryArn": boundary_arn,
            "scope": spec.aws.scope,
            "revokeWorkloads": spec.aws.revoke_workloads,
            "allowClaims": [{"service": c.service, "reason": c.reason} for c in spec.aws.allow_claims],
            "ownership": {"tagKey": OWNERSHIP_TAG, "tagValue": spec.id} if f"Tag/{OWNERSHIP_TAG}" in self.policy.text else None,
        }

    def outputs(self) -> dict[str, Any]:
        return {"roleArn": self.role.arn, "policySha256": self.policy_sha256}

    @staticmethod
    def _trust_document(spec: LinkSpec, names: AwsNames, external_id: str, provider_arn: Optional[str]) -> dict[str, Any]:
        """The trust policy, given the external ID and OIDC provider ARN (known only once resources exist)."""
        assert spec.aws is not None
        cp = spec.control_plane
        if spec.aws.trust == "principal":
            assert cp.aws is not None
            statement = documents.principal_trust_statement(known(cp.aws.principal_arn), external_id)
        else:
            oidc = cp.oidc
            assert oidc is not None and oidc.audience is not None and oidc.subject is not None
            arn = provider_arn or oidc.provider_arn or (
                f"arn:{names.partition}:iam::{names.account_id}:oidc-provider/{documents.oidc_condition_prefix(known(oidc.issuer))}"
            )
            statement = documents.web_identity_trust_statement(arn, known(oidc.issuer), oidc.audience, oidc.subject)
        return documents.trust_policy(statement, expires_at=spec.expiry, enabled=spec.enabled)

    def _trust(
        self, name: str, spec: LinkSpec, names: AwsNames, child: pulumi.ResourceOptions, tags: dict[str, str], run: RunTimeSettings
    ) -> tuple[pulumi.Output[str], dict[str, Any]]:
        """The trust policy (an Output, secret when it carries the external ID) and how to authenticate."""
        assert spec.aws is not None
        cp = spec.control_plane
        self.external_id = None
        if spec.aws.trust == "principal":
            assert cp.aws is not None
            if cp.aws.external_id is not None:
                self.external_id = pulumi.Output.secret(cp.aws.external_id)
            else:
                import pulumi_random as random  # only when an external ID is generated

                # RandomPassword marks `result` secret through the engine; wrapping says so in code too.
                self.external_id = pulumi.Output.secret(
                    random.RandomPassword(
                        f"{name}-external-id", length=EXTERNAL_ID_LENGTH, special=False, opts=child
                    ).result
                )
            trust = self.external_id.apply(lambda external_id: canonical_json(self._trust_document(spec, names, external_id, None)))
            return trust, {"method": "external-id", "principalArn": cp.aws.principal_arn, "externalId": "linkSecrets.externalId"}

        oidc = cp.oidc
        assert oidc is not None
        provider_arn: pulumi.Input[str]
        if oidc.provider_arn:
            provider_arn = oidc.provider_arn
        else:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc", url=run.put(oidc.issuer), client_id_lists=[oidc.audience], tags=tags, opts=child
            ).arn
        trust = pulumi.Output.from_input(provider_arn).apply(
            lambda arn: canonical_json(self._trust_document(spec, names, "", arn))
        )
        return trust, {
            "method": "oidc-web-identity",
            "issuer": oidc.issuer,
            "audience": oidc.audience,
            "subject": oidc.subject,
            "providerArn": provider_arn,
        }

    def _permissions(
        self,
        name: str,
        spec: LinkSpec,
        names: AwsNames,
        layout: documents.PolicyLayout,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
        run: RunTimeSettings,
    ) -> list[pulumi.Output[str]]:
        """The tier document on the role: inline, or split into managed policies (their ARNs)."""
        if layout.inline is not None:
            aws.iam.RolePolicy(
                f"{name}-permissions",
                role=self.role.name,
                name=names.permission_policy_name(spec.tier),
                policy=run.put(canonical_json(layout.inline)),
                opts=child,
            )
            return []
        arns = []
        for part, document in enumerate(layout.managed, start=1):
            managed = aws.iam.Policy(
                f"{name}-permissions-{part}",
                name=names.permission_policy_name(spec.tier, part),
                path=names.role_path,
                description=f"Tier {spec.tier} of link {spec.id}, part {part} of {len(layout.managed)}",
                policy=run.put(canonical_json(document)),
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-permissions-{part}-attachment", role=self.role.name, policy_arn=managed.arn, opts=child
            )
            arns.append(managed.arn)
        return arns
