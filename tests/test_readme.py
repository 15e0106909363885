"""The README's results table must equal what the committed figures/results.json says."""

import pytest

from digitgan import report, utils


def test_readme_table_matches_committed_results():
    if not report.COMMITTED_RESULTS.is_file():
        pytest.fail(f"{report.COMMITTED_RESULTS} is missing: run `make reproduce` and commit its results")
    expected = report.results_table(utils.load_results(report.COMMITTED_RESULTS))
    assert report.readme_table() == expected, "README results are stale: run `python -m digitgan.report`"


def test_table_rounds_as_shown():
    results = {"cnn": {"train_accuracy": 0.96594, "test_accuracy": 0.96366}}
    assert "| 0.9659 / 0.9637 |" in report.results_table(results)


def test_readme_speed_table_matches_committed_benchmarks():
    expected = report.speed_table()
    assert "| DCGAN |" in expected and "| SSGAN |" in expected
    assert report.readme_speed_table() == expected, "README speed table is stale: run `python -m digitgan.report`"
