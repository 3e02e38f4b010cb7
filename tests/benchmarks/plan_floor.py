"""Benchmark (not a test): the floor of a plan, our own pure work per stack, next to what the planner costs.

    python tests/benchmarks/plan_floor.py --stacks 200

For a synthetic fleet of all four providers (the one plan_scale.py generates), in one process:
- floor: what linking itself must do for a stack, without Pulumi's mock runtime: parse and check the config,
  render and check the tier document (the render cache cleared per stack, as each link's values differ), lint
  it, and turn the recorded plan into the review entry, its markdown and its compact form;
- planner: `plan_one` on the same stack (the runtime included), after each process's heap has settled.
Prints milliseconds per stack for each provider and overall, and the ratio planner / floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_scale import generate  # noqa: E402

from linking import policy  # noqa: E402
from linking.component import TierFacts  # noqa: E402
from linking.config import LinkSpec  # noqa: E402
from linking.plan.batch import plan_settling  # noqa: E402
from linking.plan.markdown import format_markdown  # noqa: E402
from linking.plan.stackfile import load_stack_file, run_stack_file  # noqa: E402
from linking.providers import cloud, part  # noqa: E402
from linking.review.compact import compact_stack  # noqa: E402
from linking.review.grants import relative_file, review_stack  # noqa: E402

PROVIDERS = ("aws", "azure", "gcp", "kubernetes")


def lint(spec: LinkSpec, document: dict) -> None:
    """The tier lint each component runs before it registers anything."""
    lints = part(spec.provider, "lint")
    label = TierFacts.of(spec, cloud(spec.provider)).label
    if spec.provider == "aws":
        lints.lint_aws_permissions(document, label, tier=spec.tier)
    elif spec.provider == "azure":
        lints.lint_azure(document, label, tier=spec.tier)
    elif spec.provider == "gcp":
        lints.lint_gcp(document["includedPermissions"], label, tier=spec.tier)
    else:
        lints.lint_kubernetes(document["rules"], label, tier=spec.tier)


def floor(path: Path, recorded) -> float:
    """Seconds of our own work for one stack (``recorded``: its plan, run once beforehand)."""
    stack_file, plan = recorded
    policy._render.cache_clear()
    started = time.perf_counter()
    spec = LinkSpec.from_config(json.loads(stack_file.config["linking:link"]), project_root=stack_file.project_root)
    document = part(spec.provider, "check").render_sample(TierFacts.of(spec, cloud(spec.provider)).document).document
    lint(spec, document)
    entry = review_stack(plan, file=relative_file(path, stack_file.project_root), project=stack_file.project)
    format_markdown(entry)
    compact_stack(entry, {})
    return time.perf_counter() - started


def measure(count: int) -> dict[str, tuple[float, float]]:
    """Per provider and ``all``: (floor, planner) in milliseconds per stack, over ``count`` generated stacks."""
    with tempfile.TemporaryDirectory() as scratch:
        stacks = generate(Path(scratch), count)
        files = sorted(stacks.glob("Pulumi.*.yaml"))
        recorded = {}
        for path in files:  # warm-up too: every SDK imported, the heap settled
            stack_file = load_stack_file(path)
            recorded[path] = (stack_file, run_stack_file(stack_file))
            plan_settling(path, "markdown")
        floors: dict[str, list[float]] = {p: [] for p in PROVIDERS}
        planner: dict[str, list[float]] = {p: [] for p in PROVIDERS}
        for index, path in enumerate(files):
            provider = PROVIDERS[index % 4]
            floors[provider].append(floor(path, recorded[path]))
            started = time.perf_counter()
            plan_settling(path, "markdown")
            planner[provider].append(time.perf_counter() - started)
    result = {p: (statistics.mean(floors[p]) * 1000, statistics.mean(planner[p]) * 1000) for p in PROVIDERS}
    result["all"] = (statistics.mean([x for v in floors.values() for x in v]) * 1000,
                     statistics.mean([x for v in planner.values() for x in v]) * 1000)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", type=int, default=200)
    args = parser.parse_args()
    for provider, (f, p) in measure(args.stacks).items():
        print(json.dumps({"provider": provider, "floor_ms": round(f, 1), "planner_ms": round(p, 1), "ratio": round(p / f, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
