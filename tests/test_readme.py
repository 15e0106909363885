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


def test_readme_label_study_findings_match_committed_results():
    expected = report.label_study_findings(utils.load_results(report.COMMITTED_RESULTS))
    assert report.readme_label_study_findings() == expected, "README findings are stale: python -m digitgan.report"


def test_readme_precision_table_matches_the_committed_study():
    expected = report.precision_table()
    assert report.readme_precision_table() == expected, "README precision table is stale: python -m digitgan.report"


def test_precision_table_shows_each_run_and_the_spread(tmp_path):
    import json

    runs = {
        f"{p}/seed{s}/epochs50": {"policy": p, "seed": s, "classifier_score": v, "frechet_distance": 100.0,
                                  "seconds_per_epoch": 20.0}
        for p, v in (("float32", 4.8), ("mixed_bfloat16", 4.3)) for s in (1, 2, 3)
    }  # fmt: skip

    def entry(v):
        spread = {"frechet_distance": {"mean": 100.0, "std": 1.0}, "seconds_per_epoch": {"mean": 20.0, "std": 0.5}}
        return {"n": 3, "classifier_score": {"mean": v, "std": 0.1}, **spread}

    summary = {"float32": entry(4.8), "mixed_bfloat16": entry(4.3)}
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"runs": runs, "summary": {**summary, "bf16_no_worse": False}}))
    table = report.precision_table(path)
    assert table.count("| mixed_bfloat16 |") == 3 and "**4.80** ± 0.10" in table and "scores worse" in table
