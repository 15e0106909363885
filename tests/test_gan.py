import json

import numpy as np
import pytest

from digitgan import gan, models
from digitgan.fileio import load_weights


@pytest.fixture(scope="module")
def x_small(small_data):
    return small_data["x_train"][:200]  # 2 batches of 100 per epoch


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def test_one_epoch_updates_both_networks_and_logs_every_batch(x_small, tmp_path):
    before = gan.build_dcgan(jit_compile=False)
    g0, d0 = _weights(before.generator), _weights(before.discriminator)
    trained, history = gan.train_gan(
        x_small,
        epochs=1,
        checkpoint_dir=tmp_path / "ckpt",
        jit_compile=False,
        frames_dir=tmp_path / "frames",
        verbose=0,
    )
    # same seed -> same initial weights as `before`, so any difference is training
    assert any(not np.array_equal(a, b) for a, b in zip(g0, trained.generator.get_weights(), strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(d0, trained.discriminator.get_weights(), strict=True))
    assert len(history["g_loss"]) == len(history["d_loss"]) == 2
    assert all(np.isfinite(history["g_loss"]))
    assert (tmp_path / "frames" / "epoch_001.png").is_file()
    assert (tmp_path / "ckpt" / "history-0001.json").is_file()  # the final epoch is checkpointed


def test_resume_continues_exactly(x_small, tmp_path):
    _, straight = gan.train_gan(
        x_small, epochs=2, checkpoint_dir=tmp_path / "a", checkpoint_every=1, jit_compile=False, verbose=0
    )
    gan.train_gan(x_small, epochs=1, checkpoint_dir=tmp_path / "b", checkpoint_every=1, jit_compile=False, verbose=0)
    resumed_gan, resumed = gan.train_gan(
        x_small, epochs=2, checkpoint_dir=tmp_path / "b", checkpoint_every=1, jit_compile=False, verbose=0
    )
    assert len(resumed["g_loss"]) == 4 and len(resumed["epoch_seconds"]) == 2
    assert resumed["g_loss"] == straight["g_loss"]
    assert resumed["d_loss"] == straight["d_loss"]
    assert int(resumed_gan.g_optimizer.iterations.numpy()) == 4


def test_finished_run_is_not_retrained(x_small, tmp_path, capsys):
    _, first = gan.train_gan(x_small, epochs=1, checkpoint_dir=tmp_path, jit_compile=False, verbose=0)
    again, second = gan.train_gan(x_small, epochs=1, checkpoint_dir=tmp_path, jit_compile=False, verbose=0)
    assert "Already trained to epoch 1" in capsys.readouterr().out
    assert second == first
    _, fresh = gan.train_gan(x_small, epochs=1, checkpoint_dir=tmp_path, jit_compile=False, retrain=True, verbose=0)
    assert fresh["g_loss"] == first["g_loss"]  # retrained from scratch, same seed


def test_checkpoint_every_n_and_at_the_end(x_small, tmp_path):
    gan.train_gan(x_small, epochs=3, checkpoint_dir=tmp_path, checkpoint_every=2, jit_compile=False, verbose=0)
    saved = sorted(p.name for p in tmp_path.glob("history-*.json"))
    assert saved == ["history-0002.json", "history-0003.json"]
    assert len(json.loads((tmp_path / "history-0003.json").read_text())["g_loss"]) == 6


def test_export_reuse_and_loaders(x_small, tmp_path, capsys):
    paths = dict(
        generator_path=tmp_path / "g.weights.h5",
        discriminator_path=tmp_path / "d.weights.h5",
        history_path=tmp_path / "h.json",
    )
    trained, history, reused = gan.train_or_reuse_gan(
        x_small, epochs=1, checkpoint_dir=tmp_path / "ck", jit_compile=False, verbose=0, **paths
    )
    assert not reused
    again, history2, reused = gan.train_or_reuse_gan(x_small, epochs=1, jit_compile=False, **paths)
    assert reused and "Reusing the DCGAN" in capsys.readouterr().out and history2 == history
    disc = gan.load_discriminator(paths["discriminator_path"])
    np.testing.assert_array_equal(disc.get_weights()[0], trained.discriminator.get_weights()[0])
    generator = load_weights(models.build_generator(), paths["generator_path"], "")
    np.testing.assert_array_equal(generator.get_weights()[0], trained.generator.get_weights()[0])


def test_missing_or_damaged_weights_name_the_file_and_the_fix(tmp_path):
    from digitgan.fileio import DataFileError

    missing = tmp_path / "discriminator.weights.h5"
    with pytest.raises(DataFileError, match=r"discriminator\.weights\.h5 does not exist.*notebooks/02_dcgan\.ipynb"):
        gan.load_discriminator(missing)
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(DataFileError, match="bad.weights.h5 could not be loaded.*truncated.*02_dcgan.ipynb"):
        gan.load_discriminator(bad)


def test_epoch_batches_do_not_depend_on_the_start(x_small):
    full = [b.numpy() for b in gan.epoch_batches(x_small, 100, 0, 3)]
    tail = [b.numpy() for b in gan.epoch_batches(x_small, 100, 2, 3)]
    assert len(full) == 6 and len(tail) == 2
    np.testing.assert_array_equal(full[4], tail[0])
    assert not np.array_equal(full[0], full[2])  # each epoch is shuffled differently


def test_mixed_precision_computes_in_bf16_but_keeps_float32_weights_and_outputs():
    import keras

    model = gan.build_dcgan(jit_compile=False, precision="mixed_bfloat16")
    assert model.generator.layers[0].compute_dtype == "bfloat16"
    assert {w.dtype for w in model.generator.weights + model.discriminator.weights} == {"float32"}
    images = model.generator(gan.fixed_noise(2), training=False)
    assert images.dtype == "float32" and model.discriminator(images).dtype == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"  # the build does not leak its policy
