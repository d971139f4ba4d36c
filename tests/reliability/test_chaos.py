"""The short chaos run inside ``make test``: a few DAG runs with every fault on must all succeed."""

from __future__ import annotations

import pytest

from tests.reliability.chaos import render, run_chaos, write_docs

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_a_few_runs_under_every_fault(tmp_path) -> None:
    report = run_chaos(runs=3, workers=1, root=tmp_path)
    text = render(report)
    assert report.succeeded == 3, text
    assert report.orders_created == 3, text  # commit-then-drop and retries ordered nothing twice
    assert report.files_verified == report.files_expected == 6, text
    assert report.leaked == [], text
    assert sum(report.faults_injected.values()) > 0


def test_the_figures_replace_only_their_own_section(tmp_path) -> None:
    page = tmp_path / "reliability.md"
    page.write_text(
        "# Reliability\n\nIntro.\n\n## Measured reliability\n\nold figures\n\n## Limits\n\nKept.\n"
    )
    write_docs("new figures\n", page)
    assert page.read_text() == (
        "# Reliability\n\nIntro.\n\n## Measured reliability\n\nnew figures\n\n## Limits\n\nKept.\n"
    )
    write_docs("newer\n", page)
    assert "newer" in page.read_text()
    assert "new figures" not in page.read_text()
    assert page.read_text().endswith("## Limits\n\nKept.\n")
