"""Maintainer script: show a review comment as GitHub would, as a PNG (for the README; CI never runs it).

    pip install markdown-it-py            # GitHub-flavoured markdown (tables) to HTML
    apt-get install wkhtmltopdf           # brings wkhtmltoimage, a headless WebKit renderer
    python scripts/render_review.py review.md docs/review-example.png --height 1500

The HTML uses GitHub's own markdown styling rules for tables, code and headings, closely enough to judge
whether a comment reads well; the renderer is a real browser engine, so escaping mistakes show as they would.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.5;
       color: #1f2328; max-width: 1000px; margin: 24px; }
h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
h3 { margin-top: 24px; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; vertical-align: top; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%;
       font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
details { margin: 8px 0; }
"""


def render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>{body}</body></html>"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("markdown", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--height", type=int, help="crop to this many pixels from the top")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "review.html"
        html.write_text(render(args.markdown.read_text(encoding="utf-8")), encoding="utf-8")
        crop = ["--height", str(args.height)] if args.height else []
        subprocess.run(["wkhtmltoimage", "--quiet", "--width", "1100", "--quality", "40", *crop, str(html), str(args.png)], check=True)
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
