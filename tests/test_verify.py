"""make verify: a committed weights file altered in a copy (a valid file with other values) fails, naming the model,
both when the manifest's digest is left as it was and when it is replaced together with the file."""

import json
import shutil

import numpy as np
import pytest

from digitgan import config, fileio, models, transfer
from digitgan.tools import verify


def _copy(tmp_path, alter: bool, update_digest: bool):
    entry = next(e for e in verify._read_manifest(verify.MANIFEST)["models"] if e["name"] == "trial1")
    weights = entry["files"][0]["path"]
    (tmp_path / weights).parent.mkdir(parents=True)
    (tmp_path / "figures").mkdir()
    shutil.copy(config.COMMITTED_RESULTS_PATH, tmp_path / "figures" / "results.json")
    if alter:
        model = transfer.discriminator_to_classifier(models.build_discriminator(), head="dense10", freeze=False)
        fileio.load_weights(model, config.PROJ_ROOT / weights, "")
        kernel, bias = model.layers[-1].get_weights()
        model.layers[-1].set_weights([kernel + np.random.default_rng(0).normal(0, 0.05, kernel.shape), bias])
        model.save_weights(tmp_path / weights)
    else:
        shutil.copy(config.PROJ_ROOT / weights, tmp_path / weights)
    if update_digest:
        entry["files"][0]["sha256"] = verify.sha256(tmp_path / weights)
    manifest = tmp_path / verify.MANIFEST.relative_to(config.PROJ_ROOT)
    manifest.write_text(json.dumps({"format": 1, "models": [entry]}))
    return weights


@pytest.mark.parametrize("update_digest", [False, True], ids=["digest kept", "digest replaced too"])
def test_altered_trial1_weights_fail_naming_trial_1(tmp_path, mnist_dir, update_digest):
    weights = _copy(tmp_path, alter=True, update_digest=update_digest)
    rows, problems = verify.verify(["trial1"], root=tmp_path)
    assert [r.what for r in rows] == ["Trial 1 (dense10)"]
    assert not rows[0].ok and abs(rows[0].difference) > verify.TOLERANCE["accuracy"]
    assert ("FAIL" in verify.table(rows)) and "Trial 1" in verify.table(rows)
    if update_digest:
        assert problems == []  # the digest matches the new file: only the recomputed number catches it
    else:
        assert problems == [f"Trial 1 (dense10): {weights} is not the file the manifest names (SHA-256 differs)"]


def test_the_committed_trial1_weights_reproduce_their_number(tmp_path, mnist_dir):
    _copy(tmp_path, alter=False, update_digest=False)
    rows, problems = verify.verify(["trial1"], root=tmp_path)
    recorded = json.loads(config.COMMITTED_RESULTS_PATH.read_text())["trial1"]["test_accuracy"]
    assert problems == [] and rows[0].ok and rows[0].recomputed == rows[0].recorded == recorded


def test_an_unknown_name_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="trial1"):
        verify.verify(["trial9"])


def test_recorded_reads_a_label_study_run():
    runs = [{"method": m, "n_labels": 100, "seed": 43, "test_accuracy": a} for m, a in (("cnn", 0.5), ("ssgan", 0.9))]
    results = {"label_efficiency": {"runs": runs}}
    assert verify.recorded(results, "label_efficiency.runs[method=ssgan,n_labels=100,seed=43].test_accuracy") == 0.9


def test_recorded_reduces_a_list_for_the_digit_shares():
    results = {"dcgan": {"class_fractions": [0.1, 0.057, 0.156]}}
    assert verify.recorded(results, "dcgan.class_fractions|min") == 0.057
    assert verify.recorded(results, "dcgan.class_fractions|max") == 0.156


def test_means_are_taken_over_the_seeds_of_one_row_only():
    rows = [verify._Row(f"A, seed {seed}", value, value + 0.001, 0.0003) for seed, value in ((42, 0.9), (43, 0.8))]
    rows.append(verify._Row("B, seed 42", 0.5, 0.5, 0.0003))  # one seed: no mean
    (mean,) = verify._mean_rows(rows)
    assert (mean.what, round(mean.recorded, 4), round(mean.recomputed, 4)) == ("A, mean of 2 seeds", 0.85, 0.851)
    assert not mean.ok


def test_a_retrained_model_whose_accuracy_differs_fails_by_name(monkeypatch):
    from digitgan.extensions import study_seeds

    seen = []

    def retrain(name, seed, data):
        seen.append((name, seed))
        return None, {"train_accuracy": 0.95, "test_accuracy": 0.96}

    monkeypatch.setattr(study_seeds, "train", retrain)
    monkeypatch.setattr("digitgan.data.load_study_data", lambda *args: {})
    results = {m: {"train_accuracy": 0.95, "test_accuracy": 0.96} for m in study_seeds.MODELS}
    results["trial2"]["train_accuracy"] = 0.94
    rows = verify._retrained_rows(results)
    assert seen == [(m, config.SEED) for m in study_seeds.MODELS] and len(rows) == 2 * len(study_seeds.MODELS)
    assert [r.what for r in rows if not r.ok] == [f"{config.name('trial2')}, retrained now, train accuracy"]
