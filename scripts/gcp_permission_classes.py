"""Class every GCP permission the built-in tiers could hold from Google's API discovery documents, and write
``linking/catalogues/gcp-permission-classes.json.gz``.

A permission ``service.collection.verb`` is matched to the REST methods of the same API (``ALIASES`` where the
permission's service is not the API's name), whose last resource is the collection (ignoring case) and whose method
is the verb (``create`` is also ``insert``, ``update`` also ``patch``, ``list`` also ``aggregatedList``). Every
matched method's own description and schemas decide the class, the most severe over the methods:

- ``credential``: the response carries a field named in ``CREDENTIAL_FIELDS`` (a password, a private key, an access
  token, an AUTH string, a client key);
- ``code_execution``: Google describes the method as running, executing or invoking something (``RUNS``);
- ``identity``: the method sets an IAM policy (``setIamPolicy``, or a request whose schema is a ``Policy``);
- ``data``: a read (``GET``) whose response carries content customers write (``CONTENT_FIELDS``: environment
  variables, instance metadata values, startup scripts, payloads, log entries), or a method Google describes as
  exporting, downloading, copying, cloning or restoring (``COPIES``);
- ``audit``: a write of the logging API's sinks, exclusions, buckets, views, links, settings or logs;
- ``exposure``: a write whose request carries access-opening fields (``EXPOSURE_FIELDS``: ACLs, public access
  prevention, authorized networks, source ranges, ingress);
- ``none``: a matched method and none of the above, Google's description quoted as the evidence.

A permission no method matches is not written: ``linking/gcp/classes.py`` decides it from the reviewed sources
(``risk-classes.json``, the escalation methods, Google's documented IAM verbs) or leaves it unclassified, and a tier
may not hold an unclassified permission (``tests/gcp/test_permission_classes.py``).

Run: ``pip install google-api-python-client==2.202.0`` then ``python scripts/gcp_permission_classes.py``. The
discovery documents ship inside that package (Apache-2.0). CI never runs it.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import re
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "linking" / "catalogues" / "gcp-permission-classes.json.gz"
ALIASES = {"cloudsql": "sqladmin", "resourcemanager": "cloudresourcemanager", "billing": "cloudbilling"}
# The permission's collection where the API names it otherwise (each checked to exist when the script runs).
COLLECTIONS = {("certificatemanager", "certmaps"): "certificatemaps", ("certificatemanager", "certmapentries"):
               "certificatemapentries", ("certificatemanager", "certs"): "certificates", ("logging", "logmetrics"):
               "metrics", ("monitoring", "slos"): "servicelevelobjectives", ("compute", "regionfirewallpolicies"):
               "regionnetworkfirewallpolicies"}
VERBS = {"create": ("create", "insert"), "update": ("update", "patch"), "list": ("list", "aggregatedList")}
SEVERITY = ("credential", "code_execution", "identity", "data", "audit", "exposure", "none")
CREDENTIAL_FIELDS = re.compile(
    r"^(password|rootPassword|privateKey|privateKeyData|privateKeyPem|accessToken|authString|clientKey|secretKey|"
    r"sharedSecret|hmacKey|kubeconfig|token|idToken|clientSecret)$", re.IGNORECASE)
CONTENT_FIELDS = re.compile(
    r"^(env|envVars|environmentVariables|buildEnvironmentVariables|userData|startupScript|textPayload|jsonPayload|"
    r"protoPayload|payload|entries|contents|sourceCode|kubeEnv)$", re.IGNORECASE)
METADATA_VALUE = ("Metadata", "items")  # Compute's metadata: key/value items, startup scripts and kube-env among them
WRITE_ONLY = re.compile(r"write-only|use only on creation|only insert requests|input only", re.IGNORECASE)
RUNS = re.compile(r"\b(execut(e|es|ing) (a|an|the|arbitrary|sql|commands?|quer(y|ies)|statements?)\b|runs? (a|an|the) "
                  r"(command|script|job|query|workflow|function|container)|invok(e|es|ing) (a|an|the) (function|service)|"
                  r"\bssh\b|serial port output)", re.IGNORECASE)
COPIES = re.compile(r"\b(export(s|ing)?|download(s|ing)?|clon(e|es|ing))\b|\brestor\w* .{0,40}\bbackup|"
                    r"\bcop(y|ies)\b.{0,30}\b(data|disk|image|snapshot|object|file|table)", re.IGNORECASE)
AUDIT_COLLECTIONS = {"sinks", "exclusions", "buckets", "views", "links", "settings", "cmeksettings", "logs"}
AUDIT_CREATES = {"sinks", "exclusions", "links"}  # a new bucket or view changes nothing that is logged already
EXPOSURE_FIELDS = re.compile(r"^(acl|defaultObjectAcl|publicAccessPrevention|authorizedNetworks|sourceRanges|ingress|"
                             r"allowedIpRanges|publicIpAddress|ipv4Enabled)$", re.IGNORECASE)
DEPTH = 8


def _documents() -> list[dict[str, Any]]:
    """Every version of every API's discovery document in the installed package."""
    folder = resources.files("googleapiclient").joinpath("discovery_cache").joinpath("documents")
    documents = (json.loads(entry.read_text(encoding="utf-8")) for entry in sorted(folder.iterdir(), key=lambda e: e.name)
                 if entry.name.endswith(".json"))
    return [document for document in documents if document.get("name")]


def _methods(documents: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[tuple[dict, dict]]]:
    index: dict[tuple[str, str, str], list[tuple[dict, dict]]] = defaultdict(list)

    def walk(node: dict, document: dict) -> None:
        for collection, resource in (node.get("resources") or {}).items():
            for verb, method in (resource.get("methods") or {}).items():
                index[(document["name"], collection.lower(), verb.lower())].append((method, document))
            walk(resource, document)

    for document in documents:
        walk(document, document)
    return index


def _fields(document: dict, ref: str | None, pattern: re.Pattern, found: set[str], path: str = "",
            seen: frozenset = frozenset(), depth: int = 0) -> None:
    if not ref or ref in seen or depth > DEPTH:
        return
    schema = document.get("schemas", {}).get(ref, {})
    for name, prop in (schema.get("properties") or {}).items():
        if WRITE_ONLY.search(prop.get("description") or ""):
            continue
        if pattern.match(name) or (ref, name) == METADATA_VALUE and pattern is CONTENT_FIELDS:
            found.add(f"{ref}.{name}")
        for child in (prop, prop.get("items") or {}, prop.get("additionalProperties") or {}):
            _fields(document, child.get("$ref"), pattern, found, f"{path}.{name}", seen | {ref}, depth + 1)


def _class_of(api: str, collection: str, method: dict, document: dict) -> tuple[str, list[str]]:
    description = " ".join((method.get("description") or "").split())
    response = (method.get("response") or {}).get("$ref")
    request = (method.get("request") or {}).get("$ref")
    verb = method["id"].rsplit(".", 1)[-1]
    found: set[str] = set()
    _fields(document, response, CREDENTIAL_FIELDS, found)
    if found:
        return "credential", sorted(found)
    if RUNS.search(description):
        return "code_execution", []
    if verb == "setIamPolicy" or request == "SetIamPolicyRequest":
        return "identity", []
    if method.get("httpMethod") == "GET":
        _fields(document, response, CONTENT_FIELDS, found)
        if found:
            return "data", sorted(found)
    if COPIES.search(description):
        return "data", []
    if api == "logging" and collection in AUDIT_COLLECTIONS and verb in ("update", "patch", "delete") or (
            api == "logging" and collection in AUDIT_CREATES and verb == "create"):
        return "audit", []
    if method.get("httpMethod") != "GET":
        _fields(document, request, EXPOSURE_FIELDS, found)
        if found:
            return "exposure", sorted(found)
    return "none", []


def classes(permissions: list[str]) -> dict[str, dict[str, Any]]:
    index = _methods(_documents())
    known = {(api, collection) for api, collection, _ in index}
    missing = [key for key in COLLECTIONS.items() if (ALIASES.get(key[0][0], key[0][0]), key[1]) not in known]
    assert not missing, f"collection aliases the documents do not have: {missing}"
    out: dict[str, dict[str, Any]] = {}
    for permission in permissions:
        service, *middle, verb = permission.split(".")
        if not middle:
            continue
        api = ALIASES.get(service, service)
        collection = COLLECTIONS.get((service, middle[-1].lower()), middle[-1].lower())
        matched = [(m, d) for v in VERBS.get(verb, (verb,)) for m, d in index.get((api, collection, v.lower()), [])]
        if not matched:
            continue
        (klass, evidence), method, document = min(((_class_of(api, collection, m, d), m, d) for m, d in matched),
                                                  key=lambda item: SEVERITY.index(item[0][0]))
        out[permission] = {
            "class": klass,
            "method": f"{method['id']} ({document['version']})",
            "quote": " ".join((method.get("description") or "").split())[:300],
            **({"fields": evidence} if evidence else {}),
        }
    return out


def main() -> None:
    catalogue = json.loads(gzip.decompress(
        (OUTPUT.parent / "gcp-custom-role-support.json.gz").read_bytes()))["permissions"]
    services = {p.split(".")[0] for p in _tier_permissions()}
    permissions = sorted(p for p in catalogue if p.split(".")[0] in services)
    payload = {
        "source": f"Google API discovery documents in google-api-python-client "
                  f"{importlib.metadata.version('google-api-python-client')} (Apache-2.0)",
        "permissions": classes(permissions),
    }
    OUTPUT.write_bytes(gzip.compress(json.dumps(payload, indent=0, sort_keys=True).encode(), mtime=0))
    counts: dict[str, int] = defaultdict(int)
    for entry in payload["permissions"].values():
        counts[entry["class"]] += 1
    print(f"{len(payload['permissions'])} of {len(permissions)} permissions classed: {dict(sorted(counts.items()))}")


def _tier_permissions() -> set[str]:
    import yaml

    folder = Path(__file__).resolve().parent.parent / "policy_docs" / "gcp"
    held: set[str] = set()
    for path in folder.glob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(document, dict):
            held.update(document.get("includedPermissions") or [])
    return held


if __name__ == "__main__":
    main()
