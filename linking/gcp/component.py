"""GCP project link: a service account with a least-privilege custom role and keyless access.

Importing this module imports ``pulumi_gcp`` (and ``pulumiverse_time`` for key rotation) only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import pulumi

from ..component import LinkComponent, RunTimeSettings, TierFacts, invoke_options, wrong_target
from ..contract import known
from ..findings import Finding
from ..extras import require_extra
from ..policy import RenderedDocument, builtin_document_path, load_document
from ..record import LinkRecord, link_record
from ..tags import describe_link
from .cloud import CLOUD
from . import documents, lint, owned
from .documents import render_role

if TYPE_CHECKING:
    from ..config import LinkSpec

require_extra(CLOUD.name, CLOUD.sdk_modules)  # before the SDK import: a missing extra is a one-line error naming it
import pulumi_gcp as gcp  # noqa: E402

TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
SERVICES_DOCUMENT = "services"


def required_services(spec: LinkSpec) -> list[str]:
    """Base APIs, those of the access mode, those the tier needs, and the user's, sorted."""
    assert spec.gcp is not None and spec.gcp.access is not None
    tier_services = load_document(builtin_document_path("gcp", SERVICES_DOCUMENT), "policy_docs/gcp/services.yaml")
    return sorted(
        {*documents.BASE_SERVICES, *documents.ACCESS_SERVICES[spec.gcp.access], *tier_services.get(spec.tier, []), *spec.gcp.services}
    )


def check_project(project: str, actual: Optional[str]) -> None:
    """Stop when the provider is configured for another project than the config names."""
    if actual != project:
        raise wrong_target("gcp.project", project, actual, "set the GCP provider's project (gcp:project) or fix the config")


class GcpProjectLinkArgs:
    """Arguments of `GcpProjectLink`."""

    def __init__(self, link: LinkSpec, *, verify_project: bool = True) -> None:
        """
        :param link: the link; ``link.provider`` is ``gcp`` and ``link.gcp`` is set.
        :param verify_project: compare ``link.gcp.project`` with the provider's project before creating anything.
        """
        self.link = link
        self.verify_project = verify_project


class GcpProjectLink(LinkComponent):
    """A service account with a custom role on the project, and one keyless way in for the control plane."""

    TYPE, CLOUD, RULES = "linking:gcp:ProjectLink", CLOUD, lint.RULES
    service_account: gcp.serviceaccount.Account
    custom_role: gcp.projects.IAMCustomRole
    role: RenderedDocument
    whole: list[str]
    """The permissions bound on the whole project."""
    fenced: dict[str, list[str]]
    """The admin tiers' permissions bound only on the link's names, by group (`linking.gcp.owned`)."""

    def __init__(self, name: str, args: GcpProjectLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(name, args, opts)

    def render(self, run: RunTimeSettings, tier: TierFacts, args: Any, opts: Optional[pulumi.ResourceOptions]) -> list[Finding]:
        """The tier as a custom role (after the project guard, with the project's number), and its lint."""
        spec, settings = run.spec, run.spec.gcp
        assert settings is not None
        invoke_opts = invoke_options(opts, "gcp")
        if args.verify_project:
            run.check(("gcp", "project"), check_project, answer=(
                lambda: gcp.organizations.get_client_config(opts=invoke_opts).project,
                lambda: gcp.organizations.get_client_config_output(opts=invoke_opts).project,
            ))
        project = run.setting("gcp", "project")
        self.project_number = (
            str(gcp.organizations.get_project(project_id=project, opts=invoke_opts).number) if isinstance(project, str)
            else gcp.organizations.get_project_output(project_id=project, opts=invoke_opts).number.apply(str)
        )
        self.role = render_role(tier.document, spec.id, known(settings.project), tier.key_path)
        self.whole, self.fenced = (
            owned.split(self.role.document["includedPermissions"]) if spec.tier == "admin"
            else (self.role.document["includedPermissions"], {})
        )
        return (
            lint.lint_gcp(self.role.document["includedPermissions"], tier.label, tier=spec.tier, access=settings.access,
                          custom_role=True, kept=tier.kept)
            + lint.lint_gcp_settings(settings, tier=spec.tier)
            + tier.kept_reads()
        )

    def register(self, name: str, run: RunTimeSettings, tier: TierFacts, warnings: list[str],
                 opts: Optional[pulumi.ResourceOptions]) -> pulumi.Output[LinkRecord]:
        """The APIs the tier needs, the service account, the custom role and its binding, the control plane's way in;
        the record."""
        spec, settings = run.spec, run.spec.gcp
        assert settings is not None
        condition = documents.expiry_condition(spec.id, spec.expiry) if spec.expiry else None
        services = required_services(spec)
        description = describe_link(spec)[:256]
        project = run.setting("gcp", "project")
        child = pulumi.ResourceOptions(parent=self)
        apis = [
            gcp.projects.Service(
                f"{name}-api-{service.split('.')[0]}",
                project=project,
                service=service,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=child,
            )
            for service in services
        ]
        after_apis = pulumi.ResourceOptions(parent=self, depends_on=apis)
        self.service_account = gcp.serviceaccount.Account(
            f"{name}-sa",
            project=project,
            account_id=documents.service_account_id(spec.id),
            display_name=(spec.display_name or spec.id)[:100],
            description=description,
            disabled=not spec.enabled,
            opts=after_apis,
        )
        self.custom_role = gcp.projects.IAMCustomRole(
            f"{name}-role",
            project=project,
            role_id=documents.custom_role_id(spec.id),
            title=run.put(self.role.document["title"]),
            description=run.put(self.role.document.get("description", description)[:256]),
            stage=self.role.document["stage"],
            permissions=self.whole,
            opts=after_apis,
        )
        if spec.enabled:
            gcp.projects.IAMMember(
                f"{name}-role-binding", project=project, role=self.custom_role.name, member=self.service_account.member,
                condition=condition, opts=child,
            )
        self._name_fenced(name, run, condition, after_apis)
        authentication, secrets = self._access(name, run, self.project_number, condition, after_apis)
        self.link_secrets = pulumi.Output.secret(secrets) if secrets else None
        record: pulumi.Output[LinkRecord] = run.put(link_record(
            spec,
            policy_sha256=run.sha256(self.role.text),
            target={"projectId": settings.project, "projectNumber": self.project_number},
            identity={"serviceAccountEmail": self.service_account.email, "serviceAccountUniqueId": self.service_account.unique_id},
            authentication=authentication,
            expiry_enforcement=(
                "Google IAM stops the role binding and the control plane's access binding at expiresAt "
                "(IAM condition request.time < expiresAt); the service account itself remains"
                if spec.expires_at
                else "no expiry"
            ),
            details={"access": settings.access, "customRoleName": self.custom_role.name, "services": services, "scope": settings.scope},
            warnings=warnings,
        ))
        return record

    def _name_fenced(self, name: str, run: RunTimeSettings, expiry: Optional[dict[str, str]], opts: pulumi.ResourceOptions) -> None:
        """A role per group of the name fence, bound on the link's names only (and until the expiry)."""
        spec, project = run.spec, run.setting("gcp", "project")
        for group, permissions in sorted(self.fenced.items()):
            role = gcp.projects.IAMCustomRole(
                f"{name}-role-{group}",
                project=project,
                role_id=f"{documents.custom_role_id(spec.id)}_{group}",
                title=run.put(owned.group_title(self.role.document["title"], group)),
                description=f"The {group} permissions of the tier, bound only on resources named {spec.id}-*",
                stage=self.role.document["stage"],
                permissions=permissions,
                opts=opts,
            )
            if spec.enabled:
                gcp.projects.IAMMember(
                    f"{name}-role-binding-{group}", project=project, role=role.name, member=self.service_account.member,
                    condition=owned.name_condition(group, spec.id, expiry["expression"] if expiry else None),
                    opts=pulumi.ResourceOptions(parent=self),
                )

    def outputs(self) -> dict[str, Any]:
        return {"serviceAccountEmail": self.service_account.email, "customRoleName": self.custom_role.name}

    def _access(
        self,
        name: str,
        run: RunTimeSettings,
        project_number: pulumi.Input[str],
        condition: Optional[dict[str, str]],
        opts: pulumi.ResourceOptions,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The control plane's way in (impersonation, workload identity federation or a rotated key); returns how to
        authenticate (public) and any secrets."""
        spec, settings, project = run.spec, run.spec.gcp, run.setting("gcp", "project")
        assert settings is not None
        cp = spec.control_plane
        email = self.service_account.email

        if settings.access == "impersonation":
            assert cp.gcp is not None
            if spec.enabled:
                gcp.serviceaccount.IAMMember(
                    f"{name}-impersonation",
                    service_account_id=self.service_account.name,
                    role=TOKEN_CREATOR,
                    member=cp.gcp.member,
                    condition=condition,
                    opts=opts,
                )
            return {"method": "impersonation", "member": cp.gcp.member, "targetServiceAccount": email}, {}

        if settings.access == "workload-identity":
            return self._federation(name, run, project_number, condition, opts)

        # key: only when asked; rotated by replacing the key when the rotation keeper fires.
        import pulumiverse_time as time  # only for a rotated key

        rotation = time.Rotating(f"{name}-key-rotation", rotation_days=settings.key_rotation_days, opts=opts)
        if not spec.enabled:
            return {"method": "service-account-key", "privateKey": None, "rotatesAt": rotation.rotation_rfc3339}, {}
        key = gcp.serviceaccount.Key(
            f"{name}-key",
            service_account_id=self.service_account.name,
            keepers={"rotation": rotation.id},
            opts=opts,
        )
        return (
            {
                "method": "service-account-key",
                "keyId": key.name,
                "privateKey": "linkSecrets.privateKey",
                "rotatesAt": rotation.rotation_rfc3339,
            },
            {"privateKey": pulumi.Output.secret(key.private_key)},
        )

    def _federation(
        self, name: str, run: RunTimeSettings, project_number: pulumi.Input[str], condition: Optional[dict[str, str]],
        opts: pulumi.ResourceOptions,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A workload identity pool trusting the control plane's AWS role or OIDC token, allowed to act as the account."""
        spec, project = run.spec, run.setting("gcp", "project")
        cp = spec.control_plane
        email = self.service_account.email
        if cp.aws is not None:
            trust = documents.aws_trust(known(cp.aws.principal_arn))
            source: dict[str, Any] = {"aws": {"account_id": trust.aws_account_id}}
        else:
            assert cp.oidc is not None
            assert cp.oidc.subject is not None  # the settings' check requires it for workload identity
            trust = documents.oidc_trust(known(cp.oidc.issuer), cp.oidc.subject, cp.oidc.audience)
            source = {"oidc": {"issuer_uri": trust.oidc_issuer, "allowed_audiences": list(trust.oidc_audiences)}}
        pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=project,
            workload_identity_pool_id=documents.workload_identity_pool_id(spec.id),
            display_name=f"linking {spec.id}"[:32],
            description=describe_link(spec)[:256],
            disabled=not spec.enabled,
            opts=opts,
        )
        provider = gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-pool-provider",
            project=project,
            workload_identity_pool_id=pool.workload_identity_pool_id,
            workload_identity_pool_provider_id="control-plane",
            display_name="control plane",
            attribute_mapping=run.put(trust.attribute_mapping),
            attribute_condition=run.put(trust.attribute_condition),
            disabled=not spec.enabled,
            opts=opts,
            **run.put(source),
        )
        pool_path = f"locations/global/workloadIdentityPools/{documents.workload_identity_pool_id(spec.id)}"
        member = run.put(pulumi.Output.from_input(project_number).apply(lambda number: trust.member(f"projects/{number}/{pool_path}")))
        if spec.enabled:
            gcp.serviceaccount.IAMMember(
                f"{name}-workload-identity-user",
                service_account_id=self.service_account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=member,
                condition=condition,
                opts=opts,
            )
        return {
            "method": "workload-identity-federation",
            "providerName": provider.name,
            "member": member,
            "targetServiceAccount": email,
        }, {}
