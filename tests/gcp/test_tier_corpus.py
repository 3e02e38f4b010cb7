"""What the GCP tiers promise, decided permission by permission against the rendered custom roles.

A GCP custom role bound on the project allows a request exactly when the request's permission is in the role (the
binding's only condition is the expiry, tested elsewhere), so each path the review found is a permission that must
be absent, and each thing the control plane must still do one that must be present.
"""

from __future__ import annotations

import pytest

from linking.gcp import render_role
from linking.policy import builtin_document_path, load_document


def permissions(tier: str) -> set[str]:
    return set(render_role(builtin_document_path("gcp", tier), "acme-prod", "acme-prod-1234", tier).document["includedPermissions"])


ADMIN_NEVER = {
    "GKE cluster-admin through IAM": [
        "container.clusters.impersonate", "container.serviceAccounts.createToken", "container.clusterRoles.escalate",
        "container.clusterRoles.bind", "container.roles.escalate", "container.roles.bind", "container.clusterRoleBindings.create",
        "container.roleBindings.create", "container.certificateSigningRequests.approve", "container.pods.create",
        "container.pods.getLogs", "container.pods.exec", "container.secrets.get", "container.secrets.list",
        "container.mutatingWebhookConfigurations.create", "container.validatingWebhookConfigurations.create", "container.nodes.proxy",
        "container.clusters.connect",
    ],
    "data export": [
        "logging.sinks.create", "logging.sinks.update", "logging.buckets.copyLogEntries", "logging.links.create",
        "logging.logEntries.download", "logging.logEntries.list", "logging.fields.access", "cloudsql.backupRuns.export",
        "cloudsql.instances.import", "cloudsql.instances.export", "redis.instances.export", "redis.clusters.connect",
        "compute.packetMirrorings.create", "cloudfunctions.functions.sourceCodeGet", "artifactregistry.files.download",
        "artifactregistry.repositories.downloadArtifacts", "compute.interconnects.getMacsecConfig", "storage.objects.get",
        "storage.objects.list", "secretmanager.versions.access", "pubsub.subscriptions.consume", "bigquery.tables.getData",
    ],
    "audit logging switched off": [
        "logging.sinks.delete", "logging.exclusions.create", "logging.exclusions.update", "logging.buckets.delete",
        "logging.buckets.update", "logging.logs.delete", "logging.settings.update",
    ],
    "cluster insides, shells in workloads, invocations, log contents and copies (issue 31)": [
        "container.clusters.update", "run.services.sshRoot", "run.instances.sshRoot", "run.jobs.sshRoot",
        "run.workerpools.sshRoot", "compute.instances.osLogin", "compute.instances.osAdminLogin",
        "cloudfunctions.functions.invoke", "cloudfunctions.functions.call", "run.routes.invoke",
        "logging.logMetrics.create", "logging.logMetrics.update", "redis.instances.updateAuth",
        "compute.images.create", "compute.machineImages.create", "compute.instantSnapshots.create",
        "compute.disks.createSnapshot", "compute.disks.useReadOnly", "compute.snapshots.useReadOnly",
        "cloudsql.users.create", "cloudsql.users.update", "cloudsql.instances.restoreBackup",
        "cloudsql.instances.clone", "artifactregistry.repositories.uploadArtifacts",
        # found by the red team of the name fence: uploads by another name, invocations, disk copies
        "artifactregistry.files.upload", "artifactregistry.aptartifacts.create", "artifactregistry.yumartifacts.create",
        "artifactregistry.kfpartifacts.create", "run.instances.invoke", "compute.machineImages.useReadOnly",
        "compute.recoverableSnapshots.recover",
        # found by the red team of the permission classes: zone-wide metadata (startup scripts on every VM of a zone),
        # Memorystore AUTH through updates, client certificates for any Cloud SQL instance, running any job, shells
        "compute.instanceSettings.update", "redis.instances.update", "redis.clusters.update", "cloudsql.sslCerts.create",
        "run.jobs.run", "run.services.sshRead", "run.instances.sshRead", "compute.networks.mirror",
        "compute.subnetworks.mirror", "compute.vpnTunnels.get", "monitoring.uptimeCheckConfigs.get",
        # the red team's F12, F13 and invocations: metadata onto other teams' group instances, log-based metric
        # labels, messages into any topic (push endpoints and triggered functions run them)
        "compute.instanceGroupManagers.update", "monitoring.timeSeries.list", "pubsub.topics.publish",
        # the third red team: Memorystore passwords, log labels sent to a new channel, Private Service Connect,
        # project and group metadata, flow logs off, virtual repository upstreams, disk and database copies, routes
        "redis.aclPolicies.create", "redis.aclPolicies.update", "redis.aclPolicies.get", "monitoring.notificationChannels.create",
        "monitoring.notificationChannels.update", "compute.serviceAttachments.create", "compute.networkAttachments.create",
        "compute.instanceSettings.get", "compute.instanceGroupManagers.get", "compute.subnetworks.update",
        "artifactregistry.repositories.update", "compute.instantSnapshotGroups.create", "compute.snapshotGroups.create",
        "cloudsql.blueGreenDeployments.create", "compute.routes.create",
        # the fourth: message transforms (code on every message), signed-URL keys of any backend bucket, NAT logging
        # off, DNS answers for bound networks
        "pubsub.topics.update", "pubsub.subscriptions.update", "compute.backendBuckets.addSignedUrlKey",
        "compute.routers.update", "dns.policies.update", "dns.responsePolicyRules.create",
        # the fifth: labels a log-based alert extracted, response policies and rule deletion, BGP route policies
        "monitoring.alerts.get", "dns.responsePolicies.update", "dns.responsePolicyRules.delete",
        "compute.routers.updateRoutePolicy",
    ],
    "destruction and code as other identities": [
        "cloudkms.cryptoKeyVersions.destroy", "serviceusage.services.disable", "compute.instances.setMetadata",
        "compute.projects.setCommonInstanceMetadata", "iam.serviceAccounts.actAs", "iam.serviceAccounts.getAccessToken",
        "iam.serviceAccountKeys.create", "iam.serviceAccounts.setIamPolicy", "resourcemanager.projects.setIamPolicy",
        "iam.roles.update", "iam.roles.create", "cloudkms.cryptoKeyVersions.useToDecrypt",
        "compute.instances.createTagBinding", "resourcemanager.tagValueBindings.create",
    ],
}


@pytest.mark.parametrize("path,permission", [(path, p) for path, ps in sorted(ADMIN_NEVER.items()) for p in ps])
def test_the_admin_tier_cannot(path, permission):
    assert permission not in permissions("admin"), f"{path}: {permission}"


ADMIN_STILL = {
    "GKE": ["container.clusters.create", "container.clusters.delete", "container.clusters.get",
            "container.clusters.getCredentials", "container.operations.get", "compute.networks.create", "compute.subnetworks.create"],
    "Cloud SQL": ["cloudsql.instances.create", "cloudsql.databases.create", "cloudsql.backupRuns.create",
                  "servicenetworking.services.addPeering"],
    "buckets": ["storage.buckets.create", "storage.buckets.get", "storage.buckets.delete"],
    "instances": ["compute.instances.create", "compute.instances.start", "compute.instances.delete", "compute.disks.create"],
    "Pub/Sub": ["pubsub.topics.create", "pubsub.subscriptions.create", "pubsub.topics.attachSubscription"],
    "the rest of the platform": ["secretmanager.secrets.create", "secretmanager.versions.add", "vpcaccess.connectors.create",
                                 "certificatemanager.certs.create", "redis.instances.create", "run.services.create",
                                 "run.services.update", "artifactregistry.repositories.create", "iam.serviceAccounts.create",
                                 "monitoring.alertPolicies.create", "dns.changes.create"],
}


@pytest.mark.parametrize("what,permission", [(what, p) for what, ps in sorted(ADMIN_STILL.items()) for p in ps])
def test_the_admin_tier_still_builds_and_operates(what, permission):
    assert permission in permissions("admin"), f"{what}: {permission}"


ADMIN_ONLY_ON_ITS_NAMES = [
    # restored behind the name fence: its own buckets' settings, its own instances' networks (issue 31)
    "storage.buckets.update", "cloudsql.instances.update",
    "storage.buckets.delete", "cloudsql.instances.delete", "container.clusters.getCredentials", "container.clusters.delete",
    "compute.instances.delete", "compute.disks.use", "secretmanager.versions.add", "cloudkms.cryptoKeys.update",
]


@pytest.mark.parametrize("permission", ADMIN_ONLY_ON_ITS_NAMES)
def test_the_admin_tier_operates_only_what_carries_its_name(permission):
    from linking.gcp.owned import group_of

    assert permission in permissions("admin") and group_of(permission) is not None


READONLY_NEVER = [
    "container.configMaps.get", "container.configMaps.list", "container.thirdPartyObjects.get", "container.thirdPartyObjects.list",
    "container.secrets.get", "compute.projects.get", "compute.instanceTemplates.get", "compute.instanceTemplates.list",
    "compute.instances.getSerialPortOutput", "storage.objects.get", "secretmanager.versions.access", "logging.logEntries.list",
    "bigquery.jobs.create", "container.pods.getLogs", "redis.aclPolicies.get", "redis.aclPolicies.list",
    "run.operations.get", "cloudfunctions.operations.list", "monitoring.alerts.get", "monitoring.alerts.list",
    # workload specs carry environment variables (issue 31)
    "run.services.get", "run.services.list", "run.revisions.get", "run.jobs.get", "cloudfunctions.functions.get",
    "cloudfunctions.functions.list", "container.pods.get", "container.controllerRevisions.get", "container.podTemplates.get",
    "container.deployments.get", "container.statefulSets.list",
]


@pytest.mark.parametrize("permission", READONLY_NEVER)
def test_the_readonly_tier_returns_no_secrets(permission):
    assert permission not in permissions("readonly")


def ledger(tier: str) -> dict[str, str]:
    path = builtin_document_path("gcp", tier).with_name(f"{tier}.ledger.yaml")
    return load_document(path, path.name)["unfenced"]


@pytest.mark.parametrize("tier", ["admin", "admin-wide", "readonly"])
def test_every_ledger_entry_names_what_the_tier_keeps(tier):
    kept = ledger(tier)
    assert kept and set(kept) <= permissions(tier)


def test_the_wider_tier_s_ledger_names_everything_the_project_tier_removes_and_it_keeps():
    kept = set(ledger("admin-wide"))
    assert set(ledger("admin")) <= kept
    assert {p for ps in ADMIN_NEVER.values() for p in ps} & permissions("admin-wide") <= kept


def test_the_wider_tier_is_the_one_that_keeps_them():
    wide, fenced = permissions("admin-wide"), permissions("admin")
    assert {"logging.sinks.create", "compute.instances.setMetadata"} <= wide
    # no tier reaches inside clusters through IAM: that is the Kubernetes link's (test_permission_classes.py)
    assert "container.clusters.impersonate" not in wide
    # the project tier adds only the services the review found missing; everything else it has, the wider one has
    assert {p.split(".")[0] for p in fenced - wide} <= {"certificatemanager", "secretmanager", "servicenetworking", "storage", "vpcaccess"}


@pytest.mark.parametrize("tier", ["admin", "admin-wide", "readonly"])
def test_every_permission_can_be_used_in_a_project_level_custom_role(tier):
    from linking.gcp.catalogue import gcp_custom_role_support

    support = gcp_custom_role_support()
    assert {p for p in permissions(tier) if support.get(p, "NOT_SUPPORTED") == "NOT_SUPPORTED"} == set()
