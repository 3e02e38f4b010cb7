"""Stack files and policy files written by an attacker in a pull request, planned in CI next to CI's secrets.

Each class of input is tried several ways, through every entry point that reads it (the program under
mocks, `linking plan` in each format, `linking check`, `linking diff`): nothing outside the project is
read, no secret or file content reaches an output or an error, a bad stack fails alone, and the values
that only look right are refused.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from linking.cli import main
from linking.config import AwsControlPlane, AwsSettings, ControlPlane, LinkSpec
from linking.errors import LinkConfigError
from linking.files import MAX_YAML_NODES, parse_yaml
from linking.kubernetes.component import AMBIENT_SERVER_PLACEHOLDER
from linking.planned import Ambient
from linking.plan.stackfile import load_stack_file, run_stack_file

from .conftest import REPO
from .builders import write_project

MARKER = "ZQXJ-planted-secret-7731"
"""Planted in secrets and in files outside the project; it must appear in no output and no error."""

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Pulumi project inside tmp_path, with a file beside it (outside the project) holding the marker."""
    root = tmp_path / "project"
    root.mkdir()
    write_project(root, "platform")
    (tmp_path / "outside.json").write_text(json.dumps({**POLICY, "Id": MARKER}))
    return root


def write_stack(root: Path, name: str, link: Any, **config: Any) -> Path:
    path = root / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": {"linking:link": link, **config}}))
    return path


def custom_link(link: dict[str, Any], policy_file: str) -> dict[str, Any]:
    return {**link, "tier": "custom", "policyFile": policy_file}


def assert_clean(text: str) -> None:
    assert MARKER not in text
    assert "Traceback" not in text


# --- files outside the project -------------------------------------------------------------------------

ESCAPES = {
    "parent": "../outside.json",
    "through a folder": "policies/../../outside.json",
    "absolute": "{tmp}/outside.json",
    "symlink out": "link.json",
    "symlinked folder": "shared/outside.json",
    "name too long": "a" * 5000 + ".json",
    "NUL byte": "policy\x00.json",
    "a folder": "policies",
}


@pytest.mark.parametrize("case", ESCAPES)
def test_a_policy_file_outside_the_project_is_refused_and_not_read(case, project, link, plan):
    (project / "policies").mkdir()
    (project / "link.json").symlink_to(project.parent / "outside.json")
    (project / "shared").symlink_to(project.parent)
    value = ESCAPES[case].format(tmp=project.parent)
    plan.project_root = project
    error = plan.expect_error(custom_link(link, value), "linking:link.policyFile", "project root")
    assert_clean(str(error))


@pytest.mark.parametrize("case", ["parent", "absolute", "symlink out"])
def test_a_workload_policy_file_outside_the_project_is_refused(case, project, plan):
    (project / "link.json").symlink_to(project.parent / "outside.json")
    workload = {
        "name": "worker", "namespace": "shop", "cloud": "aws", "owner": "shop@acme.example",
        "aws": {"oidcIssuer": "https://oidc.example", "policyFile": ESCAPES[case].format(tmp=project.parent)},
    }
    plan.project_root = project
    error = plan.expect_error(None, "linking:serviceAccounts[0].aws.policyFile", "project root", service_accounts=[workload])
    assert_clean(str(error))


@pytest.mark.parametrize("command", ["plan", "check"])
def test_every_command_refuses_the_escape(command, project, link, capsys):
    stack = write_stack(project, "escape", custom_link(link, "../outside.json"))
    assert main([command, str(stack)]) in (1, 2)
    captured = capsys.readouterr()
    assert "linking:link.policyFile" in captured.err
    assert_clean(captured.out + captured.err)


def test_a_program_author_may_name_a_policy_file_anywhere(project):
    """Containment is for stack files a pull request writes; a spec built in code holds its author's own paths."""
    outside = project.parent / "outside.json"
    spec = LinkSpec(
        id="acme-prod", provider="aws", tier="custom", owner="platform@acme.example", policy_file=str(outside),
        control_plane=ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::111122223333:role/control-plane")),
        aws=AwsSettings(account_id="123456789012"),
    )
    assert spec.checked().policy_file == str(outside.resolve())


# --- secrets and file content never shown ----------------------------------------------------------------

def _k8s_link(**kubernetes: Any) -> dict[str, Any]:
    return {
        "id": "acme-k8s", "provider": "kubernetes", "tier": "readonly", "owner": "platform@acme.example",
        "kubernetes": kubernetes,
    }


def _kubeconfig(token: str, server: str = "https://k8s.acme.example:6443") -> str:
    return yaml.safe_dump({
        "clusters": [{"name": "prod", "cluster": {"server": server}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": MARKER}}],
        "current-context": "prod",
        "users": [{"name": MARKER, "user": {"token": token}}],
    })


def _with_external_id(link: dict[str, Any], value: Any) -> dict[str, Any]:
    planted = copy.deepcopy(link)
    planted["controlPlane"]["aws"]["externalId"] = value
    return planted


def secret_stacks(root: Path, link: dict[str, Any]) -> None:
    """One stack per place a secret can be: plain or ``secure:`` in each secret key."""
    write_stack(root, "plain-external-id", _with_external_id(link, MARKER))
    write_stack(root, "secure-external-id", _with_external_id({**link, "id": "acme-two"}, {"secure": f"v1:{MARKER}"}))
    write_stack(root, "plain-kubeconfig", _k8s_link(kubeconfig=_kubeconfig(MARKER)))
    write_stack(root, "secure-kubeconfig", {**_k8s_link(kubeconfig={"secure": f"v1:{MARKER}"}, server="https://k8s.acme.example"), "id": "acme-k8s-two"})


def test_a_secret_reaches_no_output_of_plan_or_diff(project, link, capsys, tmp_path):
    secret_stacks(project, link)
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    assert main(["plan", str(project), "--json", str(head)]) == 0, capsys.readouterr().err
    text = capsys.readouterr()
    assert main(["plan", str(project), "--format", "markdown"]) == 0
    markdown = capsys.readouterr()
    (project / "Pulumi.plain-external-id.yaml").unlink()  # the base revision: one link fewer
    assert main(["plan", str(project), "--json", str(base)]) == 0
    capsys.readouterr()
    outputs = [text.out, text.err, markdown.out, markdown.err, head.read_text(), base.read_text()]
    for fmt in ("text", "markdown"):
        assert main(["diff", str(base), str(head), "--format", fmt]) == 0
        diff = capsys.readouterr()
        outputs += [diff.out, diff.err]
    assert "acme-k8s" in text.out and "[secret]" in text.out  # the stacks did plan, with the secrets masked
    for output in outputs:
        assert_clean(output)


def test_a_plain_secret_is_masked_warned_about_and_its_change_still_seen(project, link, capsys, tmp_path):
    stack = write_stack(project, "prod", _with_external_id(link, MARKER))
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    assert main(["plan", "--detail", str(stack), "--json", str(base)]) == 0
    out = capsys.readouterr().out
    assert '"sts:ExternalId": "[secret]"' in out
    assert "linking:link.controlPlane.aws.externalId is written in plain text in the stack file" in out
    write_stack(project, "prod", _with_external_id(link, MARKER + "-rotated"))
    assert main(["plan", str(stack), "--json", str(head)]) == 0
    capsys.readouterr()
    assert main(["diff", str(base), str(head)]) == 0
    diff = capsys.readouterr().out
    assert "secret linking:link.controlPlane.aws.externalId changed" in diff
    assert_clean(diff + base.read_text() + head.read_text())


def test_the_link_record_carries_no_secret(project, link):
    secret_stacks(project, link)
    stacks = sorted(project.glob("Pulumi.*-*.yaml"))
    assert len(stacks) == 4
    for stack in stacks:
        record = run_stack_file(load_stack_file(stack)).outputs["linkRecord"]
        assert MARKER not in json.dumps(record)


def _policy_file(root: Path, name: str, content: str | bytes) -> str:
    (root / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return name


BAD_SECRETS = {
    "external id with a space": lambda root, link: _with_external_id(link, f"{MARKER} x"),
    "external id too long": lambda root, link: _with_external_id(link, MARKER * 100),
    "secure value in a plain key": lambda root, link: {**link, "owner": {"secure": MARKER}},
    "secure value in a tag": lambda root, link: {**link, "tags": {"team": {"secure": MARKER}}},
    "link that is not structured": lambda root, link: MARKER,
    "kubeconfig that is not YAML": lambda root, link: _k8s_link(kubeconfig=f"clusters: [{MARKER}"),
    "kubeconfig with a YAML tag": lambda root, link: _k8s_link(kubeconfig=f"a: !{MARKER} x"),
    "kubeconfig alias bomb": lambda root, link: _k8s_link(kubeconfig=bomb(levels=7, label=MARKER)),
    "kubeconfig whose server has user info": lambda root, link: _k8s_link(
        kubeconfig=_kubeconfig("t", server=f"https://{MARKER}@k8s.acme.example")
    ),
    "kubeconfig whose server is http": lambda root, link: _k8s_link(kubeconfig=_kubeconfig("t", server=f"http://{MARKER}.example")),
    "policy with a bad effect": lambda root, link: custom_link(
        link, _policy_file(root, "p.json", json.dumps({**POLICY, "Statement": [{**POLICY["Statement"][0], "Effect": MARKER}]}))
    ),
    "policy with an unknown key": lambda root, link: custom_link(
        link, _policy_file(root, "p.json", json.dumps({**POLICY, MARKER: 1}))
    ),
    "policy that is not JSON": lambda root, link: custom_link(link, _policy_file(root, "p.json", f'{{"Version": {MARKER}}}')),
    "policy with a key written twice": lambda root, link: custom_link(
        link, _policy_file(root, "p.json", '{"Version": "2012-10-17", "Id": "%s", "Id": "x", "Statement": []}' % MARKER)
    ),
    "policy that is not UTF-8": lambda root, link: custom_link(link, _policy_file(root, "p.json", MARKER.encode() + b"\xff")),
}


@pytest.mark.parametrize("case", BAD_SECRETS)
def test_an_error_shows_no_secret_and_no_file_content(case, project, link, capsys):
    stack = write_stack(project, "bad", BAD_SECRETS[case](project, link))
    plan_json = project.parent / "plan.json"
    assert main(["plan", str(stack), "--json", str(plan_json)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1  # one line
    assert_clean(captured.out + captured.err + plan_json.read_text())
    main(["check", str(stack)])  # check reads the link's document, not its kubeconfig: it may pass
    captured = capsys.readouterr()
    assert_clean(captured.out + captured.err)


def test_a_yaml_error_in_a_stack_file_does_not_quote_it(project, capsys):
    for number, text in enumerate([f"config: !{MARKER} x\n", f"config:\n  a: *{MARKER}\n", f'config:\n  a: "\\{MARKER[0]}"\n']):
        stack = project / f"Pulumi.yaml-error-{number}.yaml"
        stack.write_text(text)
        assert main(["plan", str(stack)]) == 1
        err = capsys.readouterr().err
        assert "valid YAML (error at line" in err
        assert_clean(err)


# --- sizes and shapes that cost time or memory ----------------------------------------------------------

def bomb(levels: int, label: str = "x") -> str:
    """A billion-laughs document: each level nine aliases of the one before (9**levels scalars once expanded)."""
    lines = [f"l0: &l0 [{', '.join([json.dumps(label)] * 9)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_below_the_cap_loads():
    assert len(parse_yaml(bomb(5), "test", "test")["l4"]) == 9  # 9**5 = 59,049 scalars


@pytest.mark.parametrize("levels", [6, 7, 9, 12])
def test_an_alias_bomb_is_refused_before_it_expands(levels):
    with pytest.raises(LinkConfigError) as raised:
        parse_yaml(bomb(levels), "test", "a-key")
    assert raised.value.key_path == "a-key"
    assert f"at most {MAX_YAML_NODES:,} nodes" in raised.value.expected


@pytest.mark.parametrize("text", ["[" * 100 + "]" * 100, "a:\n" + "".join(f"{'  ' * n}- \n" for n in range(1, 100)), "{a: " * 80 + "1" + "}" * 80])
def test_deep_nesting_is_refused(text):
    with pytest.raises(LinkConfigError, match="nested at most"):
        parse_yaml(text, "test", "a-key")


def test_a_deep_json_policy_is_refused_without_a_traceback(project, link, capsys):
    name = _policy_file(project, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert main(["plan", str(write_stack(project, "deep", custom_link(link, name)))]) == 1
    err = capsys.readouterr().err
    assert "linking:link.policyFile" in err and "nested" in err


def test_an_oversized_file_is_refused_unread(project, link, capsys):
    name = _policy_file(project, "big.json", json.dumps({**POLICY, "Id": "x" * 2_000_000}))
    assert main(["plan", str(write_stack(project, "big", custom_link(link, name)))]) == 1
    assert "at most 1,048,576 bytes" in capsys.readouterr().err
    (project / "Pulumi.huge.yaml").write_text("config:\n  x: " + "y" * 300_000 + "\n")
    assert main(["plan", str(project / "Pulumi.huge.yaml")]) == 1
    assert "at most 262,144 bytes" in capsys.readouterr().err


# --- a bad stack fails alone ----------------------------------------------------------------------------

def broken_stacks(root: Path, link: dict[str, Any]) -> list[str]:
    (root / "Pulumi.binary.yaml").write_bytes(b"config:\n  linking:link: \"\xff\xfe\"\n")
    (root / "Pulumi.list.yaml").write_text("- config\n")
    (root / "Pulumi.scalar-config.yaml").write_text("config: 5\n")
    (root / "Pulumi.duplicate.yaml").write_text(
        yaml.safe_dump({"config": {"linking:link": link}}) + "config:\n  linking:link: {}\n"
    )
    (root / "Pulumi.bomb.yaml").write_text("config:\n" + "".join(f"  {line}\n" for line in bomb(7).splitlines()))
    write_stack(root, "link-list", [1, 2])
    return ["binary", "list", "scalar-config", "duplicate", "bomb", "link-list"]


def test_bad_stacks_fail_alone_and_the_others_plan(project, link, capsys, tmp_path):
    broken = broken_stacks(project, link)
    write_stack(project, "good", link)
    write_stack(project, "unquoted-expiry", {**link, "id": "acme-two"})
    (project / "Pulumi.unquoted-expiry.yaml").write_text(
        (project / "Pulumi.unquoted-expiry.yaml").read_text().rstrip("\n") + "\n    expiresAt: 2027-06-30T00:00:00Z\n"
    )
    plan_json = tmp_path / "plan.json"
    assert main(["plan", str(project), "--json", str(plan_json)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert len(captured.err.splitlines()) == len(broken)
    stacks = {s["stack"]: s for s in json.loads(plan_json.read_text())["stacks"]}
    assert {name for name, s in stacks.items() if s["status"] == "failed"} == set(broken)
    assert stacks["unquoted-expiry"]["links"][0]["expiresAt"] == "2027-06-30T00:00:00Z"
    assert "+ linking:aws:AccountLink  acme-prod" in captured.out


def test_a_defect_in_linking_fails_that_stack_without_its_message(project, link, capsys, monkeypatch):
    """An exception we did not foresee: the stack fails with a report-it line, its message (which could quote
    a value) is not shown, and the next stack still plans."""
    import linking.aws.component

    write_stack(project, "a-first", link)
    write_stack(project, "b-second", {**link, "tier": "readonly"})
    calls = []

    def fails_once(*args: Any) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError(MARKER)

    monkeypatch.setattr(linking.aws.component, "check_partitions", fails_once)
    assert main(["plan", str(project)]) == 1
    captured = capsys.readouterr()
    assert "Pulumi.a-first.yaml: linking could not plan this stack (RuntimeError, a defect in linking" in captured.err
    assert_clean(captured.err + captured.out)
    assert "readonly" in captured.out


def test_bad_stacks_fail_alone_in_worker_processes(project, link, capsys, tmp_path):
    broken = broken_stacks(project, link)
    for number in range(16):
        write_stack(project, f"good-{number:02}", {**link, "id": f"acme-{number:02}"})
    plan_json = tmp_path / "plan.json"
    assert main(["plan", str(project), "--json", str(plan_json), "--jobs", "2"]) == 1
    stacks = json.loads(plan_json.read_text())["stacks"]
    assert sorted(s["stack"] for s in stacks if s["status"] == "failed") == sorted(broken)
    assert sum(s["status"] == "planned" for s in stacks) == 16
    assert "Traceback" not in capsys.readouterr().err


# --- values that only look right ------------------------------------------------------------------------

LOOKALIKES = [
    ("id", "acme-prod\n", "linking:link.id"),
    ("controlPlane.aws.principalArn", "arn:aws:iam::111122223333:role/control-plane\n", "linking:link.controlPlane.aws.principalArn"),
    ("aws.accountId", "123456789012\n", "linking:link.aws.accountId"),
    ("owner", "platform@acme.example\n", "linking:link.owner"),
    ("aws.permissionsBoundaryArn", "arn:aws:iam::123456789012:policy/boundary\n", "linking:link.aws.permissionsBoundaryArn"),
    ("tags.Linking:Link-Id", "x", "linking:link.tags.Linking:Link-Id"),
    ("tags.AWS:CreatedBy", "x", "linking:link.tags.AWS:CreatedBy"),
    ("tags.Managed-By", "x", "linking:link.tags.Managed-By"),
    ("controlPlane.aws.principalArn", "arn:aws-cn:iam::111122223333:role/control-plane", "linking:link.controlPlane.aws.principalArn"),
    ("aws.permissionsBoundaryArn", "arn:aws-us-gov:iam::123456789012:policy/boundary", "linking:link.aws.permissionsBoundaryArn"),
]


def _set(config: dict[str, Any], dotted: str, value: Any) -> None:
    """``a.b.c`` -> config[a][b][c]; a tag key is taken whole (it may hold dots or colons)."""
    *parents, last = ["tags", dotted.removeprefix("tags.")] if dotted.startswith("tags.") else dotted.split(".")
    for key in parents:
        config = config.setdefault(key, {})
    config[last] = value


@pytest.mark.parametrize(("key", "value", "key_path"), LOOKALIKES)
def test_a_value_that_only_looks_right_is_refused(key, value, key_path, link, plan):
    _set(link, key, value)
    plan.expect_error(link, key_path, "")


def test_tag_keys_differing_only_in_case_are_refused(link, plan):
    link["tags"] = {"Team": "a", "team": "b"}
    plan.expect_error(link, "linking:link.tags.team", "more than case")


ISSUERS = [
    "https://issuer.example@evil.example",
    "https://issuer.example?aud=x",
    "https://issuer.example#x",
    "http://issuer.example",
    "https://issuer.example:99999",
    "https://ISSUER.example\u200b",
    "https://user:pass@issuer.example",
]


@pytest.mark.parametrize("issuer", ISSUERS)
def test_an_issuer_that_could_hide_another_is_refused(issuer, link, plan):
    link["controlPlane"] = {"oidc": {"issuer": issuer, "subject": "cp:prod", "audience": "sts.amazonaws.com"}}
    error = plan.expect_error(link, "linking:link.controlPlane.oidc.issuer", "")
    assert "pass" not in str(error)


@pytest.mark.parametrize("server", ISSUERS)
def test_a_cluster_server_that_could_hide_another_is_refused(server, plan):
    link = _k8s_link(server=server)
    plan.expect_error(link, "linking:link.kubernetes.server", "")


@pytest.mark.parametrize("issuer", ISSUERS[:4])
def test_a_workload_issuer_that_could_hide_another_is_refused(issuer, plan):
    workload = {"name": "worker", "namespace": "shop", "cloud": "aws", "owner": "shop@acme.example", "aws": {"oidcIssuer": issuer}}
    plan.expect_error(None, "linking:serviceAccounts[0].aws.oidcIssuer", "", service_accounts=[workload])


@pytest.mark.parametrize("member", [
    "principalSet://goog/public:all",
    "principalSet://GOOG/PUBLIC:all",
    "group:allUsers",
    "user:allAuthenticatedUsers",
])
def test_a_public_gcp_member_is_refused(member, plan):
    link = {
        "id": "acme-prod", "provider": "gcp", "tier": "readonly", "owner": "platform@acme.example",
        "controlPlane": {"gcp": {"member": member}}, "gcp": {"project": "acme-prod-1234"},
    }
    plan.expect_error(link, "linking:link.controlPlane.gcp.member", "not everyone")


def test_a_principal_in_another_partition_is_refused(link, plan):
    plan.expect_error(link, "linking:link.controlPlane.aws.principalArn", "arn:aws-cn:", ambient=Ambient(aws_partition="aws-cn"))


# --- waivers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", " ", "\u200b\u200b\u200b", "x", "- -", "\u202e\u2066\u00ad", "a\u200bb", "🙂 🙂", "ok"])
def test_a_waiver_reason_in_invisible_or_too_few_words_is_refused(reason, link, plan):
    link["waivers"] = [{"rule": "AWS002", "grant": "Principal", "reason": reason}]
    plan.expect_error(link, "linking:link.waivers[0].reason", "")


@pytest.mark.parametrize("rule", ["AWS999", "GCP001", "K8S001", "aws002"])
def test_a_waiver_for_a_rule_this_provider_does_not_have_is_refused(rule, link, plan):
    link["waivers"] = [{"rule": rule, "grant": "Principal", "reason": "break glass account"}]
    plan.expect_error(link, "linking:link.waivers[0].rule", "")


def test_a_waiver_with_a_reason_in_words_is_accepted(link, plan):
    link["waivers"] = [{"rule": "AWS002", "grant": "Principal", "reason": "the control plane account root, by contract"}]
    plan(link)


# --- the machine's own files are not read ---------------------------------------------------------------

def test_the_offline_plan_reads_no_ambient_kubeconfig(project, tmp_path, monkeypatch):
    """Without a server or kubeconfig in the stack, `pulumi up` uses the machine's kubeconfig; the offline plan
    runs on a CI runner, whose kubeconfig is not the cluster's and must not reach a pull-request comment."""
    runner_kubeconfig = _kubeconfig("t", server=f"https://{MARKER.lower()}.example")
    (tmp_path / "runner-kubeconfig").write_text(runner_kubeconfig)
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(runner_kubeconfig)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "runner-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run_stack_file(load_stack_file(write_stack(project, "ambient", _k8s_link())))
    kubeconfig = result.outputs["linkSecrets"].value["kubeconfig"]
    assert AMBIENT_SERVER_PLACEHOLDER in kubeconfig and MARKER.lower() not in kubeconfig
    assert any("the offline plan reads no kubeconfig of this machine" in warning for warning in result.warnings)
    assert MARKER.lower() not in json.dumps(result.outputs["linkRecord"])


# --- every leaf of every example stack, set to something hostile ----------------------------------------

HOSTILE_VALUES = [None, [], {}, "", "*", -1, 10**30, True, "A" * 5000, "../../../etc/passwd", "\u202e\u200b", {"secure": MARKER}]


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [path] + [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [path] + [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


@pytest.mark.parametrize("example", sorted(p.name for p in (REPO / "stacks").glob("Pulumi.*.yaml")))
def test_every_key_of_every_example_fails_cleanly_when_hostile(example, tmp_path):
    """Each key of the example stack set to each hostile value: it plans, or fails with one line naming a key,
    never with another exception and never showing a planted secret or more than a short excerpt."""
    write_project(tmp_path, "platform")
    original = yaml.safe_load((REPO / "stacks" / example).read_text())
    surprises = []
    for path in _leaves(original["config"]):
        for value in HOSTILE_VALUES:
            mutated = copy.deepcopy(original)
            target = mutated["config"]
            for key in path[:-1]:
                target = target[key]
            if path:
                target[path[-1]] = value
            stack = tmp_path / example
            stack.write_text(yaml.safe_dump(mutated))
            try:
                run_stack_file(load_stack_file(stack))
            except LinkConfigError as exc:
                message = str(exc)
                if MARKER in message or "\n" in message or len(message) > 600:
                    surprises.append((path, repr(value)[:40], message[:200]))
            except Exception as exc:  # noqa: BLE001 - the assertion lists them all
                surprises.append((path, repr(value)[:40], type(exc).__name__))
    assert surprises == []



# --- a clean exit -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("copies", [1, 16])
def test_the_process_ends_without_noise(copies, project, link):
    """Development mode turns an event loop or socket left to the garbage collector into a printed warning; a
    failing run, in this process and in worker processes, must print its one error line per bad stack and nothing else."""
    import subprocess
    import sys

    (project / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": {"linking:link": {**link, "id": "acme-prod\n"}}}))
    for number in range(copies):
        write_stack(project, f"good-{number:02}", {**link, "id": f"acme-{number:02}"})
    completed = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "ignore::DeprecationWarning", "-m", "linking", "plan", str(project), "--jobs", "2"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert completed.returncode == 1
    noise = [line for line in completed.stderr.splitlines() if not line.startswith(("error: ", "Executing <Task"))]
    assert noise == []
    assert completed.stderr.count("error: ") == 1
