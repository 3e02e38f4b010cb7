"""Maintainer script: the example review comment, written and drawn as GitHub shows it (CI never runs it).

    pip install -e '.[all,test]'          # linking, and cmarkgfm (GitHub's own markdown parser)
    apt-get install chromium              # a headless browser to draw it
    python scripts/render_review.py       # writes docs/review-example.md and docs/review-example.png

The comment is the review of the ten-change fleet of the tests (``tests/review/fleet.py``), planned offline
and diffed as the judge workflow would; cmarkgfm renders it to HTML with GitHub's extensions (tables, autolinks,
strikethrough), styled closely enough to GitHub's to judge whether it reads well, and Chromium draws it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STYLE = """
body { font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; font-size: 14px;
       line-height: 1.5; color: #1f2328; max-width: 1012px; margin: 24px; }
h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
h3 { margin-top: 24px; }
table { border-collapse: collapse; margin: 12px 0; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; vertical-align: top; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%;
       font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
details { margin: 8px 0; }
"""


def comment() -> str:
    """The fleet's base and head planned, and the review of the head as the judge posts it."""
    sys.path.insert(0, str(REPO))
    from linking.cli import main as linking
    from tests.review import fleet

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        base, head = fleet.stacks()
        for name, configs in (("base", base), ("head", head)):
            linking(["plan", "--quiet", str(fleet.write(root / name, configs)), "--json", str(root / f"{name}.json")])
        from linking.review.diff import diff_plans, load_plan
        from linking.review.report import format_markdown

        return format_markdown(diff_plans(load_plan(root / "base.json"), load_plan(root / "head.json")))


def html(markdown: str) -> str:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>{body}</body></html>"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", type=Path, default=REPO / "docs" / "review-example.md")
    parser.add_argument("--png", type=Path, default=REPO / "docs" / "review-example.png")
    parser.add_argument("--height", type=int, default=1400, help="the window's height in pixels: what the picture shows")
    args = parser.parse_args()
    text = comment()
    args.markdown.write_text(text, encoding="utf-8")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("no Chromium: wrote the markdown only", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "review.html"
        page.write_text(html(text), encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--window-size=1100,{args.height}", f"--screenshot={args.png.resolve()}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
    print(f"wrote {args.markdown} and {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
