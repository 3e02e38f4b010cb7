"""``linking`` command line: ``linking plan STACK_FILE...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from .errors import LinkConfigError


def _plan(args: argparse.Namespace) -> int:
    from .plan import format_text, plan_stack_file  # loads pulumi only for commands that need it

    failed = 0
    for path in args.stack_files:
        try:
            plan = plan_stack_file(path)
        except LinkConfigError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        sys.stdout.write(format_text(plan, path))
    return 1 if failed else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="linking", description="Link cloud accounts to a control plane as reviewed Pulumi code."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan",
        help="show what a stack would create, offline (no credentials, no Pulumi CLI)",
        description="Run each stack's program under Pulumi's mock runtime and print the resources "
        "and every trust and permission document they would carry.",
    )
    plan.add_argument("stack_files", nargs="+", type=Path, metavar="STACK_FILE", help="stacks/Pulumi.<stack>.yaml")
    plan.set_defaults(func=_plan)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
