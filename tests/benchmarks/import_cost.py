"""Import cost of each component next to the cloud SDK module it builds on (a benchmark, never a test).

    python tests/benchmarks/import_cost.py [RUNS]

Each line: the median wall time of a fresh interpreter doing the SDK import, the
same for importing our component, and the ratio (target: at most 1.2).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

PAIRS = [
    ("import pulumi_aws.iam", "from linking.aws import AwsAccountLink"),
    ("import pulumi_azure_native.authorization", "from linking.azure import AzureSubscriptionLink"),
    ("import pulumi_gcp.projects", "from linking.gcp import GcpProjectLink"),
    ("import pulumi_kubernetes.rbac.v1", "from linking.kubernetes import KubernetesClusterLink"),
]


def median_ms(statement: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    for sdk, ours in PAIRS:
        # Interleaved, so a busy machine slows both sides alike.
        sdk_ms, ours_ms = median_ms(sdk, runs), median_ms(ours, runs)
        print(f"{sdk:45} {sdk_ms:7.0f} ms | {ours:55} {ours_ms:7.0f} ms | ratio {ours_ms / sdk_ms:.2f}")


if __name__ == "__main__":
    main()
