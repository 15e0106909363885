import numpy as np
import pytest

from digitgan import gan, longer_gan, quality


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
    scores, history = longer_gan.train_stages(x_small, (2, 1), folder, state, judge, x_small[:100], n_samples=100)
    assert sorted(scores) == [1, 2] and len(history["epoch_seconds"]) == 2  # stage 2 continued stage 1's run
    for epochs in (1, 2):
        assert longer_gan.discriminator_path(folder, epochs).is_file()
        assert {"classifier_score", "frechet_distance", "class_fractions"} <= set(scores[epochs])
    a, b = (gan.load_discriminator(longer_gan.discriminator_path(folder, e)).get_weights()[0] for e in (1, 2))
    assert not np.array_equal(a, b)

    def no_training(*args, **kwargs):
        raise AssertionError("a finished stage was trained again")

    monkeypatch.setattr(gan, "train_gan", no_training)
    again, history_again = longer_gan.train_stages(x_small, (1, 2), folder, state, judge, x_small[:100], n_samples=100)
    assert again == scores and history_again["g_loss"] == history["g_loss"]
    with pytest.raises(ValueError, match="judge"):
        longer_gan.train_stages(x_small, (1,), folder, state, None)


def test_every_stage_and_the_cnn_get_each_seed_and_label_count(x_small, judge, tmp_path, mnist_dir):
    folder = tmp_path / "longer"
    longer_gan.train_stages(x_small, (1,), folder, tmp_path / "state", judge, n_samples=50)
    records = longer_gan.evaluate_stages((1,), (42, 43), (20,), folder, source=mnist_dir)
    assert {(r["model"], r["gan_epochs"], r["seed"]) for r in records} == {
        ("cnn", None, 42), ("cnn", None, 43), ("trial3", 1, 42), ("trial3", 1, 43)
    }  # fmt: skip
    assert all(0 <= r["test_accuracy"] <= 1 and r["n_labels"] == 20 for r in records)
    assert longer_gan.evaluate_stages((1,), (42, 43), (20,), folder, source=mnist_dir) == records  # cached
