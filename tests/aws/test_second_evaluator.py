"""A second, independent evaluator decides a sample of the catalogue-wide sweep: ``@cloud-copilot/iam-simulate``
(npm), through ``tests/aws/node/simulate.mjs``. Optional: it runs where node and the package are found (set
``LINKING_IAM_SIMULATE_MODULES`` to a ``node_modules`` folder that has it: ``npm install @cloud-copilot/iam-simulate``)
and skips otherwise. Every disagreement fails the test with the request, so one is read, not averaged away."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .test_exhaustive_fence import ADMINISTRATOR_ACCESS, NAMES, REPORT, document, swept

SCRIPT = Path(__file__).parent / "node" / "simulate.mjs"
PRINCIPAL = f"arn:aws:iam::{NAMES.account_id}:role/linking/linking-{NAMES.link_id}"
REFUSED = "error"
"""The simulator refuses ARNs it cannot parse (an AWS-owned SSM document has no account): counted, not compared."""


def _modules() -> Path:
    folder = os.environ.get("LINKING_IAM_SIMULATE_MODULES")
    if not shutil.which("node") or not folder or not (Path(folder) / "@cloud-copilot" / "iam-simulate").is_dir():
        pytest.skip("set LINKING_IAM_SIMULATE_MODULES to a node_modules folder with @cloud-copilot/iam-simulate (and have node)")
    return Path(folder)


def _simulate(modules: Path, identity: list, boundary, requests) -> list[str]:
    work = modules.parent / "linking-simulate.mjs"  # node resolves packages from the script's own folder
    work.write_text(SCRIPT.read_text(encoding="utf-8"), encoding="utf-8")
    payload = {"principal": PRINCIPAL, "account": NAMES.account_id, "identity": identity, "boundary": boundary,
               "requests": [{"action": r.action, "resource": r.resource, "context": dict(r.context)} for r in requests]}
    done = subprocess.run(["node", str(work)], input=json.dumps(payload), capture_output=True, text=True, timeout=900, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("tier", ["admin", "workload-boundary"])
def test_a_second_evaluator_agrees_with_the_sweep(tier):
    modules = _modules()
    tally, _ = swept(tier)
    requests = [request for request, _ in tally.sample]
    if tier == "admin":
        theirs = _simulate(modules, [document("admin")], None, requests)
    else:
        theirs = _simulate(modules, [ADMINISTRATOR_ACCESS], document("workload-boundary"), requests)
    ours = [verdict for _, verdict in tally.sample]
    compared = [(r, o, t) for r, o, t in zip(requests, ours, theirs) if not t.startswith(REFUSED)]
    disagreements = [f"{r.action} on {r.resource} {dict(r.context)}: ours {o}, theirs {t}"
                     for r, o, t in compared if (o == "allow") != (t == "allow")]
    REPORT.append(f"second evaluator: {tier}: {len(compared)} sampled requests compared, {len(requests) - len(compared)} "
                  f"refused by the simulator, {len(disagreements)} disagreements")
    assert not disagreements, "\n".join(disagreements[:20])
