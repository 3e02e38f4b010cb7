"""A fleet of twelve stacks and a pull request that changes ten of them, as a reviewer meets it: one link raised
from readonly to admin, an expiry extended, a link added and one removed, trust widened, a key instead of
impersonation, a wider admin scope, a revocation, and two changes that are not risky (an owner, a tag)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from ..conftest import REPO

PROJECT = "name: platform\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n"


def _example(name: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    return config


def _with(config: dict[str, Any], **link: Any) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    for key, value in link.items():
        section, _, leaf = key.partition("__")
        parent = changed["linking:link"].setdefault(section, {}) if leaf else changed["linking:link"]
        if value is None:
            parent.pop(leaf or key, None)
        else:
            parent[leaf or key] = value
    return changed


def _renamed(config: dict[str, Any], link_id: str, account: str | None = None) -> dict[str, Any]:
    changed = _with(config, id=link_id)
    if account:
        changed["linking:link"]["aws"]["accountId"] = account
    return changed


def stacks() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(base, head): stack name -> its config."""
    aws, readonly = _example("aws-example"), _example("aws-readonly-example")
    gcp, azure, k8s = _example("gcp-example"), _example("azure-example"), _example("k8s-example")
    base = {
        "analytics": readonly,
        "prod": aws,
        "old": _renamed(readonly, "acme-old", "310987654321"),
        "billing": _renamed(aws, "acme-billing", "410987654321"),
        "gcp": gcp,
        "gcp-data": _with(_renamed(gcp, "acme-data-gcp"), tier="readonly"),
        "azure": azure,
        "azure-read": _with(_renamed(azure, "acme-read-az"), tier="readonly", azure__resourceGroups=None),
        "k8s": k8s,
        "k8s-dev": _renamed(k8s, "acme-dev-k8s"),
        "steady-aws": _renamed(readonly, "acme-steady", "510987654321"),
        "steady-gcp": _renamed(gcp, "acme-steady-gcp"),
    }
    for config in base.values():  # a link keeps its external ID; the review is about access, not a new secret
        control = config["linking:link"].get("controlPlane", {})
        if "aws" in control:
            control["aws"]["externalId"] = "fixed-external-id"
    head = copy.deepcopy(base)
    head["analytics"] = _with(base["analytics"], tier="admin")
    head["prod"] = _with(base["prod"], expiresAt="2028-06-30T00:00:00Z")
    del head["old"]
    head["new"] = _renamed(readonly, "acme-new", "610987654321")
    head["billing"]["linking:link"]["controlPlane"]["aws"]["principalArn"] = "arn:aws:iam::999988887777:role/partner"
    head["gcp-data"] = _with(base["gcp-data"], gcp__access="key")
    head["azure"] = _with(base["azure"], azure__scope="subscription", azure__resourceGroups=None)
    head["k8s"] = _with(base["k8s"], enabled=False)
    head["k8s-dev"] = _with(base["k8s-dev"], owner="dev-team@acme.example")
    head["azure-read"] = _with(base["azure-read"], tags={"cost-center": "43"})
    head["new"]["linking:link"]["controlPlane"]["oidc"]["subject"] = "repo:acme/control-plane:environment:staging"
    return base, head


def write(root: Path, configs: dict[str, dict[str, Any]]) -> Path:
    """A project folder with these stacks; returns its stacks folder."""
    folder = root / "stacks"
    folder.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(PROJECT)
    shutil.copy(REPO / "stacks" / "__main__.py", folder / "__main__.py")
    for name, config in configs.items():
        (folder / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=True))
    return folder
