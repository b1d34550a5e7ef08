"""The matrix's Markdown: every cell in a fixed order; a partial re-run keeps the other cells' rows."""

from faultline.probe.adapters import ADAPTERS
from faultline.probe.matrix import command, earlier_rows, markdown

ADAPTER_LIST = list(ADAPTERS.values())


def row(adapter="rq", drill="worker-crash", configuration="default", **facts):
    return {
        "adapter": adapter,
        "library": adapter,
        "drill": drill,
        "configuration": configuration,
        "settings": {},
        "report": "",
        "command": command(adapter, drill, configuration),
        "verdict": "violated" if facts.get("violated") else "holds",
        "violated": facts.get("violated", []),
        "lost": 0,
        "doubled": facts.get("doubled", 0),
        "stuck": 0,
        "recovered_ms": 1200,
        "quiet_ms": 3000,
    }


def test_a_partial_run_replaces_its_cells_and_keeps_the_others():
    first = markdown(
        [row(), row(drill="broker-cut", violated=["INV_001"], doubled=1)],
        seconds=10,
        load="quiet",
        adapters=ADAPTER_LIST,
    )
    earlier = earlier_rows(first, ADAPTERS)
    assert set(earlier) == {("rq", "worker-crash", "default"), ("rq", "broker-cut", "default")}
    second = markdown([row(drill="broker-cut")], seconds=5, load="quiet", adapters=ADAPTER_LIST, earlier=earlier)
    rows = earlier_rows(second, ADAPTERS)
    assert rows[("rq", "worker-crash", "default")] == earlier[("rq", "worker-crash", "default")]
    assert "| holds |" in rows[("rq", "broker-cut", "default")]
    assert "re-measured the broker-cut cells" in second
    lines = second.splitlines()
    assert lines.index(rows[("rq", "worker-crash", "default")]) < lines.index(rows[("rq", "broker-cut", "default")])
