"""Check a report's layout in headless Chromium (Debian's `chromium`), at a given window width:

- the page never scrolls sideways;
- every text label of the timeline stays inside the SVG, and no two labels overlap.

The report is loaded into a frame of the wrapper page, whose script measures the laid-out boxes and
writes them into the DOM; `chromium --dump-dom` prints it. Used by `make images` and the tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0"><iframe id="f" src="report.html" style="border:0;width:{width}px;height:900px"></iframe>
<pre id="out"></pre>
<script>
document.getElementById('f').onload = function () {{
  const doc = this.contentDocument;
  const svg = doc.querySelector('svg.timeline');
  const frame = svg.getBoundingClientRect();
  const boxes = [...svg.querySelectorAll('text')].map(t => {{
    const r = t.getBoundingClientRect();
    return {{text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom}};
  }});
  const outside = boxes.filter(b => b.left < frame.left - 0.5 || b.right > frame.right + 0.5 ||
                                    b.top < frame.top - 0.5 || b.bottom > frame.bottom + 0.5).map(b => b.text);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {{
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
      overlaps.push([a.text, b.text]);
  }}
  document.getElementById('out').textContent = JSON.stringify({{
    scroll_width: doc.documentElement.scrollWidth, client_width: doc.documentElement.clientWidth,
    svg_width: frame.width, labels: boxes.length, outside: outside, overlaps: overlaps}});
}};
</script></body></html>
"""
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")


def measure(report_html: str, width: int, browser: str) -> dict:
    """The layout facts of `report_html` in a window `width` px wide."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "report.html").write_text(report_html, encoding="utf-8")
        (folder / "wrapper.html").write_text(WRAPPER.format(width=width), encoding="utf-8")
        done = subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={folder / 'profile'}",
                "--allow-file-access-from-files",
                "--virtual-time-budget=5000",
                f"--window-size={width + 20},1000",
                "--dump-dom",
                (folder / "wrapper.html").as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.DOTALL)
    if found is None or not found.group(1).strip():
        raise RuntimeError(f"chromium measured nothing: {done.stderr.strip()[-500:]}")
    return json.loads(found.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def problems(facts: dict, width: int) -> list[str]:
    """What is wrong with a layout, in words (empty: nothing)."""
    found = []
    if facts["scroll_width"] > facts["client_width"]:
        found.append(f"at {width} px the page scrolls sideways ({facts['scroll_width']} > {facts['client_width']})")
    found += [f"at {width} px the label {text!r} leaves the timeline" for text in facts["outside"]]
    found += [f"at {width} px the labels {a!r} and {b!r} overlap" for a, b in facts["overlaps"]]
    return found
