import numpy as np
import pytest

from digitgan import data
from digitgan.extensions import constants, label_efficiency, label_tables, matched_cnn, ssgan


def test_label_subsets_are_balanced_seeded_and_the_study_subset_at_10k(mnist):
    (_, y_all), _ = mnist
    for n in (100, 1000):
        a, b = data.label_subset_indices(y_all, n, 42), data.label_subset_indices(y_all, n, 43)
        assert len(np.unique(a)) == n and np.bincount(y_all[a]).tolist() == [n // 10] * 10
        np.testing.assert_array_equal(a, data.label_subset_indices(y_all, n, 42))  # same images every time
        assert len(np.intersect1d(a, b)) < n // 2  # another seed, other images
    np.testing.assert_array_equal(data.label_subset_indices(y_all, 10_000, 43), np.sort(data.subset_indices()))
    with pytest.raises(ValueError, match="multiple of 10"):
        data.label_subset_indices(y_all, 105)


def test_label_efficiency_data_holds_only_the_subsets_labels(mnist_dir, mnist):
    (x_all, y_all), _ = mnist
    d = data.load_label_efficiency_data(100, 44, source=mnist_dir)
    idx = data.label_subset_indices(y_all, 100, 44)
    np.testing.assert_array_equal(d["label_indices"], idx)
    assert len(d["y_train"]) == len(d["x_train"]) == 100
    np.testing.assert_array_equal(d["y_train"], y_all[idx])
    np.testing.assert_array_equal(d["x_train"][..., 0], data.scale_images(x_all[idx])[..., 0])
    assert d["x_unlabelled"].shape == (60_000, 28, 28, 1) and not any(k.startswith("y_unl") for k in d)


def _fake_runners(calls):
    def fake(method):
        def run(d, seed, run_settings, test=True, **kwargs):
            calls.append((method, len(d["y_train"]), seed, run_settings.get("learning_rate"), test))
            lr_bonus = 0.1 if run_settings.get("learning_rate") == 0.001 else 0.0
            out = {"val_accuracy": 0.5 + 0.01 * seed + lr_bonus, "seconds": 1.0}
            if test:
                out["test_accuracy"] = 0.5 + 0.01 * seed + len(d["y_train"]) / 1e5
            return out

        return run

    return {m: fake(m) for m in label_tables.METHODS}


def _fake_data(n, seed, source=None, n_val=0):
    return {"y_train": np.zeros(n), "x_unlabelled": np.zeros((5, 1))}


def test_study_runs_every_case_once_with_three_seeds_and_reuses_the_cache(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(label_efficiency, "RUNNERS", _fake_runners(calls))
    monkeypatch.setattr(data, "load_label_efficiency_data", _fake_data)
    cache = tmp_path / "runs.json"
    args = dict(label_counts=(100, 10_000), seeds=(1, 2, 3), ssgan_epochs=7, cache_path=cache)
    runs = label_efficiency.run_study(**args)
    # the learning rate is chosen first, at (100 labels, seed 1), without reading the test set ...
    assert calls[:2] == [("ssgan", 100, 1, 0.003, False), ("ssgan", 100, 1, 0.001, False)]
    # ... then every seed at every label count, 10k included, with the study's budget (not the choice's shorter one)
    assert len(runs) == 2 * 3 * 4 and ("ssgan", 100, 1, 0.001, True) in calls
    assert len(calls) == 2 + 2 * 3 * 4 and not any(c[3] == 0.003 and c[4] for c in calls)
    assert set(runs[runs["method"] == "ssgan"]["n_updates"]) == {7 * 600}  # 7 epochs of 600 batches (no early stop)
    assert set(runs.loc[runs["method"] == "cnn", "n_updates"]) == {constants.CLASSIFIER_UPDATES}
    again = label_efficiency.run_study(**args)
    assert len(calls) == 26 and again["test_accuracy"].tolist() == runs["test_accuracy"].tolist()

    table = label_tables.summary_table(runs)
    row = table[(table["method"] == "cnn") & (table["n_labels"] == 10_000)].iloc[0]
    assert row["mean"] == pytest.approx(0.62) and row["std"] == pytest.approx(0.01) and row["runs"] == 3
    results = label_tables.to_results(runs, table)
    assert results["summary"]["cnn"]["10000"]["runs"] == 3
    for record in results["runs"]:
        assert {"method", "n_labels", "seed", "test_accuracy", "val_accuracy", "n_updates"} <= set(record)
        assert (record["n_updates"] is None) == (record["method"] == "pca_knn")


def test_every_method_has_one_budget_at_every_label_count():
    from digitgan.extensions.label_efficiency import n_updates, settings

    for method in ("cnn", "trial3"):
        assert {n_updates(method, n, settings(method, n)) for n in (100, 1000, 10_000)} == {1500}
    assert settings("trial3", 100)["frozen_rounds"] == 7  # 7 of 15 epochs frozen: 7 of 15 rounds
    assert {n_updates("ssgan", n, settings("ssgan", n)) for n in (100, 10_000)} == {constants.SSGAN_EPOCHS * 600}
    assert n_updates("pca_knn", 100, settings("pca_knn", 100)) is None
    assert settings("ssgan", 100, learning_rate=0.003) != settings("ssgan", 100, learning_rate=0.001)
    assert n_updates("cnn", 100, settings("cnn", 100, classifier_updates=200)) == 200
    assert settings("trial3", 100, classifier_updates=200)["frozen_rounds"] == 1  # 7/15 of 2 rounds
    with pytest.raises(ValueError, match="classifier_updates=150 must be a multiple"):
        settings("cnn", 100, classifier_updates=150)


def test_ssgan_patience_is_a_setting_and_none_trains_the_whole_budget():
    from digitgan.extensions.label_efficiency import run_inputs, settings
    from digitgan.store import key

    def run_key(*args):
        return key(run_inputs(*args))

    default = settings("ssgan", 100)
    assert default["patience"] == ssgan.PATIENCE and settings("ssgan", 100, ssgan_patience=3)["patience"] == 3
    whole = settings("ssgan", 100, 90, ssgan_patience=None)
    assert whole["patience"] is None and whole["epochs"] == 90 and whole["decay_start"] == 54
    assert run_key("ssgan", 100, 42, whole) != run_key("ssgan", 100, 42, settings("ssgan", 100, 90, ssgan_patience=10))
    with pytest.raises(ValueError, match="ssgan_patience"):
        settings("ssgan", 100, ssgan_patience=0)


def test_a_bad_classifier_budget_stops_the_study_before_anything_trains(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(label_efficiency, "RUNNERS", _fake_runners(calls))
    monkeypatch.setattr(data, "load_label_efficiency_data", _fake_data)
    with pytest.raises(ValueError, match="classifier_updates"):
        label_efficiency.run_study((100,), (1,), cache_path=tmp_path / "runs.json", classifier_updates=50)
    assert calls == [] and not (tmp_path / "runs.json").exists()


def test_best_validation_round_is_kept_and_budget_counted_in_updates(mnist_dir):
    """A CNN on 20 labels, 3 rounds of 5 updates (steps of 10 images: the labelled set repeated, reshuffled):
    15 updates whatever the number of images, and the kept weights are those of the best validation round."""
    import keras

    from digitgan import training
    from digitgan.models import build_cnn

    d = data.load_label_efficiency_data(20, 42, source=mnist_dir, n_val=100)
    model = training.compile_classifier(build_cnn())
    best = training.BestWeights()
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    history = training.fit_classifier(
        model, d, 3, 10, verbose=0, callbacks=[best, record], validate="val", steps_per_epoch=5
    )
    assert int(model.optimizer.iterations.numpy()) == 15 and len(history["val_accuracy"]) == 3
    assert best.best == max(history["val_accuracy"]) and best.epoch == int(np.argmax(history["val_accuracy"])) + 1
    best.restore(model)
    for a, b in zip(model.get_weights(), seen[best.epoch - 1], strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="x_val"):
        training.fit_classifier(model, {k: v for k, v in d.items() if k != "x_val"}, 1, verbose=0, validate="val")


def test_pca_knn_is_chosen_on_the_validation_split(mnist_dir):
    from sklearn.metrics import accuracy_score

    from digitgan import compare

    d = data.load_label_efficiency_data(100, 42, source=mnist_dir, n_val=200)
    choice = compare.select_pca_knn(d["x_train"], d["y_train"], (5, 20), (1, 7), x_val=d["x_val"], y_val=d["y_val"])
    scores = {}
    for c in (5, 20):
        for k in (1, 7):
            model = compare.pca_knn(c, k).fit(compare.flat(d["x_train"]), d["y_train"])
            scores[c, k] = accuracy_score(d["y_val"], model.predict(compare.flat(d["x_val"])))
    assert choice["val_accuracy"] == pytest.approx(max(scores.values()))
    assert scores[choice["n_components"], choice["k"]] == max(scores.values())


def test_validation_splits_are_balanced_and_disjoint_from_the_labels(mnist_dir):
    table = label_tables.describe_splits([100, 10_000], [42, 43], 1000, source=mnist_dir)
    assert len(table) == 4 and set(table["overlap"]) == {0}
    assert set(table["validation per digit"]) == {"100-100"} and set(table["per digit"][:2]) == {"10-10"}


def test_the_learning_rate_is_chosen_with_the_sweeps_budget_and_the_study_trains_its_own(tmp_path, monkeypatch):
    seen = []

    def fake_ssgan(d, seed, run_settings, test=True, **kwargs):
        seen.append((run_settings["patience"], run_settings["epochs"], test))
        return {"val_accuracy": 0.9, "seconds": 1.0, **({"test_accuracy": 0.9} if test else {})}

    monkeypatch.setattr(label_efficiency, "RUNNERS", {**label_efficiency.RUNNERS, "ssgan": fake_ssgan})
    monkeypatch.setattr(data, "load_label_efficiency_data", _fake_data)
    label_efficiency.run_study((100,), (1, 2), ("ssgan",), ssgan_epochs=9, cache_path=tmp_path / "runs.json")
    # the learning rates are compared with the choice's shorter runs and their early stop, the same for both ...
    sweep = (constants.SSGAN_SWEEP_PATIENCE, constants.SSGAN_SWEEP_EPOCHS, False)
    assert seen[:2] == [sweep, sweep]
    # ... and every run of the study trains the study's whole budget
    assert seen[2:] == [(None, 9, True)] * 2


def test_the_matched_cnn_trains_its_whole_budget_unless_stopped_early(tmp_path, monkeypatch, mnist_dir):
    """Without patience every update is trained (the method is the matched CNN); with it, the run is the
    stopped-early arm, stored under its own key beside the first."""
    trained = []

    def fake(data, seed, s, weights_path=None):
        trained.append(s["patience"])
        stop = s["updates"] if s["patience"] is None else s["check_every"] * (s["patience"] + 1)
        return {
            "val_accuracy": 0.5,
            "kept_update": s["check_every"],
            "updates_trained": stop,
            "seconds": 1.0,
            "test_accuracy": 0.6,
        }

    monkeypatch.setattr(matched_cnn, "run_matched_cnn", fake)
    where = dict(
        store_path=tmp_path / "runs.json", weights_dir=tmp_path / "w", source=mnist_dir, updates=60, check_every=10
    )
    full = matched_cnn.run_matched((100,), (42,), **where)
    early = matched_cnn.run_matched((100,), (42,), patience=2, **where)
    assert full["method"].tolist() == [label_tables.MATCHED] and full["updates_trained"].tolist() == [60]
    assert early["method"].tolist() == [label_tables.MATCHED_EARLY] and early["updates_trained"].tolist() == [30]
    matched_cnn.run_matched((100,), (42,), **where)
    assert trained == [None, 2]  # the full arm's run was stored, not trained again


def test_transfer_against_scratch_names_the_budget_of_those_two():
    import pandas as pd

    rows = [
        {"method": m, "n_labels": 100, "seed": s, "test_accuracy": a + s / 1000, "n_updates": u}
        for m, a, u in (("cnn", 0.8, 1500), ("trial3", 0.7, 1500), ("ssgan", 0.98, 54_000))
        for s in (42, 43, 44)
    ]
    [(n, d)] = label_tables.transfer_vs_scratch(pd.DataFrame(rows)).items()
    assert n == "100" and d["n_updates"] == 1500 and d["difference"] == pytest.approx(-0.1)
