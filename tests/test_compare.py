import numpy as np
import pytest

from digitgan import compare, config, utils


def test_pca_knn_selection_and_timing(small_data):
    small = compare.small_split(small_data, n_train=300, n_test=200)
    assert small["x_test"].shape == (200, 28, 28, 1)
    choice = compare.select_pca_knn(small["x_train"], small["y_train"], components=(10, 20), ks=(1, 3), folds=2)
    assert choice["n_components"] in (10, 20) and choice["k"] in (1, 3)
    result = compare.fit_predict_timed(choice["n_components"], choice["k"], **small)
    assert result["accuracy"] > 0.6  # 300 images already separate digits far better than chance
    assert set(result) >= {"accuracy", "fit_seconds", "predict_seconds"}
    assert np.isclose(result["accuracy"] * len(small["y_test"]), round(result["accuracy"] * len(small["y_test"])))


def test_the_seed_runs_are_read_by_model_and_seed_and_a_seed_stored_twice_is_named(tmp_path, monkeypatch):
    import json

    def record(model, seed, accuracy):
        return {"inputs": {"model": model, "seed": seed}, "result": {"test_accuracy": accuracy}}

    runs = [record("trial1", 44, 0.93), record("cnn", 43, 0.99), record("trial1", 42, 0.94), record("trial2", 42, 0.9)]
    monkeypatch.setattr(config, "STUDY_SEEDS_STORE", store := tmp_path / "runs.json")
    store.write_text(json.dumps({str(i): r for i, r in enumerate(runs)}))
    assert compare.seed_accuracies() == {"trial1": {"42": 0.94, "44": 0.93}}  # one run of the CNN or trial 2: none
    store.write_text(json.dumps({str(i): r for i, r in enumerate([*runs, record("trial1", 42, 0.95)])}))
    with pytest.raises(ValueError, match=r"runs\.json: two stored runs of trial1 at seed 42"):
        compare.seed_accuracies()


def test_a_difference_is_tested_with_scipy_and_claimed_only_below_0_05():
    from scipy import stats

    a, b = [0.9857, 0.9847, 0.9865], [0.9894, 0.9902, 0.9882]
    d = utils.difference(a, b)
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert d["test"] == "Welch t-test" and np.isclose(d["p"], welch.pvalue) and d["n"] == [3, 3]
    assert np.isclose(d["difference"], np.mean(a) - np.mean(b)) and d["ci95"][0] < d["difference"] < d["ci95"][1]
    assert d["claimed"] and d["ci95"][1] < 0 and "not distinguishable" not in utils.describe_difference(d)
    close = utils.difference([0.9894, 0.9908, 0.9880], [0.9894, 0.9902, 0.9882])
    assert not close["claimed"] and close["ci95"][0] < 0 < close["ci95"][1]
    assert utils.describe_difference(close).endswith("not distinguishable with 3 seeds")
    paired = utils.difference([1.0, 2.0, 3.1], [0.9, 1.9, 3.0], paired=True)
    assert paired["test"] == "paired t-test"
    assert np.isclose(paired["p"], stats.ttest_rel([1, 2, 3.1], [0.9, 1.9, 3]).pvalue)
    flat = utils.difference([0.5, 0.5], [0.5, 0.5])
    assert flat["p"] is None and not flat["claimed"]
    import pytest

    with pytest.raises(ValueError, match="at least 2 values"):
        utils.difference([0.9], [0.8, 0.7])


def test_a_single_run_is_tested_against_the_other_sides_seeds():
    d = utils.difference(0.95, [0.93, 0.935, 0.94])  # scipy: t = -5.196, p = 0.0351 for mean 0.935 vs 0.95
    assert d["difference"] == pytest.approx(0.015) and d["p"] == pytest.approx(0.0350987, rel=1e-5)
    assert d["ci95"] == pytest.approx([0.0026, 0.0274], abs=1e-4) and d["claimed"] and d["n"] == [1, 3]
    flipped = utils.difference([0.93, 0.935, 0.94], 0.95)
    assert flipped["difference"] == pytest.approx(-0.015) and flipped["ci95"] == pytest.approx(
        [-0.0274, -0.0026], abs=1e-4
    )
    assert "not distinguishable with 3 seeds" in utils.describe_difference(utils.difference(0.935, [0.93, 0.94, 0.935]))


def test_a_scratch_run_reads_each_classifier_from_its_scratch_run_or_the_study(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "runs")
    made = tmp_path / "runs" / "01_cnn_baseline" / "abc"  # a scratch run of 01 with this run's data
    (made / "checkpoints").mkdir(parents=True)
    (made / "checkpoints" / config.weights_file("cnn")).write_bytes(b"weights")
    (made / "results.json").write_text(json.dumps({"cnn": {"test_accuracy": 0.5}}))
    own = tmp_path / "runs" / "06_comparison" / "def" / "checkpoints"  # this run's: none made

    class Run:
        params = {"SUBSET_SIZE": 500, "SEED": 1}
        scratch_cnn, scratch_trials = True, False

        def study_results(self):
            return {key: {"test_accuracy": 0.9} for key in compare.NOTEBOOK_OF}

        def input(self, name, depends_on=()):
            assert depends_on == ("SUBSET_SIZE", "SEED")
            if name == config.weights_file("cnn"):
                return made / "checkpoints" / name if self.scratch_cnn else own / name
            return own / name if self.scratch_trials else config.CHECKPOINT_DIR / name

    results = compare.classifier_results(Run())
    assert results["cnn"] == {"test_accuracy": 0.5} and results["trial3"] == {"test_accuracy": 0.9}
    run = Run()
    run.scratch_cnn, run.scratch_trials = False, True  # nothing trained on this data: the notebooks to run, named
    with pytest.raises(FileNotFoundError, match=r"notebooks/01_cnn_baseline\.ipynb.*SUBSET_SIZE=500, SEED=1"):
        compare.classifier_results(run)
    assert not (tmp_path / "runs" / "06_comparison").exists()  # nothing written
