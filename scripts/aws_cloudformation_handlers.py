"""Snapshot which IAM actions CloudFormation's resource handlers need, from the registry schemas that ``cfn-lint``
ships, and write ``linking/catalogues/aws-cloudformation-handlers.json.gz``.

Every resource type of the CloudFormation registry publishes, per handler (create, read, update, delete, list),
the IAM permissions the handler calls. The AWS tier generator reads two facts from them:

- an action in some type's **create** handler creates something (a source for "this action creates", beside
  the Service Authorization Reference's own description);
- a type's create handler that calls its service's **tag** action (``lambda:TagResource`` for
  ``AWS::Lambda::Function``) means that service authorizes tags given at creation through the tag action, which
  IAM cannot tell from tagging an existing resource: only the name can fence such a create.

Run: ``pip install cfn-lint && python scripts/aws_cloudformation_handlers.py`` (CI never runs it; the tests read
the snapshot). The schemas of us-east-1 are read: the region with every type.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
from importlib import resources
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "linking" / "catalogues" / "aws-cloudformation-handlers.json.gz"
HANDLERS = ("create", "update", "delete")


def handlers() -> dict[str, dict[str, list[str]]]:
    """Type name -> handler -> sorted permissions."""
    schemas = resources.files("cfnlint").joinpath("data", "schemas")
    region = json.loads(schemas.joinpath("providers", "us-east-1.json").read_text(encoding="utf-8"))
    types: dict[str, dict[str, list[str]]] = {}
    for type_name, digest in sorted(region.items()):
        schema = json.loads(schemas.joinpath("resources", f"{digest}.json").read_text(encoding="utf-8"))
        declared = schema.get("handlers") or {}
        kept = {h: sorted(set(declared[h].get("permissions") or ())) for h in HANDLERS if h in declared}
        if kept:
            types[type_name] = kept
    return types


def main() -> int:
    document = {"cfnLintVersion": importlib.metadata.version("cfn-lint"), "region": "us-east-1", "types": handlers()}
    OUTPUT.write_bytes(gzip.compress(json.dumps(document, sort_keys=True, separators=(",", ":")).encode(), mtime=0))
    print(f"{OUTPUT.name}: {len(document['types'])} types with handlers, cfn-lint {document['cfnLintVersion']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
