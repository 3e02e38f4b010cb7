"""The admin tier's ledger lists exactly what the tier keeps of Kubernetes' escalation paths, each with a reason."""

from __future__ import annotations

import pytest
import yaml

from linking.kubernetes.documents import render_cluster_role, rule_allows
from linking.kubernetes.lint import risks_granted
from linking.policy import builtin_document_path

LEDGER = yaml.safe_load((builtin_document_path("kubernetes", "admin").parent / "admin.ledger.yaml").read_text())
ROLES = {where: render_cluster_role(builtin_document_path("kubernetes", name), "x", "k").document["rules"]
         for where, name in (("namespaces", "admin"), ("cluster", "admin-cluster"))}


def triple(text: str) -> tuple[str, str, str]:
    """``verb group/resource`` (group ``core`` for the core API) -> (group, resource, verb)."""
    verb, path = text.split(" ")
    group, resource = path.split("/", 1)
    return ("" if group == "core" else group, resource, verb)


def ledgered() -> dict[str, set[tuple[str, str, str]]]:
    found: dict[str, set[tuple[str, str, str]]] = {}
    for entry in LEDGER:
        found.setdefault(entry["risk"], set()).update(triple(g) for g in entry["grants"])
    return found


@pytest.mark.parametrize("where", sorted(ROLES))
def test_every_escalation_path_the_tier_keeps_is_in_the_ledger(where):
    kept = ledgered()
    for risk, grants in risks_granted(ROLES[where]).items():
        assert set(grants) <= kept.get(risk, set()), f"{risk} granted in {where} but not (all) in the ledger"


@pytest.mark.parametrize("entry", LEDGER, ids=[e["risk"] for e in LEDGER])
def test_every_ledger_entry_is_granted_where_it_says_with_a_reason(entry):
    for group, resource, verb in map(triple, entry["grants"]):
        assert any(rule_allows(rule, group, resource, verb) for rule in ROLES[entry["where"]]), f"{verb} {resource} is not granted"
    assert len(entry["why"].split()) >= 20
