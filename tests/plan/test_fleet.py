"""Fleet-scale plans: the compact document (each tier once), shards that merge into the single run byte for byte,
and a diff that reads the full form of earlier releases as well."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from linking.cli import main
from linking.plan import batch
from linking.plan.batch import _cost, _worker_shares, in_shard, stack_files
from linking.review.compact import link_grants, resource_inputs
from linking.review.diff import diff_plans, load_plan

from ..conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
from plan_scale import generate  # noqa: E402  (the benchmark's own synthetic fleet)
from ..builders import write_project


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    """24 stacks of the four providers, and the repository's example stacks beside them."""
    stacks = generate(tmp_path_factory.mktemp("fleet"), 24)
    for example in (REPO / "stacks").glob("Pulumi.*.yaml"):
        (stacks / example.name).write_text(example.read_text())
    (stacks / "policies").mkdir()
    for policy in (REPO / "stacks" / "policies").glob("*.json"):
        (stacks / "policies" / policy.name).write_text(policy.read_text())
    return stacks


def plan(paths: list[Path], out: Path, *extra: str) -> int:
    return main(["plan", *map(str, paths), "--json", str(out), "--jobs", "1", *extra])


def test_shards_are_disjoint_and_cover_every_stack(fleet):
    files = stack_files([fleet])
    shards = [in_shard(files, (k, 4)) for k in range(1, 5)]
    assert sorted(p for shard in shards for p in shard) == sorted(files)
    assert all(shards) and len({p for shard in shards for p in shard}) == len(files)


def test_four_shards_merge_into_the_single_plan_byte_for_byte(fleet, tmp_path, capsys):
    whole = tmp_path / "whole.json"
    plan([fleet], whole)
    shards = [tmp_path / f"shard-{k}.json" for k in range(1, 5)]
    for k, shard in enumerate(shards, start=1):
        plan([fleet], shard, "--shard", f"{k}/4")
    merged = tmp_path / "merged.json"
    assert main(["plan", "merge", *map(str, shards), "--json", str(merged)]) == 0
    capsys.readouterr()
    assert merged.read_bytes() == whole.read_bytes()
    assert len(json.loads(merged.read_text())["stacks"]) == len(stack_files([fleet]))


def test_a_stack_in_two_shards_is_refused(fleet, tmp_path, capsys):
    shard = tmp_path / "shard.json"
    plan([fleet], shard, "--shard", "1/2")
    assert main(["plan", "merge", str(shard), str(shard), "--json", str(tmp_path / "out.json")]) == 2
    assert "each stack in one shard only" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0/4", "5/4", "2", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_error(bad, fleet):
    with pytest.raises(SystemExit) as raised:
        main(["plan", str(fleet), "--shard", bad])
    assert raised.value.code == 2


def test_each_tier_is_stored_once(fleet, tmp_path):
    """Forty GCP links on one tier: the 1,100-permission role and its grants are one document each."""
    gcp = tmp_path / "gcp"
    gcp.mkdir()
    write_project(gcp.parent, "bench")
    for n in range(40):
        source = fleet / f"Pulumi.s{(2 + 4 * (n % 6)):05d}.yaml"
        link = json.loads(source.read_text())["config"]["linking:link"]
        link.update(id=f"gcp-{n:05d}", gcp={"project": f"bench-{n:06d}"})
        (gcp / f"Pulumi.g{n:03d}.yaml").write_text(json.dumps({"config": {"linking:link": link}}))
    out = tmp_path / "gcp.json"
    plan([gcp], out)
    document = json.loads(out.read_text())
    stacks = document["stacks"]
    per_stack = [len(json.dumps(s)) for s in stacks]
    assert max(per_stack) < 16_000  # a few KB per stack (12 KB with the name fence's 9 roles and bindings); the full form was about 220 KB
    large = [d for d in document["documents"].values() if len(json.dumps(d)) > 25_000]
    assert len(large) == 2  # the admin role's permission list and its grants, once for forty links
    first = stacks[0]["links"][0]
    assert len(link_grants(document["documents"], first)) > 500
    assert any(len(json.dumps(resource_inputs(document["documents"], r))) > 25_000 for r in stacks[0]["resources"])


def full_form(document: dict) -> dict:
    """The version-1 document of the same plan: each link its own grants, each resource its own inputs."""
    documents = document["documents"]
    stacks = []
    for stack in document["stacks"]:
        links = [{**{k: v for k, v in link.items() if k != "grantSets"}, "grants": link_grants(documents, link)} for link in stack["links"]]
        resources = [{**r, "inputs": resource_inputs(documents, r)} for r in stack["resources"]]
        stacks.append({**stack, "links": links, "resources": resources})
    return {k: v for k, v in document.items() if k != "documents"} | {"schemaVersion": 1, "stacks": stacks}


def test_a_tier_s_managed_policies_are_stored_once_for_a_fleet_of_accounts(fleet, tmp_path):
    """Twelve AWS admin links: each managed policy and the workload boundary name the link's own account and id,
    and are stored once, as templates; each resource's inputs read back with its own values."""
    aws = tmp_path / "aws"
    aws.mkdir()
    write_project(tmp_path, "bench")
    for n in range(12):
        link = json.loads((fleet / "Pulumi.s00000.yaml").read_text())["config"]["linking:link"]
        link.update(id=f"aws-{n:05d}", aws={"accountId": f"{200000000000 + n}"})
        (aws / f"Pulumi.a{n:03d}.yaml").write_text(json.dumps({"config": {"linking:link": link}}))
    out = tmp_path / "aws.json"
    plan([aws], out)
    document = json.loads(out.read_text())
    policies = [[r for r in stack["resources"] if r["type"] == "aws:iam/policy:Policy"] for stack in document["stacks"]]
    assert len(policies[0]) >= 2 and all(len(each) == len(policies[0]) for each in policies)
    references = {r["inputs"]["policy"]["$document"] for each in policies for r in each}
    assert len(references) == len(policies[0])  # one document per part, whatever the number of accounts
    for n, stack in enumerate(document["stacks"]):
        text = json.dumps([resource_inputs(document["documents"], r) for r in policies[n]])
        assert f"{200000000000 + n}" in text and f"aws-{n:05d}" in text and "\\u0000" not in text


def test_the_diff_reads_the_full_form_of_earlier_releases(fleet, tmp_path):
    head = tmp_path / "head.json"
    plan([fleet], head)
    compact = json.loads(head.read_text())
    base = tmp_path / "base.json"
    widened = full_form(compact)
    for stack in widened["stacks"]:  # the base had one grant fewer on one link
        for link in stack["links"]:
            if link["key"] == "link:acme-prod":
                link["grants"] = link["grants"][1:]
    base.write_text(json.dumps(widened))
    diff = diff_plans(load_plan(base), load_plan(head))
    (changed,) = [entry for entry in diff["links"] if entry["key"].endswith("link:acme-prod")]
    assert len(changed["granted"]) == 1 and changed["revoked"] == []
    unchanged = tmp_path / "same.json"
    unchanged.write_text(json.dumps(full_form(compact)))
    assert diff_plans(load_plan(unchanged), load_plan(head))["links"] == []


@pytest.mark.parametrize("resource", [
    "arn:aws:s3:::acme-prod-123456789012/*",
    "arn:aws:s3:::\u0000id\u0000/*",  # a grant that already holds the token text: stored as it is
    "arn:aws:s3:::acme-prodacme-prod\u0000target.accountId/*",
])
def test_a_link_s_grants_round_trip_exactly_through_the_shared_document(resource):
    from linking.review.compact import compact_stack

    link = {"id": "acme-prod", "target": {"accountId": "123456789012"}, "key": "link:acme-prod",
            "grants": [{"effect": "Allow", "action": "s3:GetObject", "resource": resource, "condition": None}]}
    documents: dict = {}
    compact = compact_stack({"resources": [], "links": [link]}, documents)
    parsed = {digest: json.loads(text) for digest, text in documents.items()}
    assert link_grants(parsed, compact["links"][0]) == link["grants"]


def test_the_matrix_example_shards_as_many_times_as_it_says():
    import yaml

    workflow = yaml.safe_load((REPO / "examples" / "github" / "access-review-sharded.yml").read_text())
    shards = int(workflow["env"]["SHARDS"])
    assert workflow["jobs"]["plan"]["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    text = (REPO / "examples" / "github" / "access-review-sharded.yml").read_text()
    for needed in ('--shard "$SHARD/$SHARDS"', '/shards/plan-base-*/plan.json --json "$out/base.json"',
                   '/shards/plan-head-*/plan.json --json "$out/head.json"', "name: access-review\n"):
        assert needed in text
    # it plans and hands the plans on; the judge (access-review-judge.yml, from the default branch) diffs them
    assert "linking diff" not in text and "pull-requests: write" not in text and "secrets." not in text
    assert "id-token: write" not in text and "AWS_ACCESS_KEY" not in text


def test_a_cached_plan_is_byte_identical_and_sees_every_change(fleet, tmp_path, capsys):
    cache = tmp_path / "cache"
    cold, warm, uncached = tmp_path / "cold.json", tmp_path / "warm.json", tmp_path / "uncached.json"
    plan([fleet], cold, "--cache", str(cache))
    plan([fleet], warm, "--cache", str(cache))
    plan([fleet], uncached)
    assert cold.read_bytes() == warm.read_bytes() == uncached.read_bytes()
    assert len(list(cache.glob("*.json"))) == len(stack_files([fleet]))
    # A changed policy file (named by a stack) and a changed stack file are planned again.
    policy = fleet / "policies" / "orders-worker.json"
    original = policy.read_text()
    try:
        policy.write_text(original.replace("dynamodb:UpdateItem", "dynamodb:DeleteItem"))
        changed = tmp_path / "changed.json"
        plan([fleet], changed, "--cache", str(cache))
        assert "dynamodb:DeleteItem" in changed.read_text()
        assert len(list(cache.glob("*.json"))) == len(stack_files([fleet])) + 1
    finally:
        policy.write_text(original)
    capsys.readouterr()


def test_summary_prints_one_line_per_stack(fleet, capsys):
    assert main(["plan", str(fleet), "--format", "summary", "--jobs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(stack_files([fleet]))
    assert any(line.endswith("link:acme-prod aws admin") for line in lines)


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_on_a_terminal_ends_with_a_summary(quiet, fleet, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["plan", str(fleet), "--format", "summary", "--jobs", "1", *(["--quiet"] if quiet else [])]) == 0
    err = capsys.readouterr().err
    count = len(stack_files([fleet]))
    if quiet:
        assert err == ""
    else:
        assert f"planned {count}/{count} stacks, 0 failed" in err
        assert err.rstrip().splitlines()[-1].split("\r")[-1].startswith(f"linking plan: {count} stacks, {count} planned, 0 failed, in ")


def test_a_cache_inside_the_checkout_is_refused(fleet, capsys):
    """A pull request can write files in the checkout: a cached result there would be trusted."""
    assert main(["plan", str(fleet), "--cache", str(fleet / ".linking-cache")]) == 2
    assert "inside the project" in capsys.readouterr().err


def test_two_stacks_linking_one_account_with_one_id_are_an_error(tmp_path, capsys):
    write_project(tmp_path, "platform")
    link = {"id": "acme-prod", "provider": "aws", "tier": "readonly", "owner": "platform@acme.example",
            "controlPlane": {"aws": {"principalArn": "arn:aws:iam::111122223333:role/control-plane"}},
            "aws": {"accountId": "123456789012"}}
    for name in ("prod", "prod-copy"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text(json.dumps({"config": {"linking:link": link}}))
    (tmp_path / "Pulumi.other.yaml").write_text(json.dumps({"config": {"linking:link": {**link, "aws": {"accountId": "210987654321"}}}}))
    assert main(["plan", str(tmp_path), "--jobs", "1", "--format", "summary"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Pulumi.prod.yaml" in errors[0] and "Pulumi.prod-copy.yaml" in errors[0] and "link:acme-prod" in errors[0]


@pytest.mark.parametrize("jobs", [1, 2, 3, 4, 8])
def test_workers_get_few_clouds_each_and_every_stack_once(jobs):
    clouds = ["aws", "azure", "gcp", "kubernetes"] * 50 + [""] * 3
    shares = _worker_shares(clouds, jobs)
    assert len(shares) == jobs
    assert sorted(i for share in shares for i in share) == list(range(len(clouds)))
    per_worker = [{clouds[i] for i in share} for share in shares]
    if jobs >= 5:  # a worker for every cloud (the unknown one included): each plans one cloud only
        assert all(len(c) == 1 for c in per_worker)
        assert sum(1 for c in per_worker if c == {"aws"}) >= sum(1 for c in per_worker if c == {"kubernetes"})
    else:  # fewer: equal estimated work, up to a stack at each end of a run
        work = [sum(_cost(clouds[i]) for i in share) for share in shares]
        assert max(work) - min(work) <= 2 * max(map(_cost, clouds))
        assert sum(len(c) for c in per_worker) <= jobs + 5 - 1


@pytest.fixture
def many_cpus(monkeypatch):
    """Workers as on an 8-CPU machine, whatever this one has."""
    monkeypatch.setattr(batch, "_usable_cpus", lambda: 8)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_workers_plan_the_same_bytes_as_one_process(start_method, fleet, tmp_path, capsys, monkeypatch, many_cpus):
    if start_method == "fork" and sys.platform != "linux":
        pytest.skip("workers fork on Linux only")
    monkeypatch.setattr(batch, "_start_method", lambda: start_method)
    alone, shared = tmp_path / "alone.json", tmp_path / "shared.json"
    plan([fleet], alone)
    assert main(["plan", str(fleet), "--json", str(shared), "--jobs", "3"]) == 0
    capsys.readouterr()
    assert shared.read_bytes() == alone.read_bytes()


@pytest.mark.skipif(sys.platform != "linux", reason="workers fork on Linux only")
def test_fresh_workers_replace_old_ones_and_plan_the_same_bytes(fleet, tmp_path, capsys, monkeypatch, many_cpus):
    forks = []
    start = batch._Workers.start

    def counted_start(self, worker):
        forks.append(threading.active_count())
        start(self, worker)

    planned_per_worker = tmp_path / "planned-per-worker"
    serve = batch._serve

    def counted_serve(*args):  # in each worker: how many stacks it planned, written when it stops
        planned, plan_settling = [], batch.plan_settling
        batch.plan_settling = lambda *a: planned.append(1) or plan_settling(*a)
        serve(*args)
        with planned_per_worker.open("a") as log:
            log.write(f"{len(planned)}\n")

    monkeypatch.setattr(batch._Workers, "start", counted_start)
    monkeypatch.setattr(batch, "_serve", counted_serve)
    monkeypatch.setattr(batch, "RECYCLE", 2)
    alone, shared = tmp_path / "alone.json", tmp_path / "shared.json"
    plan([fleet], alone)
    threads_before = threading.active_count()  # what earlier tests in this process left running
    assert main(["plan", str(fleet), "--json", str(shared), "--jobs", "2"]) == 0
    capsys.readouterr()
    assert shared.read_bytes() == alone.read_bytes()
    assert len(forks) >= len(stack_files([fleet])) // 2 - 4  # a fresh worker every two stacks
    assert set(forks) == {threads_before}  # planning starts no thread that a fork would cut
    planned = [int(line) for line in planned_per_worker.read_text().split()]
    assert len(planned) == len(forks) and set(planned) <= {1, 2}  # none plans more than two, none is forked idle


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_worker_that_has_planned_its_share_takes_over_the_end_of_another(start_method, fleet, tmp_path, capsys, monkeypatch, many_cpus):
    """Shares cut badly on purpose (two AWS stacks against all the rest): the second worker takes the first's last
    stacks, forked any cloud this process had loaded, spawned only its own cloud's (it would load another)."""
    if start_method == "fork" and sys.platform != "linux":
        pytest.skip("workers fork on Linux only")
    monkeypatch.setattr(batch, "_start_method", lambda: start_method)

    def lopsided(clouds, jobs):
        short = [index for index, cloud in enumerate(clouds) if cloud == "aws"][:2]
        return [[index for index in range(len(clouds)) if index not in short], short]

    monkeypatch.setattr(batch, "_worker_shares", lopsided)
    taken: list[tuple[int, int]] = []
    take = batch._Workers._next

    def recorded(self, worker):
        index = take(self, worker)
        if index is not None:
            taken.append((worker, index))
        return index

    monkeypatch.setattr(batch._Workers, "_next", recorded)
    alone, shared = tmp_path / "alone.json", tmp_path / "shared.json"
    plan([fleet], alone)
    assert main(["plan", str(fleet), "--json", str(shared), "--jobs", "2"]) == 0
    capsys.readouterr()
    assert shared.read_bytes() == alone.read_bytes()
    clouds = [batch._cloud_of(path) for path in stack_files([fleet])]
    second = [clouds[index] for worker, index in taken if worker == 1]
    assert len(second) > 2  # more than its own share
    if start_method == "fork":
        assert set(second) > {"aws"}
    else:
        assert set(second) == {"aws"}


@pytest.mark.skipif(sys.platform != "linux", reason="workers fork on Linux only")
def test_a_worker_that_dies_fails_its_stack_and_no_other(fleet, tmp_path, capsys, monkeypatch, many_cpus):
    files = stack_files([fleet])
    victim = [path for path in files if '"aws"' in path.read_text()][-1]
    planner, plan_settling = os.getpid(), batch.plan_settling

    def dies_on_the_victim(path, *args):
        if path == victim and os.getpid() != planner:
            os._exit(3)
        return plan_settling(path, *args)

    monkeypatch.setattr(batch, "plan_settling", dies_on_the_victim)
    alone, shared = tmp_path / "alone.json", tmp_path / "shared.json"
    plan([fleet], alone)
    assert main(["plan", str(fleet), "--json", str(shared), "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: {victim}: linking could not plan this stack (its worker stopped: exit code 3)"
    stacks = {entry["file"]: entry for entry in json.loads(shared.read_text())["stacks"]}
    expected = {entry["file"]: entry for entry in json.loads(alone.read_text())["stacks"]}
    failed = next(file for file in stacks if victim.as_posix().endswith(file))
    assert "its worker stopped" in stacks.pop(failed)["error"]
    expected.pop(failed)
    assert stacks == expected


@pytest.mark.parametrize(("jobs", "cpus", "memory", "workers"), [
    (8, 2, None, 2),     # no more than the CPUs: planning is CPU-bound
    (8, 64, None, 8),
    (64, 64, 500, 11),   # (500 - 130) // 32: what fits beside the planner
    (64, 64, 2000, 58),
    (4, 4, 100, 1),      # no room for a worker: the planner plans alone
])
def test_workers_fit_the_cpus_and_the_memory(jobs, cpus, memory, workers, monkeypatch):
    monkeypatch.setattr(batch, "_usable_cpus", lambda: cpus)
    monkeypatch.setattr(batch, "_start_method", lambda: "fork")
    assert batch.worker_count(jobs, memory) == workers


def test_a_spawned_worker_is_budgeted_as_loading_its_own_clouds(monkeypatch):
    monkeypatch.setattr(batch, "_usable_cpus", lambda: 64)
    monkeypatch.setattr(batch, "_start_method", lambda: "spawn")
    assert batch.worker_count(64, 500) == (500 - 130) // 90


@pytest.mark.parametrize("bad", ["0", "-1", "x"])
def test_a_bad_worker_count_or_budget_is_a_usage_error(bad, fleet):
    for option in ("--jobs", "--memory"):
        with pytest.raises(SystemExit) as raised:
            main(["plan", str(fleet), option, bad])
        assert raised.value.code == 2


def test_the_cache_key_holds_the_day_and_the_program(tmp_path, monkeypatch):
    """A link expires with no file changing, and a program change changes what runs: both are new keys."""
    from datetime import datetime as real_datetime

    from linking.plan import cache as plan_cache

    write_project(tmp_path, "platform")
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text((REPO / "stacks" / "Pulumi.aws-example.yaml").read_text())
    today = plan_cache.cache_key(stack, "text")

    class Tomorrow(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.now(tz) + __import__("datetime").timedelta(days=1)

    monkeypatch.setattr(plan_cache, "datetime", Tomorrow)
    assert plan_cache.cache_key(stack, "text") != today
    monkeypatch.undo()
    assert plan_cache.cache_key(stack, "text") == today
    (tmp_path / "__main__.py").write_text((tmp_path / "__main__.py").read_text() + "\nprint('changed')\n")
    plan_cache._project_code.cache_clear()
    assert plan_cache.cache_key(stack, "text") != today
