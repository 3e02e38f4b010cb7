"""Azure subscription link: a keyless identity; the admin tier in the link's own resource groups and the readonly
tier across the subscription (or one tier at subscription scope).

Importing this module imports ``pulumi_azure_native`` (and ``pulumi_azuread`` for an Entra application identity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import pulumi

from ..component import LinkComponent, RunTimeSettings, TierFacts, invoke_options, wrong_target
from ..contract import known
from ..findings import Finding
from ..extras import require_extra
from ..names import deterministic_guid
from ..policy import RenderedDocument, builtin_document_path
from ..record import LinkRecord, link_record
from ..tags import OWNERSHIP_TAG, describe_link, provenance_tags
from .cloud import CLOUD
from . import documents, lint
from .documents import render_role_definition, workload_roles

if TYPE_CHECKING:
    from ..config import LinkSpec

require_extra(CLOUD.name, CLOUD.sdk_modules)  # before the SDK import: a missing extra is a one-line error naming it
from pulumi_azure_native import authorization, managedidentity, resources  # noqa: E402

FEDERATED_CREDENTIAL_NAME = "control-plane"
def federated_identity(
    name: str,
    *,
    identity_name: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    federation: Optional[tuple[str, str, str, str]],
) -> managedidentity.UserAssignedIdentity:
    """A user-assigned managed identity, and (credential name, issuer, subject, audience) it trusts, if any."""
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity",
        resource_name_=identity_name,
        resource_group_name=resource_group_name,
        location=location,
        tags=tags,
        opts=opts,
    )
    if federation is not None:
        credential_name, issuer, subject, audience = federation
        managedidentity.FederatedIdentityCredential(
            f"{name}-federated-credential",
            federated_identity_credential_resource_name=credential_name,
            resource_name_=identity.name,
            resource_group_name=resource_group_name,
            issuer=issuer,
            subject=subject,
            audiences=[audience],
            opts=opts,
        )
    return identity


def check_subscription(run: RunTimeSettings, invoke_opts: pulumi.InvokeOptions) -> None:
    """Stop when the credentials reach another subscription or tenant than the config names (a subscription the
    program creates in this run: once it resolves)."""
    for key, attribute in (("subscriptionId", "subscription_id"), ("tenantId", "tenant_id")):
        run.check(
            ("azure", attribute),
            lambda configured, actual, key=key: _same_target(f"azure.{key}", configured, actual),
            answer=(
                lambda attribute=attribute: getattr(authorization.get_client_config(opts=invoke_opts), attribute),
                lambda attribute=attribute: getattr(authorization.get_client_config_output(opts=invoke_opts), attribute),
            ),
        )


def _same_target(key: str, configured: str, actual: Optional[str]) -> None:
    if (actual or "").lower() != configured.lower():
        raise wrong_target(key, configured, actual, "switch subscription (az account set) or fix the config")


class AzureSubscriptionLinkArgs:
    """Arguments of `AzureSubscriptionLink`."""

    def __init__(self, link: LinkSpec, *, verify_subscription: bool = True) -> None:
        """
        :param link: the link; ``link.provider`` is ``azure`` and ``link.azure`` is set.
        :param verify_subscription: compare subscription and tenant with the client config before creating anything.
        """
        self.link = link
        self.verify_subscription = verify_subscription


class AzureSubscriptionLink(LinkComponent):
    """An identity for the control plane with a custom role on one subscription."""

    TYPE, CLOUD, RULES = "linking:azure:SubscriptionLink", CLOUD, lint.RULES
    role: RenderedDocument
    role_definition: authorization.RoleDefinition
    principal_id: pulumi.Output[str]
    client_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureSubscriptionLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(name, args, opts)

    def render(self, run: RunTimeSettings, tier: TierFacts, args: Any, opts: Optional[pulumi.ResourceOptions]) -> list[Finding]:
        """The tier as a role definition (after the subscription and tenant guards), the readonly role a resource-group
        admin reads the subscription with, and their lint."""
        spec, settings = run.spec, run.spec.azure
        assert settings is not None
        if args.verify_subscription:
            check_subscription(run, invoke_options(opts, "azure-native"))
        self.role = render_role_definition(tier.document, spec.id, known(settings.subscription_id), tier.key_path)
        self.delegates = documents.grants_role_assignment_write(self.role.document)
        # Subscription-wide, a resource-group admin reads through the readonly tier; nothing else spans the subscription.
        self.reader = (
            render_role_definition(builtin_document_path("azure", "readonly"), spec.id, known(settings.subscription_id), tier.key_path)
            if settings.resource_groups else None
        )
        self.secret_end = self._secret_end_date(spec)
        return (
            lint.lint_azure(
                self.role.document, tier.label, tier=spec.tier,
                assignment_condition=documents.delegation_condition(workload_roles().values(), documents.PRINCIPAL_PLACEHOLDER)
                if self.delegates else None,
                kept=tier.kept,
            )
            + lint.lint_azure_settings(settings, tier=spec.tier)
            + tier.kept_reads(builtin_document_path("azure", "readonly") if self.reader else None)
        )

    def register(self, name: str, run: RunTimeSettings, tier: TierFacts, warnings: list[str],
                 opts: Optional[pulumi.ResourceOptions]) -> pulumi.Output[LinkRecord]:
        """The identity (managed or an application), the role definitions and their assignments; the record."""
        spec, settings = run.spec, run.spec.azure
        assert settings is not None
        child = pulumi.ResourceOptions(parent=self)
        tags = provenance_tags(spec)
        oidc = spec.control_plane.oidc
        federated = (
            {"issuer": run.setting("control_plane", "oidc", "issuer"), "subject": oidc.subject, "audience": oidc.audience or documents.DEFAULT_AUDIENCE}
            if oidc
            else None
        )
        if settings.identity == "managed":
            identity_details = self._managed_identity(name, spec, federated, tags, child)
        else:
            identity_details = self._application(name, spec, federated, self.secret_end, tags, child)
        condition = (
            self.principal_id.apply(lambda principal: documents.delegation_condition(workload_roles().values(), principal))
            if self.delegates else None
        )
        reader_definition = None
        if spec.tier == "readonly" and self.reader is None:
            # The same definition and assignment a resource-group admin reads the subscription with: switching tiers
            # keeps them, and no tier's definition ever takes another's id (the admin's would reach the subscription
            # through the readonly assignment until Pulumi deleted it).
            self.role_definition = self._assign_reader(name, run, self.role, child, renamed_from=f"{name}-role")
        else:
            self.role_definition = self._role_definition(f"{name}-role", self.role, run, "role-definition", describe_link(spec), child)
            self._assign(name, run, tags, condition, child)
            if self.reader is not None:
                reader_definition = self._assign_reader(name, run, self.reader, child)
        authentication: dict[str, Any] = {"method": "federated-credential" if federated else "client-secret", **(federated or {})}
        if self.secret_end:
            authentication["clientSecret"] = {"value": "linkSecrets.clientSecret", "endDate": self.secret_end}
        enforcement = [
            "Azure cannot expire a role assignment: access continues after expiresAt until the link is disabled or removed"
            if spec.expires_at
            else "no expiry"
        ] + ([f"the client secret ends at {self.secret_end}"] if self.secret_end else [])
        record: pulumi.Output[LinkRecord] = run.put(link_record(
            spec,
            policy_sha256=run.sha256(self.role.text),
            target={"subscriptionId": known(settings.subscription_id).lower(), "tenantId": known(settings.tenant_id).lower()},
            identity={"kind": settings.identity, "clientId": self.client_id, "principalId": self.principal_id, **identity_details},
            authentication=authentication,
            expiry_enforcement="; ".join(enforcement),
            details={
                "roleDefinitionId": self.role_definition.id,
                "roleAssignmentCondition": condition,
                "assignableScopes": list(self.role.document["AssignableScopes"]),
                "scope": settings.scope,
                "resourceGroups": list(settings.resource_groups),
                "ownership": {"tagKey": OWNERSHIP_TAG, "tagValue": spec.id} if settings.resource_groups else None,
                "readerRoleDefinitionId": reader_definition.id if reader_definition is not None else None,
            },
            warnings=warnings,
        ))
        return record

    def _assign(self, name: str, run: RunTimeSettings, tags: dict[str, str], condition: Any, child: pulumi.ResourceOptions) -> None:
        """The tier's role on each resource group the link creates (config allows them only on an admin or custom tier
        at resource-group scope), else on the subscription."""
        spec, settings = run.spec, run.spec.azure
        assert settings is not None
        scopes: list[tuple[str, Optional[str], Any]] = [
            (f"{name}-group-{group}", group, resources.ResourceGroup(
                f"{name}-group-{group}", resource_group_name=group, location=settings.location,
                tags={**tags, OWNERSHIP_TAG: spec.id}, opts=child,
            ).id)
            for group in settings.resource_groups
        ] or [(name, None, documents.subscription_scope(known(settings.subscription_id)))]
        if not spec.enabled:
            return
        for resource_name, group, scope in scopes:
            authorization.RoleAssignment(
                f"{resource_name}-role-assignment",
                role_assignment_name=run.derive(
                    deterministic_guid, settings.subscription_id, spec.id, "role-assignment", *([group] if group else [])
                ),
                scope=run.put(scope),
                role_definition_id=self.role_definition.id,
                principal_id=self.principal_id,
                # Without it ARM looks the new principal up in Entra and can fail before replication.
                principal_type="ServicePrincipal",
                description=describe_link(spec)[:1024],
                condition=condition,
                condition_version="2.0" if condition else None,
                opts=child,
            )

    def _assign_reader(self, name: str, run: RunTimeSettings, reader: RenderedDocument, child: pulumi.ResourceOptions,
                       renamed_from: Optional[str] = None) -> authorization.RoleDefinition:
        """The readonly role on the subscription: a readonly link's, and the one a resource-group admin reads with.
        ``renamed_from``: the names a readonly link gave them before (``<name>-role``), kept as aliases."""
        spec, settings = run.spec, run.spec.azure
        assert settings is not None

        def formerly(suffix: str) -> pulumi.ResourceOptions:
            aliases = [pulumi.Alias(name=renamed_from + suffix)] if renamed_from else None
            return pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(aliases=aliases))

        definition = self._role_definition(f"{name}-reader", reader, run, "readonly-role-definition", describe_link(spec), formerly(""))
        if spec.enabled:
            authorization.RoleAssignment(
                f"{name}-reader-assignment",
                role_assignment_name=run.derive(deterministic_guid, settings.subscription_id, spec.id, "readonly-role-assignment"),
                scope=run.put(documents.subscription_scope(known(settings.subscription_id))),
                role_definition_id=definition.id,
                principal_id=self.principal_id,
                principal_type="ServicePrincipal",
                description=describe_link(spec)[:1024],
                opts=formerly("-assignment"),
            )
        return definition

    def outputs(self) -> dict[str, Any]:
        return {"principalId": self.principal_id, "clientId": self.client_id}

    @staticmethod
    def _role_definition(
        resource_name: str, role: RenderedDocument, run: RunTimeSettings, kind: str, description: str, child: pulumi.ResourceOptions
    ) -> authorization.RoleDefinition:
        """A rendered role document as a custom role; its id is a GUID from subscription, link and kind, so a re-run
        or rename replaces nothing. A replacement deletes first: Azure keeps custom role names unique in a tenant."""
        spec = run.spec
        assert spec.azure is not None
        return authorization.RoleDefinition(
            resource_name,
            role_definition_id=run.derive(deterministic_guid, spec.azure.subscription_id, spec.id, kind),
            scope=run.put(documents.subscription_scope(known(spec.azure.subscription_id))),
            role_name=role.document["Name"],
            description=role.document.get("Description") or description,
            role_type="CustomRole",
            permissions=[
                {
                    "actions": role.document["Actions"],
                    "not_actions": role.document["NotActions"],
                    "data_actions": role.document["DataActions"],
                    "not_data_actions": role.document["NotDataActions"],
                }
            ],
            assignable_scopes=run.put(role.document["AssignableScopes"]),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(delete_before_replace=True)),
        )

    @staticmethod
    def _secret_end_date(spec: LinkSpec) -> Optional[str]:
        """The client secret's end: the configured date, capped at the link's expiresAt."""
        assert spec.azure is not None
        secret = spec.azure.client_secret
        if not (secret and secret.enabled and secret.end_date):
            return None
        return min(secret.end_date, spec.expiry) if spec.expiry else secret.end_date  # same format: sorts as time

    def _managed_identity(self, name: str, spec: "LinkSpec", federated: Optional[dict[str, Any]], tags: dict[str, str],
                          child: pulumi.ResourceOptions) -> dict[str, Any]:
        settings = spec.azure
        assert settings is not None and settings.location is not None  # the settings' check requires it for identity managed
        group_name = settings.resource_group_name or f"linking-{spec.id}"
        group = resources.ResourceGroup(
            f"{name}-resource-group", resource_group_name=group_name, location=settings.location, tags=tags, opts=child
        )
        identity = federated_identity(
            name,
            identity_name=f"linking-{spec.id}",
            resource_group_name=group.name,
            location=settings.location,
            tags=tags,
            opts=child,
            federation=(FEDERATED_CREDENTIAL_NAME, federated["issuer"], federated["subject"], federated["audience"])
            if spec.enabled and federated  # a managed identity is federated: the settings' check requires controlPlane.oidc
            else None,
        )
        self.principal_id = identity.principal_id
        self.client_id = identity.client_id
        return {"resourceId": identity.id, "resourceGroupName": group_name}

    def _application(self, name: str, spec: "LinkSpec", federated: Optional[dict[str, Any]], secret_end: Optional[str],
                     tags: dict[str, str], child: pulumi.ResourceOptions) -> dict[str, Any]:
        import pulumi_azuread as azuread  # only for an Entra application: it takes longer to import than the rest

        application = azuread.Application(
            f"{name}-application",
            display_name=f"linking-{spec.id}",
            description=describe_link(spec)[:1024],
            tags=[f"{k}={v}" for k, v in sorted(tags.items())],
            opts=child,
        )
        principal = azuread.ServicePrincipal(
            f"{name}-service-principal",
            client_id=application.client_id,
            account_enabled=spec.enabled,
            description=describe_link(spec)[:1024],
            opts=child,
        )
        if spec.enabled and federated:
            azuread.ApplicationFederatedIdentityCredential(
                f"{name}-federated-credential",
                application_id=application.id,
                display_name=FEDERATED_CREDENTIAL_NAME,
                issuer=federated["issuer"],
                subject=federated["subject"],
                audiences=[federated["audience"]],
                opts=child,
            )
        if spec.enabled and secret_end:
            password = azuread.ApplicationPassword(
                f"{name}-client-secret",
                application_id=application.id,
                display_name=f"linking {spec.id}",
                end_date=secret_end,
                opts=child,
            )
            self.link_secrets = pulumi.Output.secret({"clientSecret": pulumi.Output.secret(password.value)})
        self.principal_id = principal.object_id
        self.client_id = application.client_id
        return {"applicationObjectId": application.object_id}
