"""Linked service accounts: a Kubernetes ServiceAccount that assumes a cloud identity, keylessly.

EKS (IAM roles for service accounts), GKE (workload identity) and AKS (Azure
workload identity) each take several steps by hand; `LinkedServiceAccount` is
all of them for one ServiceAccount. Each cloud's SDK is imported only when a
workload for that cloud is created.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from ..aws.documents import EKS_AUDIENCE, irsa_trust
from ..canonical import canonical_json, sha256_hex
from ..config import WorkloadSpec, check_https_url
from ..extras import require_extra
from ..names import derived_name, deterministic_guid
from ..validation import join_path
from .documents import check_workload

require_extra("kubernetes")  # before the SDK import: a missing extra is a one-line error naming it
import pulumi_kubernetes as k8s  # noqa: E402

AZURE_AUDIENCE = "api://AzureADTokenExchange"
WORKLOAD_ROLE_PATH = "/linking-sa/"


def workload_tags(spec: WorkloadSpec) -> dict[str, str]:
    return {
        **spec.tags,
        "linking:workload": f"{spec.namespace}/{spec.name}",
        "linking:owner": spec.owner,
        "managed-by": "pulumi",
    }


def _checked_issuer(issuer: pulumi.Input[str], key_path: str) -> pulumi.Input[str]:
    """The cluster's OIDC issuer URL, checked now, or when it resolves for a cluster created in the same run
    (``cluster.identities[0].oidcs[0].issuer``), before the trust that names it is created."""
    if isinstance(issuer, pulumi.Output):
        return issuer.apply(lambda url: check_https_url(url, key_path, "the cluster's OIDC issuer URL") or url)
    check_https_url(issuer, key_path, "the cluster's OIDC issuer URL")
    return issuer


def _short_hash(*parts: str) -> str:
    """Stable child-name suffix: the same grant keeps the same resource when the list around it changes."""
    return sha256_hex("/".join(parts))[:8]


class LinkedServiceAccountArgs:
    """Arguments of `LinkedServiceAccount`."""

    def __init__(self, workload: WorkloadSpec, *, key_path: Optional[str] = None) -> None:
        """
        :param workload: the ServiceAccount, its cloud and its grants.
        :param key_path: where errors in it point (``linking:serviceAccounts[0]``; default ``namespace/name``).
        """
        self.workload = workload
        self.key_path = key_path or f"{workload.namespace}/{workload.name}"


class LinkedServiceAccount(pulumi.ComponentResource):
    """A Kubernetes ServiceAccount annotated with the cloud identity it assumes, and that identity's grants."""

    service_account: k8s.core.v1.ServiceAccount
    cloud_identity: pulumi.Output[str]
    """AWS role ARN, GCP service account email or Azure client id."""

    def __init__(self, name: str, args: LinkedServiceAccountArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        spec = args.workload
        inline_policy = check_workload(spec, args.key_path)
        super().__init__("linking:workload:LinkedServiceAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = workload_tags(spec)
        annotations, labels = {"linking.dev/owner": spec.owner}, {"app.kubernetes.io/managed-by": "pulumi", "linking.dev/cloud": spec.cloud}
        cluster_issuer = getattr(getattr(spec, spec.cloud), "oidc_issuer", None)  # EKS and AKS
        issuer = _checked_issuer(cluster_issuer, join_path(args.key_path, [spec.cloud, "oidcIssuer"])) if cluster_issuer else None
        if spec.cloud == "aws":
            self.cloud_identity = self._aws(name, spec, issuer, inline_policy, tags, child)
            annotations["eks.amazonaws.com/role-arn"] = self.cloud_identity
        elif spec.cloud == "gcp":
            self.cloud_identity = self._gcp(name, spec, child)
            annotations["iam.gke.io/gcp-service-account"] = self.cloud_identity
        else:
            self.cloud_identity = self._azure(name, spec, issuer, tags, child)
            annotations["azure.workload.identity/client-id"] = self.cloud_identity
            labels["azure.workload.identity/use"] = "true"
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels, "annotations": annotations},
            opts=child,
        )
        self.register_outputs({"cloudIdentity": self.cloud_identity, "serviceAccount": spec.name})

    @staticmethod
    def _aws(
        name: str, spec: WorkloadSpec, issuer: pulumi.Input[str], inline_policy: Optional[dict[str, Any]], tags: dict[str, str], child
    ) -> pulumi.Output[str]:
        import pulumi_aws as aws

        settings = spec.aws
        assert settings is not None
        provider_arn: pulumi.Input[str] = settings.oidc_provider_arn or aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=[EKS_AUDIENCE], tags=tags, opts=child
        ).arn
        role = aws.iam.Role(
            f"{name}-role",
            name=derived_name("linking-sa-", f"{spec.namespace}-{spec.name}", 64),
            path=WORKLOAD_ROLE_PATH,
            description=f"Kubernetes ServiceAccount {spec.namespace}/{spec.name} (owner {spec.owner})",
            assume_role_policy=pulumi.Output.all(provider_arn, issuer).apply(
                lambda values: canonical_json(irsa_trust(values[0], values[1], spec.subject))
            ),
            max_session_duration=settings.max_session_hours * 3600,
            tags=tags,
            opts=child,
        )
        for arn in settings.policy_arns:
            aws.iam.RolePolicyAttachment(f"{name}-policy-{_short_hash(arn)}", role=role.name, policy_arn=arn, opts=child)
        if inline_policy is not None:
            aws.iam.RolePolicy(f"{name}-inline-policy", role=role.name, name="linking-inline", policy=canonical_json(inline_policy), opts=child)
        return role.arn

    @staticmethod
    def _gcp(name: str, spec: WorkloadSpec, child) -> pulumi.Output[str]:
        import pulumi_gcp as gcp

        settings = spec.gcp
        assert settings is not None
        account = gcp.serviceaccount.Account(
            f"{name}-gsa",
            project=settings.project,
            account_id=derived_name("wl-", f"{spec.namespace}-{spec.name}", 30),
            display_name=f"{spec.namespace}/{spec.name}"[:100],
            description=f"Kubernetes ServiceAccount {spec.namespace}/{spec.name}; owner {spec.owner}"[:256],
            opts=child,
        )
        for role in settings.roles:
            gcp.projects.IAMMember(
                f"{name}-role-{_short_hash(role)}", project=settings.project, role=role, member=account.member, opts=child
            )
        gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity-user",
            service_account_id=account.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{settings.project}.svc.id.goog[{spec.namespace}/{spec.name}]",
            opts=child,
        )
        return account.email

    @staticmethod
    def _azure(name: str, spec: WorkloadSpec, issuer: pulumi.Input[str], tags: dict[str, str], child) -> pulumi.Output[str]:
        from pulumi_azure_native import authorization

        from ..azure.component import federated_identity

        settings = spec.azure
        assert settings is not None
        identity = federated_identity(
            name,
            identity_name=f"linking-{spec.namespace}-{spec.name}",
            resource_group_name=settings.resource_group_name,
            location=settings.location,
            tags=tags,
            opts=child,
            federation=(f"{spec.namespace}-{spec.name}"[:120], issuer, spec.subject, AZURE_AUDIENCE),
        )
        for grant in settings.role_assignments:
            role_id = grant.role_definition_id.rsplit("/", 1)[-1].lower()
            authorization.RoleAssignment(
                f"{name}-role-{_short_hash(role_id, grant.scope.lower())}",
                role_assignment_name=deterministic_guid(settings.subscription_id, spec.namespace, spec.name, role_id, grant.scope),
                scope=grant.scope,
                role_definition_id=f"/subscriptions/{settings.subscription_id.lower()}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                opts=child,
            )
        return identity.client_id
