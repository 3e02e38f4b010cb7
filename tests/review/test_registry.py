"""`linking report`: the registry of links a recertification reads and a CI schedule fails on."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

import pytest

from linking.cli import main

from .test_review import aws_link, project, write_stack  # noqa: F401 (project is a fixture)

K8S = {"id": "acme-cluster", "provider": "kubernetes", "tier": "readonly", "owner": "k8s@acme.example",
       "expiresAt": "2027-03-01T00:00:00Z", "kubernetes": {"server": "https://k8s.acme.example:6443"}}


def _git(root, *args, date=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example", **({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {})}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.fixture
def fleet(project):
    stacks = project / "stacks"
    write_stack(stacks, "soon", aws_link("acme-soon", "123456789012", expiresAt="2027-01-20T00:00:00Z"))
    write_stack(stacks, "forever", aws_link("acme-forever", "210987654321"))
    waivers = [{"rule": "AWS002", "grant": "root", "reason": "the partner's own root, reviewed"}]
    write_stack(stacks, "later", aws_link("acme-later", "310987654321", expiresAt="2028-01-01T00:00:00Z", waivers=waivers))
    (stacks / "Pulumi.cluster.yaml").write_text(json.dumps({"config": {"linking:link": K8S}}))
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "old", date="2026-01-01T00:00:00Z")
    write_stack(stacks, "later", aws_link("acme-later", "310987654321", expiresAt="2028-01-01T00:00:00Z", owner="new@acme.example",
                                          waivers=waivers))
    _git(project, "commit", "-qam", "recent", date="2026-12-01T00:00:00Z")
    return project


def _report(capsys, *args):
    code = main(["report", *args, "--at", "2027-01-01T00:00:00Z"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_link_with_owner_expiry_days_left_enforcement_and_last_change(fleet, capsys, monkeypatch):
    monkeypatch.chdir(fleet)
    code, out, _ = _report(capsys, "stacks", "--format", "json")
    assert code == 0
    rows = {row["link"].rsplit(":", 1)[1]: row for row in json.loads(out)["all"]}
    assert set(rows) == {"acme-soon", "acme-forever", "acme-later", "acme-cluster"}
    soon, cluster, later = rows["acme-soon"], rows["acme-cluster"], rows["acme-later"]
    assert (soon["daysLeft"], soon["expiryEnforced"], soon["owner"], soon["tier"]) == (19, "by the cloud", "platform@acme.example", "readonly")
    assert (cluster["daysLeft"], cluster["expiryEnforced"]) == (59, "documented only")
    assert soon["lastChange"] == "2026-01-01" and later["lastChange"] == "2026-12-01"
    assert later["waivers"] == ["AWS002 on root: the partner's own root, reviewed"]
    assert rows["acme-forever"]["expiresAt"] is None and rows["acme-forever"]["expiryEnforced"] is None


def test_expiring_within_fails_a_schedule_and_lists_the_links(fleet, capsys, monkeypatch):
    monkeypatch.chdir(fleet)
    code, out, err = _report(capsys, "stacks", "--expiring-within", "30d")
    assert code == 1 and "1 links expire within 30 days" in err
    expiring = out.split("\n\n")[0]
    assert "acme-soon" in expiring and "acme-cluster" not in expiring
    assert _report(capsys, "stacks", "--expiring-within", "10d")[0] == 0


def test_links_without_expiry_and_not_recertified_are_listed_apart(fleet, capsys, monkeypatch):
    monkeypatch.chdir(fleet)
    code, out, _ = _report(capsys, "stacks", "--older-than", "180d", "--format", "json")
    found = json.loads(out)
    assert [row["link"].rsplit(":", 1)[1] for row in found["no expiry"]] == ["acme-forever"]
    assert sorted(row["link"].rsplit(":", 1)[1] for row in found["not recertified"]) == ["acme-cluster", "acme-forever", "acme-soon"]


def test_markdown_and_csv_and_a_plan_document(fleet, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(fleet)
    assert main(["plan", "--quiet", "stacks", "--json", str(tmp_path / "plan.json")]) == 0
    capsys.readouterr()
    code, out, _ = _report(capsys, str(tmp_path / "plan.json"), "--root", str(fleet), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {row["section"] for row in rows} == {"no expiry", "all"}
    assert next(row for row in rows if row["link"].endswith("acme-later"))["lastChange"] == "2026-12-01"
    code, out, _ = _report(capsys, "stacks", "--format", "markdown")
    assert out.startswith("# Links") and "| `platform/soon/link:acme-soon` | aws |" in out


def test_a_bad_window_is_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["report", "stacks", "--expiring-within", "soon"])
    assert exited.value.code == 2 and "expected a number of days such as 30d" in capsys.readouterr().err
