"""The HTML report's layout, measured in headless Chromium at 800 and 1400 px: no sideways scroll,
every timeline label inside the picture and apart from the others. The metrics block summarises
histograms; the legend explains every mark."""

import os

import pytest

from faultline.catalog import find
from faultline.present.images import find_chromium
from faultline.present.layout import measure, problems
from faultline.present.metrics import registry_for, snapshot
from faultline.present.report import MARKS, compact_metrics, html_report, legend_html
from invariants import check_all


def report(fm_id: str) -> str:
    result = find(fm_id).run()
    metrics = snapshot(registry_for(result))
    return html_report(result, check_all(result), title=fm_id, policy_label="naive", replay="x", metrics=metrics)


@pytest.fixture(scope="module")
def chromium():
    browser = find_chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the report layout checks (apt-get install chromium)")
        pytest.skip("no chromium (apt-get install chromium); CI runs these checks")
    return browser


@pytest.mark.parametrize("fm_id", ["FM_004", "FM_009"])  # short labels near the edges; 1,200 events
@pytest.mark.parametrize("width", [800, 1400])
def test_the_report_fits_the_window_and_its_labels_neither_leave_nor_overlap(fm_id, width, chromium):
    facts = measure(report(fm_id), width, chromium)
    assert facts["labels"] > 5
    assert problems(facts, width) == []


def test_the_metrics_block_summarises_histograms():
    rows = compact_metrics(snapshot(registry_for(find("FM_002").run())))
    names = [name for name, _, _ in rows]
    assert not any(name.endswith(("_bucket", "_count", "_sum")) or "_bucket{" in name for name in names)
    shown = dict((name, text) for name, _, text in rows)
    assert shown["faultline_execution_duration_seconds"].startswith("3 observed, mean ")


def test_the_legend_explains_every_mark():
    legend = legend_html()
    for kind in MARKS:
        assert kind.replace("_", " ") in legend
    for what in ("an attempt", "a lease", "a pause", "a store outage", "evidence of a violation"):
        assert what in legend
