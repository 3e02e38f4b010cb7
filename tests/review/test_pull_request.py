"""A pull request against a repository of stacks, judged as the shipped workflows judge it.

Each test builds the base checkout (this repository's project file, program, workflows and one stack), a head
that attacks the review one way, plans both with `linking plan` (which runs the program `Pulumi.yaml` names, as
`pulumi up` does) and judges them with `linking diff --trees` (the base's code, reading the head as files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linking.cli import main
from linking.review.code import code_changes, is_code

REPO = Path(__file__).resolve().parents[2]

BACKDOOR = '''
import json as _json

import pulumi_aws as _aws

_aws.iam.Role(
    "break-glass",
    assume_role_policy=_json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                    "Principal": {"AWS": "arn:aws:iam::999988887777:root"}}]}),
    managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"],
)
'''


@pytest.fixture
def base(tmp_path: Path) -> Path:
    root = tmp_path / "base"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(REPO / "stacks" / "__main__.py", root / "stacks" / "__main__.py")
    shutil.copy(REPO / "stacks" / "Pulumi.aws-readonly-example.yaml", root / "stacks" / "Pulumi.dev.yaml")
    shutil.copytree(REPO / ".github", root / ".github")
    (root / "README.md").write_text("# platform stacks\n")
    return root


@pytest.fixture
def head(base: Path) -> Path:
    root = base.parent / "head"
    shutil.copytree(base, root)
    return root


def judge(base: Path, head: Path, capsys, *, head_plan: Path | None = None) -> tuple[int, str]:
    """Plan both revisions, then the base's verdict (exit code, markdown comment)."""
    plans = {}
    for name, tree in (("base", base), ("head", head)):
        plans[name] = base.parent / f"{name}.json"
        main(["plan", str(tree / "stacks"), "--quiet", "--json", str(plans[name])])
    capsys.readouterr()
    status = main(["diff", str(plans["base"]), str(head_plan or plans["head"]), "--trees", str(base), str(head),
                   "--format", "markdown", "--fail-on", "risky"])
    return status, capsys.readouterr().out


def test_an_unchanged_pull_request_passes(base, head, capsys):
    (head / "README.md").write_text("# platform stacks\n\nNow with more words.\n")
    status, comment = judge(base, head, capsys)
    assert status == 0 and "No access changes." in comment and "program changed" not in comment


def test_a_backdoor_in_the_program_is_a_risky_access_change(base, head, capsys):
    with open(head / "stacks" / "__main__.py", "a") as program:
        program.write(BACKDOOR)
    status, comment = judge(base, head, capsys)
    assert status == 1
    assert "program changed: review the code" in comment and "`stacks/__main__.py` (changed)" in comment
    assert "resources:aws" in comment and "999988887777" in comment  # the role it registers is reviewed too


def test_main_pointing_elsewhere_is_planned_and_flagged(base, head, capsys):
    (head / "ops").mkdir()
    (head / "ops" / "__main__.py").write_text((head / "stacks" / "__main__.py").read_text() + BACKDOOR)
    project = (head / "Pulumi.yaml").read_text().replace("main: stacks/", "main: ops/")
    assert project != (head / "Pulumi.yaml").read_text()
    (head / "Pulumi.yaml").write_text(project)
    status, comment = judge(base, head, capsys)
    assert status == 1
    assert "`Pulumi.yaml` (changed)" in comment and "`ops/__main__.py` (added)" in comment
    assert "999988887777" in comment


def test_project_level_config_is_merged_into_every_stack(base, head, capsys):
    stack = head / "stacks" / "Pulumi.dev.yaml"
    document = __import__("yaml").safe_load(stack.read_text())
    link = document["config"].pop("linking:link")
    stack.write_text(json.dumps(document))
    with open(head / "Pulumi.yaml", "a") as project:
        project.write("config:\n  linking:link:\n    value: " + json.dumps({**link, "tier": "admin"}) + "\n")
    status, comment = judge(base, head, capsys)
    assert status == 1
    assert "program changed" not in comment  # Pulumi.yaml's config is reviewed by the plan, not as code
    assert "tier raised: readonly -&gt; admin" in comment or "tier raised: readonly -> admin" in comment


def test_a_forged_head_plan_cannot_hide_a_code_change(base, head, capsys):
    """A sitecustomize.py (or any code) that rewrote the head's plan to equal the base's: the judge hashes the
    checkouts itself, so the verdict is still risky."""
    (head / "sitecustomize.py").write_text("import linking.review.diff as d\nd.diff_plans = lambda *a, **k: {}\n")
    forged = base.parent / "forged.json"
    main(["plan", str(base / "stacks"), "--quiet", "--json", str(forged)])
    status, comment = judge(base, head, capsys, head_plan=forged)
    assert status == 1 and "`sitecustomize.py` (added)" in comment


def test_a_workflow_edit_is_flagged(base, head, capsys):
    workflow = head / ".github" / "workflows" / "access-review-judge.yml"
    workflow.write_text(workflow.read_text().replace("--fail-on risky", "--fail-on never"))
    status, comment = judge(base, head, capsys)
    assert status == 1 and "`.github/workflows/access-review-judge.yml` (changed)" in comment


def _run_judge(base: Path, head: Path, plan: Path, *flags: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-m", "linking", "diff", str(plan), str(plan), "--trees", str(base), str(head), "--fail-on", "risky"],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )


def test_the_judge_never_runs_with_the_head_importable(base, head, tmp_path):
    """The head's sitecustomize.py on PYTHONPATH (as the old workflow set it): run naively, the judge refuses; run
    as the workflow runs it (`python -I`, outside the head), the head's code is not imported and the verdict holds."""
    marker = tmp_path / "imported"
    (head / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').write('yes')\n")
    plan = tmp_path / "plan.json"
    plan.write_text('{"kind":"linking-plan","schemaVersion":2,"secretPlaceholder":"[secret]","stacks":[]}')
    env = {**os.environ, "PYTHONPATH": str(head)}
    naive = _run_judge(base, head, plan, env=env, cwd=head)
    assert naive.returncode == 2 and "can import code of the head checkout" in naive.stderr
    marker.unlink()
    isolated = _run_judge(base, head, plan, "-I", env=env, cwd=tmp_path)
    assert not marker.exists(), "the head's sitecustomize ran in the judge"
    assert isolated.returncode == 1 and "sitecustomize.py (added)" in isolated.stdout


@pytest.mark.parametrize("path, code", [
    ("stacks/__main__.py", True), ("sitecustomize.py", True), ("lib/site-packages/evil.pth", True),
    ("conftest.py", True), ("requirements-dev.txt", True), ("constraints.txt", True), ("uv.lock", True),
    ("pyproject.toml", True), (".github/workflows/x.yml", True), (".github/CODEOWNERS", True), ("Pulumi.yaml", True),
    ("PulumiPolicy.yaml", True), ("scripts/deploy.sh", True), ("Makefile", True), ("bin/tool", True),
    (".venv/pyvenv.cfg", True), ("pkg/__pycache__/m.cpython-311.pyc", True),
    ("Pulumi.json", True), ("Pulumi.yml", True), ("stacks/Pulumi.dev.json", True), ("PulumiPolicy.json", True),
    ("PulumiPlugin.yaml", True), ("requirements/base.txt", True), ("deps.txt", True), ("notes.txt", True),
    ("linking/catalogues/risk-classes.json", True), ("linking/catalogues/x.json.gz", True),
    ("stacks/Pulumi.dev.yaml", False), ("policy_docs/aws/admin.json", False), ("README.md", False),
    ("docs/review-example.png", False), ("stacks/policies/worker.json", False), ("LICENSE", False),
])
def test_what_counts_as_code(path, code):
    assert is_code(path, frozenset({"linking", "linking/catalogues"})) is code


def test_pulumi_yaml_counts_without_its_config(base, head):
    with open(head / "Pulumi.yaml", "a") as project:
        project.write("config:\n  aws:region: us-east-1\n")
    assert code_changes(base, head) == []
    (head / "Pulumi.yaml").write_text((head / "Pulumi.yaml").read_text().replace("virtualenv: .venv", "virtualenv: /tmp/elsewhere"))
    assert code_changes(base, head) == [{"path": "Pulumi.yaml", "change": "changed"}]


def test_a_symlink_counts_by_its_target_and_is_not_followed(base, head, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("print('outside')\n")
    (head / "helper.py").symlink_to(outside)
    assert code_changes(base, head) == [{"path": "helper.py", "change": "added"}]


@pytest.mark.skipif(shutil.which("zizmor", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")) is None,
                    reason="zizmor (the GitHub Actions analyser, on PyPI) is not installed")
def test_the_shipped_workflows_pass_zizmor(tmp_path):
    """The repository's workflows and the example ones (laid out as a repository's, where zizmor looks)."""
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    workflows = tmp_path / ".github" / "workflows"
    shutil.copytree(REPO / ".github" / "workflows", workflows)
    for example in (REPO / "examples" / "github").glob("*.yml"):
        shutil.copy(example, workflows / f"example-{example.name}")
    for persona in ("regular", "pedantic", "auditor"):
        completed = subprocess.run([zizmor, "--offline", "--no-progress", "--color", "never", f"--persona={persona}",
                                    str(workflows)], capture_output=True, text=True, timeout=120)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "No findings to report" in completed.stdout + completed.stderr


def test_a_json_project_file_pulumi_reads_first_is_code(base, head, capsys):
    """Pulumi reads Pulumi.json before Pulumi.yaml, and then Pulumi.<stack>.json stack files: neither is planned."""
    (head / "Pulumi.json").write_text(json.dumps({"name": "linking", "runtime": "python", "main": "stacks/"}))
    (head / "stacks" / "Pulumi.dev.json").write_text(json.dumps({"config": {}}))
    status, comment = judge(base, head, capsys)
    assert status == 1 and "`Pulumi.json` (added)" in comment and "`stacks/Pulumi.dev.json` (added)" in comment


def test_a_new_esc_environment_is_risky(base, head, capsys):
    """An ESC environment supplies config (and environment variables) the offline plan cannot resolve."""
    stack = head / "stacks" / "Pulumi.dev.yaml"
    stack.write_text("environment:\n  - acme/prod-admin\n" + stack.read_text())
    status, comment = judge(base, head, capsys)
    assert status == 1 and "could not see everything" in comment and "acme/prod-admin" in comment
