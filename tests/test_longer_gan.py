import shutil

import numpy as np
import pytest

from digitgan import data, fileio, gan, models, quality
from digitgan.extensions import findings, label_efficiency, longer_gan


@pytest.fixture(scope="module")
def x_small(small_data):
    return small_data["x_train"][:200]


@pytest.fixture(scope="module")
def judge(x_small, tmp_path_factory):
    y = np.arange(len(x_small)) % 10
    return quality.train_judge(x_small, y, x_small, y, epochs=1, path=tmp_path_factory.mktemp("judge") / "j.weights.h5",
                               verbose=0)[0]  # fmt: skip


def test_stages_continue_one_run_export_each_discriminator_and_are_reused(x_small, judge, tmp_path, monkeypatch):
    folder, state = tmp_path / "longer", tmp_path / "state"
    scores, losses = longer_gan.train_stages(x_small, (2, 1), folder, state, judge, x_small[:100], n_samples=100)
    assert sorted(scores) == [1, 2] and len(losses["g_loss"]) == len(losses["d_loss"]) == 2  # stage 2 continued 1
    for epochs in (1, 2):
        assert longer_gan.discriminator_path(folder, epochs).is_file()
        assert {"classifier_score", "frechet_distance", "class_fractions"} <= set(scores[epochs])
    a, b = (gan.load_discriminator(longer_gan.discriminator_path(folder, e)).get_weights()[0] for e in (1, 2))
    assert not np.array_equal(a, b)

    def no_training(*args, **kwargs):
        raise AssertionError("a finished stage was trained again")

    monkeypatch.setattr(gan, "train_gan", no_training)
    shutil.rmtree(state)  # the losses are stored with the scores: no training state needed to reuse them
    again, losses_again = longer_gan.train_stages(x_small, (1, 2), folder, state, judge, x_small[:100], n_samples=100)
    assert again == scores and losses_again == losses
    with pytest.raises(ValueError, match="judge"):
        longer_gan.train_stages(x_small, (1,), folder, state, None)


def test_every_stage_and_the_cnn_get_each_seed_and_label_count(tmp_path, monkeypatch):
    folder, other = tmp_path / "longer", tmp_path / "other"
    for where in (folder, other):
        where.mkdir()
        for epochs in (1, 2):  # the runs key each stage by its discriminator file's digest
            longer_gan.discriminator_path(where, epochs).write_bytes(f"discriminator {epochs}".encode())
    trained = []

    def runner(method):
        def run(data, seed, settings, test=True, discriminator_path=None):
            trained.append((method, discriminator_path and discriminator_path.name, len(data["y_train"]), seed))
            return {"test_accuracy": seed / 100, "val_accuracy": 0.5, "seconds": 1.0}

        return run

    monkeypatch.setattr(label_efficiency, "RUNNERS", {m: runner(m) for m in ("cnn", "trial3")})
    images = lambda n, seed, source, n_val: {"y_train": np.full(n, seed), "x_unlabelled": np.zeros(1)}  # noqa: E731
    monkeypatch.setattr(data, "load_label_efficiency_data", images)
    small = dict(n_val=50, classifier_updates=100)
    records = longer_gan.evaluate_stages((1, 2), (42, 43), (20, 30), folder, **small)
    stages = [
        ("cnn", None, None),
        ("trial3", 1, "discriminator_001.weights.h5"),
        ("trial3", 2, "discriminator_002.weights.h5"),
    ]
    cases = [(m, e, f, n, s) for n in (20, 30) for s in (42, 43) for m, e, f in stages]
    assert [(r["model"], r["gan_epochs"], r["n_labels"], r["seed"]) for r in records] == [c[:2] + c[3:] for c in cases]
    assert trained == [(m, f, n, s) for m, _, f, n, s in cases]  # each once, trial 3 on its stage's discriminator
    assert all(r["n_updates"] == 100 and r["test_accuracy"] == r["seed"] / 100 for r in records)

    monkeypatch.setattr(label_efficiency, "RUNNERS", {})  # nothing may train from here on
    assert longer_gan.evaluate_stages((1, 2), (42, 43), (20, 30), folder, **small) == records  # cached
    # another folder with the same discriminator files reuses these runs through also_read (as 09 reuses 08's)
    again = longer_gan.evaluate_stages(
        (1, 2), (42, 43), (20, 30), other, also_read=(folder / longer_gan.STORE_FILE,), **small
    )
    assert again == records


def test_trial3_trains_on_the_discriminator_its_settings_name_and_refuses_another(tmp_path, small_data):
    a, b = tmp_path / "a.weights.h5", tmp_path / "b.weights.h5"
    fileio.save_weights(models.build_discriminator(), a)
    b.write_bytes(b"another")
    s = label_efficiency.settings("trial3", 20, n_val=50, classifier_updates=100, discriminator_path=a)
    d = {k: v[:20] for k, v in small_data.items()}  # 20 labelled images, 20 validation and test images
    d |= {"x_val": small_data["x_train"][-20:], "y_val": small_data["y_train"][-20:]}
    result = label_efficiency.run_classifier(d, 42, s, discriminator_path=a)
    assert 0 <= result["test_accuracy"] <= 1 and 0 <= result["val_accuracy"] <= 1
    with pytest.raises(ValueError, match="b.weights.h5 is not the discriminator"):
        label_efficiency.run_classifier(d, 42, s, discriminator_path=b)


def test_results_hold_every_stage_with_scores_and_seeds():
    records = [
        {"model": "cnn", "gan_epochs": None, "n_labels": 1000, "seed": s, "test_accuracy": 0.80 + s / 1000,
         "val_accuracy": 0.8}
        for s in (1, 2, 3)
    ] + [
        {"model": "trial3", "gan_epochs": e, "n_labels": 1000, "seed": s, "test_accuracy": 0.85 + e / 1000,
         "val_accuracy": 0.9 - e / 1000 + s / 1000}
        for e in (25, 50) for s in (1, 2, 3)
    ]  # fmt: skip
    scores = {e: {"classifier_score": 4.0 + e / 100, "frechet_distance": 100.0 - e, "class_fractions": [0.1] * 10,
                  "mode_collapse": False, "seconds": 2.0 * e} for e in (25, 50)}  # fmt: skip
    history = {"g_loss": [1.0, 3.0, 2.0, 2.0], "d_loss": [1.0, 1.0, 0.5, 0.5], "epoch_seconds": [1.0, 1.0]}
    out = longer_gan.to_results(scores, records, longer_gan.epoch_losses(history))
    assert sorted(out["stages"]) == ["25", "50"] and out["stages"]["50"]["frechet_distance"] == 50.0
    cell = out["stages"]["25"]["trial3"]["1000"]
    assert cell["runs"] == 3 and cell["mean"] == pytest.approx(0.875) and cell["std"] == 0.0
    assert out["cnn"]["1000"]["by_seed"] == {"1": 0.801, "2": 0.802, "3": 0.803}
    assert out["epoch_losses"] == {"g_loss": [2.0, 2.0], "d_loss": [1.0, 0.5]} and out["seconds_gan"] == 100.0
    text = findings.longer_gan(out)  # 50 epochs is better on the test set, 25 on the validation splits
    assert "one GAN at 25 epochs (on validation; 3 classifier seeds): **0.8750**" in text
