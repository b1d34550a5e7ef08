"""`make images`: render the drill reports to PNG with headless Chromium (Debian's `chromium`), and
check their layout at 800 and 1400 px (no sideways scroll, labels inside the timeline and apart).

Writes docs/images/<name>.png (1220 px wide) and <name>_800.png for the drills; the README and
docs/drills/ show them. Exits 1 when a layout check fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from faultline.catalog import find
from faultline.present.metrics import registry_for, snapshot
from faultline.present.report import LANE, TOP_VIOLATIONS, html_report
from faultline.present.trace import tracks
from invariants import check_all

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
DRILLS = {  # image name -> (FM, fixed?)
    "fm002_worker_crash": ("FM_002", False),
    "fm002_worker_crash_fixed": ("FM_002", True),
    "fm004_duplicate_submission": ("FM_004", False),
    "fm003_database_outage": ("FM_003", False),
}
LAYOUT_WIDTHS = (800, 1400)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


def report_html(fm: str, fixed: bool) -> str:
    mode = find(fm)
    result = mode.run(fixed=fixed)
    replay = f"faultline run {mode.id} --seed 0" + (" --fix" if fixed else "")
    return html_report(
        result,
        check_all(result),
        title=f"{mode.id} {mode.title}",
        policy_label="fixed" if fixed else "naive",
        replay=replay,
        metrics=snapshot(registry_for(result)),
    )


def render(name: str, fm: str, fixed: bool, browser: str, workdir: Path, width: int = 1220) -> Path:
    mode = find(fm)
    result = mode.run(fixed=fixed)
    violations = check_all(result)
    label = "fixed" if fixed else "naive"
    replay = f"faultline run {mode.id} --seed 0" + (" --fix" if fixed else "")
    page = workdir / f"{name}.html"
    page.write_text(
        html_report(
            result,
            violations,
            title=f"{mode.id} {mode.title}",
            policy_label=label,
            replay=replay,
            metrics=snapshot(registry_for(result)),
        ),
        encoding="utf-8",
    )
    lanes = len(tracks(result)) - 1
    height = 300 + 34 * min(len(violations), TOP_VIOLATIONS) + LANE * lanes + 40
    if width != 1220:  # a narrow window: the timeline scales down, the page grows taller
        height = int(height * 1.6)
    target = IMAGES / (f"{name}.png" if width == 1220 else f"{name}_{width}.png")
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={workdir / 'profile'}",
            f"--window-size={width},{height}",
            f"--screenshot={target}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


def main() -> int:
    browser = find_chromium()
    if browser is None:
        print(
            "make images needs Chromium: install Debian's package (apt-get install chromium), then rerun",
            file=sys.stderr,
        )
        return 2
    from faultline.present.layout import measure, problems

    IMAGES.mkdir(parents=True, exist_ok=True)
    found = []
    with tempfile.TemporaryDirectory() as temp:
        for name, (fm, fixed) in DRILLS.items():
            for width in (1220, 800):
                print(f"wrote {render(name, fm, fixed, browser, Path(temp), width).relative_to(IMAGES.parent.parent)}")
            for width in LAYOUT_WIDTHS:
                found += [
                    f"{name}: {problem}" for problem in problems(measure(report_html(fm, fixed), width, browser), width)
                ]
    for problem in found:
        print(f"layout: {problem}", file=sys.stderr)
    print(f"layout checked at {' and '.join(map(str, LAYOUT_WIDTHS))} px: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
