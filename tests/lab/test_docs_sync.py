"""Generated docs match the code: `make sync` would change nothing."""

import pytest

from faultline.docs import stale_docs


def test_generated_docs_are_up_to_date():
    assert stale_docs(slow=False) == [], "run `make sync` and commit the regenerated docs"


@pytest.mark.drill
def test_every_generated_block_is_up_to_date_the_slow_ones_too():
    assert stale_docs() == [], "run `make sync` and commit the regenerated docs"


def test_generated_docs_list_every_invariant_and_failure_mode():
    from faultline.catalog import catalog
    from faultline.docs import failure_mode_index_doc, invariants_doc
    from invariants import all_invariants

    text = invariants_doc() + failure_mode_index_doc()
    for inv in all_invariants():
        assert f"`{inv.id}`" in text
    for mode in catalog():
        assert f"make test-fm{mode.number}`" in text


def test_history_doc_lists_every_event_kind_and_detail_key():
    from pathlib import Path

    from runtime.core.history import FINAL_STATE_KEYS, SCHEMA

    doc = (Path(__file__).resolve().parents[2] / "docs" / "02_history.md").read_text()
    rows = {line.split(" | ")[0].strip("| `"): line for line in doc.splitlines() if line.startswith("| `")}
    for kind, spec in SCHEMA.items():
        assert kind in rows, f"docs/02_history.md does not document {kind}"
        missing = [key for key in spec.detail if f"`{key}`" not in rows[kind]]
        assert missing == [], f"docs/02_history.md: {kind} lacks detail keys {missing}"
    assert all(f"`{key}`" in doc for key in FINAL_STATE_KEYS)
