import shutil

import numpy as np
import pytest
from keras import ops

from digitgan import data
from digitgan.extensions import ssgan


@pytest.fixture(scope="module")
def tiny(mnist_dir):
    """20 labels (2 per digit), 100 validation images, 200 unlabelled images (2 steps of 100 per epoch), 500 test
    images."""
    d = data.load_label_efficiency_data(20, seed=42, source=mnist_dir, n_val=100)
    d["x_unlabelled"] = d["x_unlabelled"][:200]
    d["x_test"], d["y_test"] = d["x_test"][:500], d["y_test"][:500]
    return d


@pytest.fixture(scope="module")
def one_epoch(tiny, tmp_path_factory):
    """``(state folder, model, history)`` of one epoch, trained once for the tests that read a finished run."""
    path = tmp_path_factory.mktemp("ssgan_one_epoch")
    return (path, *_train(tiny, path, 1))


def _train(tiny, path, epochs, **kwargs):
    kwargs = {"patience": None, **kwargs}
    return ssgan.train_ssgan(tiny, epochs=epochs, checkpoint_dir=path, jit_compile=False, verbose=0, **kwargs)


def test_architectures_follow_the_paper():
    disc, gen = ssgan.build_ssgan_discriminator(), ssgan.build_ssgan_generator()
    assert disc.count_params() == 1_541_020 and gen.count_params() == 696_568
    widths = [layer.units for layer in disc.layers if isinstance(layer, ssgan.WeightNormDense)]
    assert widths == [1000, 500, 250, 250, 250, 10]
    assert disc.get_layer(ssgan.FEATURES).units == 250
    images = gen(np.random.default_rng(0).uniform(size=(7, 100)).astype("float32"), training=False)
    assert tuple(images.shape) == (7, 28, 28, 1)
    assert float(ops.min(images)) >= -1 and float(ops.max(images)) <= 1
    assert tuple(disc(images).shape) == (7, 10)  # class logits, no extra "fake" unit


def test_weight_norm_init_normalises_pre_activations(tiny):
    disc = ssgan.build_ssgan_discriminator()
    x = tiny["x_unlabelled"]
    ssgan._init_weight_norm(disc, x)
    first = disc.get_layer("h1")
    flat = ops.reshape(ops.convert_to_tensor(x) * 0.5 + 0.5, (len(x), -1))
    pre = ops.convert_to_numpy(first.pre_activation(flat))
    # statistics were taken with the input noise on: the clean pre-activations are centred, std below 1
    assert np.abs(pre.mean(axis=0)).mean() < 0.1
    assert 0.2 < pre.std(axis=0).mean() < 1.0
    assert first.g.trainable is False and disc.get_layer("logits").g.trainable is True


def test_losses_match_their_definitions():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(5, 10)).astype("float32"), rng.normal(size=(5, 10)).astype("float32")
    z_real, z_fake = np.exp(real).sum(1), np.exp(fake).sum(1)
    d_real, d_fake = z_real / (z_real + 1), z_fake / (z_fake + 1)
    expected = 0.5 * (-np.log(d_real).mean() - np.log(1 - d_fake).mean())
    assert float(ssgan.unsupervised_loss(real, fake)) == pytest.approx(expected, rel=1e-5)
    labels = np.array([0, 3, 9, 1, 2])
    log_softmax = real - np.log(z_real)[:, None]
    assert float(ssgan.supervised_loss(labels, real)) == pytest.approx(-log_softmax[range(5), labels].mean(), rel=1e-5)
    feats = rng.normal(size=(4, 250)).astype("float32")
    assert float(ssgan.feature_matching_loss(feats, feats[::-1])) == pytest.approx(0.0, abs=1e-10)
    assert float(ssgan.feature_matching_loss(feats, feats + 1.0)) == pytest.approx(1.0, rel=1e-5)


def test_labelled_batches_come_from_the_labelled_subset_only(tiny):
    x_lab, y_lab = tiny["x_train"], tiny["y_train"]
    batches = list(ssgan.ssgan_batches(x_lab, y_lab, tiny["x_unlabelled"], 100, 0, 2, seed=42))
    assert len(batches) == 4  # 2 epochs x 200 unlabelled / 100
    known = {x.tobytes(): y for x, y in zip(x_lab, y_lab, strict=True)}
    for xb, yb, unl, unl2 in batches:
        assert xb.shape == (100, 28, 28, 1) and unl.shape == unl2.shape == (100, 28, 28, 1)
        for image, label in zip(xb.numpy(), yb.numpy(), strict=True):
            assert known[image.tobytes()] == label  # a labelled image with its own label, nothing else
        assert np.bincount(yb.numpy(), minlength=10).min() >= 1  # the 20 labels are tiled, reshuffled


def test_one_epoch_trains_all_three_networks_and_logs(one_epoch):
    before = ssgan.build_ssgan(jit_compile=False)
    path, model, history = one_epoch
    for name in ("generator", "discriminator"):
        fresh = getattr(before, name).get_weights()
        assert any(not np.array_equal(a, b) for a, b in zip(fresh, getattr(model, name).get_weights(), strict=True))
    raw, ema = model.discriminator.get_weights(), model.ema_discriminator.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(raw, ema, strict=True))  # an average, not a copy
    assert {len(v) for v in history.values() if isinstance(v, list)} == {1}
    assert 0.0 <= history["val_accuracy"][0] <= 1.0 and np.isfinite(history["g_loss"][0])
    assert history["best"]["epoch"] == 1 and history["best"]["weights"] in ("averaged", "raw")
    kept = model.ema_discriminator if history["best"]["weights"] == "averaged" else model.discriminator
    for a, b in zip(model.best_discriminator.get_weights(), kept.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (path / "history-0001.json").is_file()


def test_best_weights_are_kept_and_training_stops_without_progress(tiny, tmp_path, monkeypatch, capsys):
    """Validation accuracies scripted per call (averaged, raw, per epoch): epoch 1's raw weights are the best, two
    epochs without progress stop a 6-epoch run at epoch 3 with patience 2, saved; a rerun trains nothing."""
    scores = iter([0.5, 0.6, 0.55, 0.4, 0.6, 0.3])
    monkeypatch.setattr(ssgan.training, "accuracy", lambda model, x, y, batch_size=2000: next(scores))
    model, history = _train(tiny, tmp_path, 6, patience=2)
    assert history["best"] == {"epoch": 1, "weights": "raw", "val_accuracy": 0.6}  # a tie later does not replace it
    assert history["stopped_at"] == 3 and len(history["epoch_seconds"]) == 3
    assert (tmp_path / "history-0003.json").is_file()  # saved at the stop, not only every 5 epochs
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(model.best_discriminator.get_weights(), model.discriminator.get_weights(), strict=True)
    )
    again, history_again = _train(tiny, tmp_path, 6, patience=2)
    assert "Stopped early at epoch 3" in capsys.readouterr().out and history_again == history
    for a, b in zip(again.best_discriminator.get_weights(), model.best_discriminator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_training_needs_the_validation_split(tiny, tmp_path):
    without = {k: v for k, v in tiny.items() if k not in ("x_val", "y_val")}
    with pytest.raises(ValueError, match=r"no 'x_val'.*load_label_efficiency_data"):
        _train(without, tmp_path, 1)
    assert not tmp_path.joinpath("checkpoint").exists()


def test_resume_continues_exactly(tiny, tmp_path, one_epoch):
    _, straight = _train(tiny, tmp_path / "a", 2)
    shutil.copytree(one_epoch[0], tmp_path / "b")
    resumed_model, resumed = _train(tiny, tmp_path / "b", 2)
    for key in set(straight) - {"epoch_seconds"}:
        assert resumed[key] == straight[key], key
    assert len(resumed["epoch_seconds"]) == 2
    assert int(resumed_model.d_optimizer.iterations.numpy()) == 4


def test_finished_run_is_reloaded_not_retrained(tiny, one_epoch, capsys):
    path, _, first = one_epoch
    _, again = _train(tiny, path, 1)
    assert "Already trained to epoch 1" in capsys.readouterr().out and again == first


def test_mismatched_checkpoint_says_how_to_fix(one_epoch):
    from digitgan.checkpoint import TrainingCheckpoint

    other = ssgan.build_ssgan(jit_compile=False)
    ckpt = TrainingCheckpoint(one_epoch[0], generator=other.discriminator)  # the wrong network in the slot
    with pytest.raises(ValueError, match="retrain=True"):
        ckpt.restore()


def test_learning_rate_schedule():
    rates = [ssgan._learning_rate_at(e, 0.001, 15, 25) for e in range(25)]
    assert rates[:15] == [0.001] * 15 and rates[-1] == pytest.approx(0.0001)
    assert all(a > b for a, b in zip(rates[14:], rates[15:], strict=False))
    assert ssgan._learning_rate_at(30, 0.001, None, 25) == 0.001


def test_the_fused_step_computes_the_losses_and_gradients_of_one_pass_per_batch(tiny):
    """The training step's one discriminator pass over the stacked batches and one feature pass give the losses and
    gradients of the straightforward computation, one pass per batch. The Gaussian noise is switched off in both:
    the stacked pass draws it for another shape."""
    import keras
    import tensorflow as tf

    model = ssgan.build_ssgan(tiny["x_unlabelled"][:100], jit_compile=False)
    for layer in model.discriminator.layers:
        if isinstance(layer, keras.layers.GaussianNoise):
            layer.stddev = 0.0
    x_lab, y_lab, x_unl, x_unl2 = next(
        iter(ssgan.ssgan_batches(tiny["x_train"], tiny["y_train"], tiny["x_unlabelled"], 100, 0, 1))
    )
    fake = model.generator(model._noise(100, 0), training=True)
    d_vars = model.discriminator.trainable_variables
    with tf.GradientTape() as tape:
        logits_lab = model.discriminator(x_lab, training=True)
        loss_lab = ssgan.supervised_loss(y_lab, logits_lab)
        loss_unl = ssgan.unsupervised_loss(
            model.discriminator(x_unl, training=True), model.discriminator(fake, training=True)
        )
        d_loss = loss_lab + loss_unl
    reference = (loss_lab, loss_unl, logits_lab, tape.gradient(d_loss, d_vars))
    fused = model.discriminator_gradients(x_lab, y_lab, x_unl, fake)
    for a, b in zip(fused[:3], reference[:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(fused[3]) == len(reference[3]) == len(d_vars)
    for a, b in zip(fused[3], reference[3], strict=True):
        assert np.abs(b).max() > 0
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)

    noise = model._noise(100, 1)
    with tf.GradientTape() as tape:
        generated = model.generator(noise, training=True)
        g_ref = ssgan.feature_matching_loss(
            model.features(x_unl2, training=True), model.features(generated, training=True)
        )
    grads_ref = tape.gradient(g_ref, model.generator.trainable_variables)
    g_fused, grads_fused = model.generator_gradients(x_unl2, noise)
    np.testing.assert_allclose(g_fused, g_ref, rtol=1e-5)
    for a, b in zip(grads_fused, grads_ref, strict=True):
        assert np.abs(b).max() > 0
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)
