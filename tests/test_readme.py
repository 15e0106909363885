"""The README's results table must equal what the committed figures/results.json says."""

import pytest

from digitgan import utils
from digitgan.tools import report


def test_readme_table_matches_committed_results():
    if not report.COMMITTED_RESULTS.is_file():
        pytest.fail(f"{report.COMMITTED_RESULTS} is missing: run `make reproduce` and commit its results")
    expected = report.results_table(utils.load_results(report.COMMITTED_RESULTS))
    assert report.readme_table() == expected, "README results are stale: run `python -m digitgan.tools.report`"


def test_table_rounds_as_shown():
    results = {"cnn": {"train_accuracy": 0.96594, "test_accuracy": 0.96366}}
    assert "| 0.9659 / 0.9637 |" in report.results_table(results)


def test_readme_speed_table_matches_committed_benchmarks():
    expected = report.speed_table()
    assert "| DCGAN |" in expected and "| SSGAN |" in expected
    assert report.readme_speed_table() == expected, "README speed table is stale: run `python -m digitgan.tools.report`"


def test_readme_label_study_findings_match_committed_results():
    expected = report.label_study_findings(utils.load_results(report.COMMITTED_RESULTS))
    assert report.readme_label_study_findings() == expected, (
        "README findings are stale: python -m digitgan.tools.report"
    )


def test_readme_precision_table_matches_the_committed_study():
    expected = report.precision_table()
    assert report.readme_precision_table() == expected, (
        "README precision table is stale: python -m digitgan.tools.report"
    )


def test_precision_table_shows_each_run_and_the_spread(tmp_path):
    import json

    runs = {
        f"{p}/seed{s}/epochs50": {"policy": p, "seed": s, "classifier_score": v + (s - 2) / 10,
                                  "frechet_distance": 100.0, "seconds_per_epoch": 20.0}
        for p, v in (("float32", 4.8), ("mixed_bfloat16", 4.3)) for s in (1, 2, 3)
    }  # fmt: skip

    def entry(v):
        spread = {"frechet_distance": {"mean": 100.0, "std": 1.0}, "seconds_per_epoch": {"mean": 20.0, "std": 0.5}}
        return {"n": 3, "classifier_score": {"mean": v, "std": 0.1}, **spread}

    summary = {"float32": entry(4.8), "mixed_bfloat16": entry(4.3)}
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"runs": runs, "summary": {**summary, "bf16_no_worse": False}}))
    table = report.precision_table(path)
    assert table.count("| mixed_bfloat16 |") == 3 and "**4.80** ± 0.10" in table
    assert "bf16 minus float32: -0.5000 (95% CI" in table and "Welch t-test p = 0.0" in table  # scipy: p = 0.0039


def test_readme_future_work_block_matches_committed_results():
    expected = report.future_work_findings(utils.load_results(report.COMMITTED_RESULTS))
    assert report.readme_future_work_findings() == expected, (
        "README future work is stale: python -m digitgan.tools.report"
    )


def _seeds(*values):
    import numpy as np

    return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "runs": len(values),
            "by_seed": {str(42 + i): v for i, v in enumerate(values)}, "val_mean": float(np.mean(values))}  # fmt: skip


def test_future_work_block_shows_every_seed_count_and_what_is_not_run():
    stage = {"classifier_score": 8.5, "frechet_distance": 40.0, "class_fractions": [0.1] * 10, "mode_collapse": False}
    longer = {
        "stages": {e: {**stage, "trial3": {"10000": _seeds(0.93, 0.94, 0.95)}} for e in ("25", "200")},
        "cnn": {"10000": _seeds(0.95, 0.96, 0.97)},
        "epoch_losses": {"g_loss": [1.0, 0.9, 0.8, 0.8], "d_loss": [1.2, 1.3, 1.3, 1.3]},
    }
    text = report.future_work_findings({"future_work": {"longer_gan": longer}})
    assert "| 0.9400 ± 0.0100 (n = 3) / 0.9400 ± 0.0100 (n = 3) |" in text  # trial 3 after 25 / 200 epochs
    assert "| 0.9600 ± 0.0100 (n = 3) |" in text  # the CNN
    assert "**Generated digits (11, question 3).** Not run at full size yet." in text
    assert report.future_work_findings({}) == "(not run yet: `make future`)"


def test_future_work_table_names_each_question_on_its_first_row_only():
    stage = {
        "classifier_score": 8.5,
        "frechet_distance": 40.0,
        "trial3": {n: _seeds(0.9, 0.91, 0.92) for n in ("1000", "10000")},
    }
    longer = {"stages": {"25": stage}, "cnn": {n: _seeds(0.95, 0.96, 0.97) for n in ("1000", "10000")}}
    rows = report.future_work_table({"longer_gan": longer}).splitlines()[2:]
    questions = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert [q[:2] for q in questions] == ["1:", "", "", "", "4:"]  # 10k trial 3, CNN, 1k trial 3, CNN, losses
