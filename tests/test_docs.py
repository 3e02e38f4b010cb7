"""The documentation a reader lands on: a README that fits on a page with the two commands on the first screen,
every link of it and of ``docs/`` resolving (file and heading), the generated reference pages as the generator
writes them, and the README's stack example planning as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from linking.cli import main

from .conftest import REPO
from .generators import generator

PAGES = [REPO / "README.md", REPO / "ARCHITECTURE.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation but '-' and '_' dropped, spaces as '-'."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in re.findall(r"^#+ (.+)$", text, re.M)}


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [target for target in LINK.findall(text) if not target.startswith(("https://", "http://", "mailto:"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_link_resolves_to_a_file_and_heading(page):
    broken = []
    for target in _links(page):
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved)):
            broken.append(target)
    assert broken == []


def test_the_link_check_finds_a_broken_heading(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\n[x](b.md#nowhere) [y](b.md#real-heading)\n")
    (tmp_path / "b.md").write_text("## Real heading\n")
    links = _links(tmp_path / "a.md")
    assert links == ["b.md#nowhere", "b.md#real-heading"]
    assert [t for t in links if t.partition("#")[2] not in _anchors(tmp_path / "b.md")] == ["b.md#nowhere"]


def test_the_readme_fits_on_a_page_with_the_two_commands_on_the_first_screen():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300
    first_screen = "\n".join(lines[:30])
    assert "linking plan stacks/Pulumi.aws-example.yaml" in first_screen and ".venv/bin/pytest" in first_screen


@pytest.mark.parametrize("page", ["configuration.md", "rules.md"])
def test_the_reference_pages_are_what_the_generator_writes_from_the_data(page):
    reference = generator("reference_docs")
    assert (REPO / "docs" / page).read_text(encoding="utf-8") == reference.PAGES[page]()


def test_the_configuration_reference_names_every_key_of_the_schema():
    from linking.validation import load_schema

    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")

    def keys(node: dict, prefix: str) -> list[str]:
        found = []
        for name, sub in node.get("properties", {}).items():
            found.append(prefix + name)
            found += keys(sub, f"{prefix}{name}.")
            found += keys(sub.get("items", {}), f"{prefix}{name}[].")
        return found

    every = keys(load_schema("link-config.schema.json"), "")
    assert len(every) > 60 and all(f"| `{key}` |" in text for key in every)


def test_the_readmes_stack_example_plans_as_written(tmp_path, capsys):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```yaml\n(config:\n.*?)```", text, re.S)
    project = tmp_path / "project"
    shutil.copytree(REPO / "stacks", project / "stacks", ignore=shutil.ignore_patterns("Pulumi.*.yaml"))
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "stacks" / "Pulumi.readme.yaml").write_text(block)
    assert main(["plan", "--quiet", str(project / "stacks" / "Pulumi.readme.yaml")]) == 0
    assert "aws:iam/role:Role" in capsys.readouterr().out


def test_the_readmes_sample_output_is_what_the_command_prints(capsys, monkeypatch):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```\n\$ (linking plan [^\n]+)\n(.*?)```", text, re.S)
    command, shown = block
    monkeypatch.chdir(REPO)
    assert main(command.split()[1:]) == 0
    assert capsys.readouterr().out == shown
