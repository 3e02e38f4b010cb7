"""Benchmark (not a test): the cost of the worst hostile files, each planned in a fresh `linking plan` process.

    python tests/benchmarks/hostile_input.py

For each file: the exit code, the whole-process seconds and the peak resident memory of the process, next
to the same process planning the example stack (the baseline every run pays: Python, Pulumi, the AWS SDK).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "stacks" / "Pulumi.aws-example.yaml").read_text()


def bomb(levels: int) -> str:
    lines = ["  l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "config:\n" + "\n".join(lines) + "\n"


def custom(policy: str) -> str:
    return EXAMPLE.replace("tier: admin", "tier: custom\n    policyFile: policy.json"), policy


CASES: dict[str, str | tuple[str, str]] = {
    "baseline: the example stack": EXAMPLE,
    "alias bomb, 6 levels": bomb(6),
    "alias bomb, 7 levels": bomb(7),
    "alias bomb, 9 levels": bomb(9),
    "stack file at the size cap, nested 60 deep": "config:\n  x: " + "[" * 60 + ", ".join(["1"] * 80_000) + "]" * 60 + "\n",
    "stack file over the size cap": "config:\n  x: " + "y" * 2_000_000 + "\n",
    "policy nested 100,000 deep (1 MB cap)": custom("[" * 100_000 + "]" * 100_000),
    "policy of 1 MB, 5,000 statements": custom(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{n}", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::bucket-{n:06d}/*"]}
        for n in range(5_000)
    ]})),
}


def run(folder: Path, name: str, case: str | tuple[str, str]) -> dict:
    stack_text, policy = case if isinstance(case, tuple) else (case, None)
    stack = folder / "Pulumi.case.yaml"
    stack.write_text(stack_text)
    if policy is not None:
        (folder / "policy.json").write_text(policy)
    script = (
        "import resource, sys, time; start = time.perf_counter()\n"
        "from linking.cli import main\n"
        f"code = main(['plan', {str(stack)!r}])\n"
        "print(code, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    code, _, maxrss_kb = completed.stderr.strip().splitlines()[-1].split()
    return {"case": name, "exit": int(code), "seconds": round(wall, 2), "peak_rss_mb": round(int(maxrss_kb) / 1024, 1),
            "bytes": len(stack_text) + len(policy or "")}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
        (folder / "__main__.py").write_text("from pathlib import Path\nfrom linking import program\nprogram.run(Path(__file__).resolve().parent)\n")
        for name, case in CASES.items():
            print(json.dumps(run(folder, name, case)))


if __name__ == "__main__":
    main()
