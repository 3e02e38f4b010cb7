"""Benchmark (not a test): plan N synthetic stacks of every provider in one `linking plan` process.

    python tests/benchmarks/plan_scale.py --stacks 10 100 500

Prints one JSON line per N (whole-process seconds, peak resident and proportional
memory of the `linking plan` process and its workers together, sampled every 50 ms, and the
size of the plan JSON), then the marginal cost per stack between the smallest and
largest N, each next to the floor (our own pure work per stack, measured by
`plan_floor.py` in this process: what the cost is made of). The plan runs with
linking's defaults (``--jobs``, ``--memory``) unless given, the floor on one core;
``workers`` is the most worker processes seen at once.

    python tests/benchmarks/plan_scale.py --stacks 2000 --jobs 64 --cpus 64

plans as if on a machine with 64 usable CPUs (the plan's CPU cap is lifted, its
memory budget still applies): how much memory a larger machine would use.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()


def link(provider: str, n: int) -> dict:
    """A valid link of ``provider``; ``n`` makes its id and target unique."""
    base = {"id": f"{provider[:3]}-{n:05d}", "provider": provider, "tier": ("admin", "readonly")[n % 2], "owner": "bench@example.com"}
    if provider == "aws":
        return {**base, "controlPlane": {"aws": {"principalArn": "arn:aws:iam::111122223333:role/cp"}},
                "aws": {"accountId": f"{100000000000 + n}"}}
    if provider == "azure":
        return {**base, "controlPlane": {"oidc": {"issuer": "https://issuer.example", "subject": f"cp-{n}"}},
                "azure": {"subscriptionId": f"00000000-0000-0000-0000-{n:012d}", "tenantId": "11111111-1111-1111-1111-111111111111",
                          "location": "westeurope", **({"resourceGroups": [f"apps-{n:05d}"]} if n % 2 == 0 else {})}}
    if provider == "gcp":
        return {**base, "controlPlane": {"gcp": {"member": "serviceAccount:cp@cp-project.iam.gserviceaccount.com"}},
                "gcp": {"project": f"bench-{n:06d}"}}
    return {**base, "kubernetes": {"server": f"https://k8s-{n}.example:6443", "caData": CA}}


def generate(folder: Path, count: int) -> Path:
    stacks = folder / f"project-{count}" / "stacks"
    stacks.mkdir(parents=True, exist_ok=True)
    (stacks.parent / "Pulumi.yaml").write_text("name: bench\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n")
    (stacks / "__main__.py").write_text((Path(__file__).resolve().parents[2] / "stacks" / "__main__.py").read_text())
    for n in range(count):
        provider = ("aws", "azure", "gcp", "kubernetes")[n % 4]
        (stacks / f"Pulumi.s{n:05d}.yaml").write_text(json.dumps({"config": {"linking:link": link(provider, n)}}))
    return stacks


def _tree_kb(root: int) -> tuple[int, int, int]:
    """Resident and proportional memory (RSS; PSS, which counts a page shared by several processes once in all)
    of a process and all its descendants (the plan's worker processes), from /proc, and how many descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    rss = pss = 0
    for pid in tree:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.endswith("kB")}
        rss, pss = rss + fields.get("Rss", 0), pss + fields.get("Pss", 0)
    return rss, pss, len(tree) - 1


def _command(cpus: Optional[int]) -> list[str]:
    """`linking`, run as on a machine with ``cpus`` usable CPUs when given."""
    if cpus is None:
        return [sys.executable, "-m", "linking"]
    simulate = f"import sys; import linking.plan.batch as b; b._usable_cpus = lambda: {cpus}; from linking.cli import main; sys.exit(main())"
    return [sys.executable, "-c", simulate]


def measure(stacks: Path, count: int, jobs: Optional[int] = None, memory: Optional[int] = None, cpus: Optional[int] = None) -> dict:
    out = stacks.parent / "plan.json"
    started = time.perf_counter()
    process = subprocess.Popen(
        [*_command(cpus), "plan", str(stacks), "--json", str(out), "--format", "markdown",
         *(["--jobs", str(jobs)] if jobs else []), *(["--memory", str(memory)] if memory else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    peak_kb = peak_pss_kb = workers = 0
    while process.poll() is None:  # sample the whole process tree: workers run side by side
        rss, pss, children = _tree_kb(process.pid)
        peak_kb, peak_pss_kb, workers = max(peak_kb, rss), max(peak_pss_kb, pss), max(workers, children)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    failed = sum(1 for s in json.loads(out.read_text())["stacks"] if s["status"] != "planned") if out.exists() else count
    return {"stacks": count, "workers": workers, "seconds": round(seconds, 2), "peak_mb": round(peak_kb / 1024, 1),
            "peak_pss_mb": round(peak_pss_kb / 1024, 1),
            "json_mb": round(out.stat().st_size / 2**20, 2) if out.exists() else None, "failed": failed, "exit": process.returncode}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--workdir", type=Path, help="where to generate the stacks (default: a temporary folder)")
    parser.add_argument("--floor-stacks", type=int, default=80, help="stacks over which plan_floor.py measures the floor")
    parser.add_argument("--jobs", type=int, help="the plan's --jobs (default: linking's, one per usable CPU)")
    parser.add_argument("--memory", type=int, help="the plan's --memory budget in MB (default: linking's)")
    parser.add_argument("--cpus", type=int, help="plan as if this many CPUs were usable (default: this machine's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.workdir or Path(scratch)
        results = [measure(generate(folder, count), count, args.jobs, args.memory, args.cpus) for count in sorted(args.stacks)]
    from plan_floor import measure as measure_floor  # it imports this module's generator

    floor_ms = measure_floor(args.floor_stacks)["all"][0]
    for result in results:
        per_stack = result["seconds"] * 1000 / result["stacks"]
        print(json.dumps({**result, "ms_per_stack": round(per_stack, 1), "ratio_to_floor": round(per_stack / floor_ms, 1)}))
    summary: dict = {"floor_ms_per_stack": round(floor_ms, 1)}
    if len(results) > 1:
        low, high = results[0], results[-1]
        marginal = (high["seconds"] - low["seconds"]) * 1000 / (high["stacks"] - low["stacks"])
        summary.update(marginal_ms_per_stack=round(marginal, 1), marginal_ratio_to_floor=round(marginal / floor_ms, 1))
    print(json.dumps(summary))
    return 0 if all(r["failed"] == 0 and r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
