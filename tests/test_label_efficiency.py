import numpy as np
import pytest

from digitgan import config, data, label_efficiency


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


def test_study_runs_each_case_once_and_reuses_the_cache(tmp_path, monkeypatch):
    calls = []

    def fake(method):
        def run(d, seed, **kwargs):
            calls.append((method, len(d["y_train"]), seed, kwargs))
            return {"test_accuracy": 0.5 + 0.01 * seed + len(d["y_train"]) / 1e5, "seconds": 1.0}

        return run

    monkeypatch.setattr(label_efficiency, "RUNNERS", {m: fake(m) for m in label_efficiency.METHODS})
    monkeypatch.setattr(
        data,
        "load_label_efficiency_data",
        lambda n, seed, source=None: {"y_train": np.zeros(n), "x_unlabelled": np.zeros((5, 1))},
    )
    cache = tmp_path / "runs.json"
    args = dict(label_counts=(100, 10_000), seeds=(1, 2, 3), ssgan_epochs={"100": 7}, cache_path=cache)
    runs = label_efficiency.run_study(**args)
    # 3 seeds at 100 labels, one at 10k (the fixed study subset), for each of 4 methods
    assert len(runs) == len(calls) == 16
    assert ("ssgan", 100, 2, {"epochs": 7, "root": None}) in calls
    assert ("ssgan", 10_000, 1, {"epochs": config.SSGAN_EPOCHS, "root": None}) in calls
    again = label_efficiency.run_study(**args)
    assert len(calls) == 16 and again["test_accuracy"].tolist() == runs["test_accuracy"].tolist()

    table = label_efficiency.summary_table(runs)
    row = table[(table["method"] == "cnn") & (table["n_labels"] == 100)].iloc[0]
    assert row["mean"] == pytest.approx(0.521) and row["std"] == pytest.approx(0.01) and row["runs"] == 3
    summary = label_efficiency.to_results(runs, table)["summary"]
    assert summary["ssgan"]["10000"] == {"mean": pytest.approx(0.61), "std": 0.0, "runs": 1, "n_updates": 22 * 600}


def test_cache_lives_in_the_checkpoint_folder():
    assert config.LABEL_EFFICIENCY_CACHE.parent == config.CHECKPOINT_DIR


def test_every_run_records_its_training_budget():
    from digitgan.label_efficiency import n_updates, settings

    assert n_updates("cnn", 100, settings("cnn", 100)) == 15  # one batch of 100 per epoch, 15 epochs
    assert n_updates("cnn", 1000, settings("cnn", 1000)) == 150
    assert n_updates("trial3", 50, settings("trial3", 50)) == 15  # fewer images than a batch: one batch
    assert n_updates("ssgan", 100, settings("ssgan", 100, 22)) == 22 * 600  # batches of the 60k unlabelled images
    assert n_updates("pca_knn", 100, settings("pca_knn", 100)) is None
