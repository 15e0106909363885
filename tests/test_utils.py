import json

import numpy as np
import pytest

from digitgan import fileio, models, training, utils


def test_save_results_updates_only_its_key(tmp_path):
    path = tmp_path / "results.json"
    fileio.save_results("cnn", {"test_accuracy": np.float32(0.5), "history": np.arange(3)}, path)
    fileio.save_results("dcgan", {"epochs": 2}, path)
    fileio.save_results("cnn", {"test_accuracy": 0.75}, path)
    assert json.loads(path.read_text()) == {"cnn": {"test_accuracy": 0.75}, "dcgan": {"epochs": 2}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".results.json.lock", "results.json"]  # no temp files


def test_broken_results_file_is_named(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"results.json \(a results file\) is not valid JSON"):
        fileio.load_results(path)


def test_save_weights_is_atomic(tmp_path):
    model = models.build_cnn()
    path = fileio.save_weights(model, tmp_path / "cnn.weights.h5")
    assert [p.name for p in tmp_path.iterdir()] == ["cnn.weights.h5"]
    other = models.build_cnn()
    other.load_weights(path)
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


def _train_once(small_data):
    utils.set_seed(42)
    model = models.build_cnn()
    data = {k: v[:128] for k, v in small_data.items()}  # shuffled batches, dropout and initial weights all seeded
    history, _ = training.train_classifier(model, data, epochs=1, batch_size=32, verbose=0)
    y_pred, _ = training.predict_labels(model, small_data["x_test"][:200])
    return history["accuracy"][-1], y_pred, model.get_weights()


def test_same_seed_same_result(small_data):
    acc_a, pred_a, w_a = _train_once(small_data)
    acc_b, pred_b, w_b = _train_once(small_data)
    assert acc_a == acc_b
    np.testing.assert_array_equal(pred_a, pred_b)
    for a, b in zip(w_a, w_b, strict=True):
        np.testing.assert_array_equal(a, b)


def test_summarize_reports_test_accuracy():
    history = {"accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    m = training.summarize(history, np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4]), 100, 1.234)
    assert m["train_accuracy"] == 0.8 and m["test_accuracy"] == 0.75 and m["epochs"] == 2 and m["seconds"] == 1.2


def test_accuracy_counts_the_argmax_of_the_outputs():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Identity()])  # outputs its input: label = argmax
    x = np.array([[0.9, 0.1, 0.0], [0.1, 0.2, 0.7], [0.3, 0.6, 0.1], [0.5, 0.4, 0.1]], "float32")
    assert training.accuracy(model, x, np.array([0, 2, 1, 1])) == 0.75
    assert training.accuracy(model, x, np.array([0, 2, 1, 0]), batch_size=3) == 1.0


def test_results_sections_keep_their_other_entries(tmp_path):

    path = tmp_path / "results.json"
    fileio.save_results("cnn", {"test_accuracy": 0.9}, path)
    fileio.save_results("longer_gan", {"a": 1}, path, section="future_work")
    fileio.save_results("protocols", {"b": 2}, path, section="future_work")
    fileio.save_results("longer_gan", {"a": 3}, path, section="future_work")
    assert fileio.load_results(path) == {"cnn": {"test_accuracy": 0.9},
                                        "future_work": {"longer_gan": {"a": 3}, "protocols": {"b": 2}}}  # fmt: skip
    fileio.save_results("seeds", [42, 43], path)
    with pytest.raises(fileio.DataFileError, match="'seeds' is not a section"):
        fileio.save_results("x", {}, path, section="seeds")
    assert fileio.load_results(path)["seeds"] == [42, 43]


def test_one_run_against_the_spread_counts_its_own_spread():
    from scipy import stats

    values = [0.0, 1.0, 2.0]  # mean 1, std 1
    edge = 1.0 + stats.t.ppf(0.975, 2) * np.sqrt(1 + 1 / 3)  # a new run exactly at the 95% prediction bound
    at_edge, beyond = utils.against_spread(edge, values), utils.against_spread(edge + 0.01, values)
    assert at_edge["p"] == pytest.approx(0.05) and at_edge["ci95"][0] == pytest.approx(0.0, abs=1e-12)
    assert beyond["claimed"] and beyond["n"] == [1, 3] and beyond["difference"] == pytest.approx(edge + 0.01 - 1.0)
    one_sample = utils.difference(edge, values)  # treats the run as a fixed number: a far smaller p
    assert one_sample["p"] < at_edge["p"] / 3
    assert utils.against_spread(1.0, [1.0, 1.0, 1.0])["p"] is None  # no spread: no test
