import shutil

import numpy as np
import pytest
import tensorflow as tf

from digitgan import fileio
from digitgan.extensions import conditional


@pytest.fixture(scope="module")
def one_epoch(small_data, tmp_path_factory):
    """``(folder, model, history)``: a run of one epoch on 200 images, its state ``folder / "cgan"`` and the exports
    beside it; a test that writes there works on a copy (:func:`_copy`)."""
    folder = tmp_path_factory.mktemp("conditional")
    return (folder, *conditional.train_conditional(*_images(small_data), 1, folder / "cgan", checkpoint_every=1))


def _images(small_data, n=200):
    return small_data["x_train"][:n], small_data["y_train"][:n]


def _copy(one_epoch, tmp_path):
    shutil.copytree(one_epoch[0], tmp_path, dirs_exist_ok=True)
    return tmp_path / "cgan"


def test_networks_take_the_digit_and_the_projection_uses_it():
    gen, disc = conditional.build_conditional_generator(), conditional.build_conditional_discriminator()
    noise = tf.random.stateless_normal([4, 100], seed=[0, 0])
    same_noise_other_digits = [gen([noise, tf.constant([d] * 4)], training=False).numpy() for d in (1, 7)]
    assert same_noise_other_digits[0].shape == (4, 28, 28, 1)
    assert np.abs(same_noise_other_digits[0] - same_noise_other_digits[1]).max() > 1e-4
    images = same_noise_other_digits[0]
    logits = [disc([tf.constant(images), tf.constant([d] * 4)], training=False).numpy() for d in (1, 7)]
    assert logits[0].shape == (4, 1) and not np.allclose(logits[0], logits[1])


def test_training_steps_move_both_networks_and_labels_stay_balanced(small_data):
    model = conditional.build_conditional_dcgan()
    before = [w.copy() for w in model.generator.get_weights()], [w.copy() for w in model.discriminator.get_weights()]
    data = tf.data.Dataset.from_tensor_slices((small_data["x_train"][:200], small_data["y_train"][:200])).batch(100)
    history = model.fit(data, epochs=1, verbose=0, shuffle=False).history
    assert np.isfinite(history["g_loss"][0]) and np.isfinite(history["d_loss"][0])
    for old, net in zip(before, (model.generator, model.discriminator), strict=True):
        assert any(not np.array_equal(a, b) for a, b in zip(old, net.get_weights(), strict=True))
    images, labels = conditional.generate_labelled(model.generator, 25, seed=3)
    assert images.shape == (25, 28, 28, 1) and np.bincount(labels).tolist() == [3] * 5 + [2] * 5
    again, labels_again = conditional.generate_labelled(model.generator, 25, seed=3)
    np.testing.assert_array_equal(labels, labels_again)
    np.testing.assert_allclose(images, again, atol=1e-6)


def test_training_resumes_exactly_and_a_finished_run_is_reloaded(small_data, tmp_path, one_epoch):
    x, y = _images(small_data)
    straight, h_straight = conditional.train_conditional(x, y, 2, tmp_path / "a", checkpoint_every=1)
    resumed, h_resumed = conditional.train_conditional(x, y, 2, _copy(one_epoch, tmp_path), checkpoint_every=1)
    assert h_resumed["g_loss"] == h_straight["g_loss"] and len(h_resumed["epoch_seconds"]) == 2
    for a, b in zip(straight.generator.get_weights(), resumed.generator.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    again, h_again = conditional.train_conditional(x, y, 2, tmp_path / "cgan")
    assert h_again == h_resumed
    with pytest.raises(ValueError, match="one label per image"):
        conditional.train_conditional(x, y[:10], 1, tmp_path / "c")


def test_a_finished_run_is_exported_and_reused_without_its_state(small_data, tmp_path, capsys, one_epoch):
    x, y = _images(small_data)
    _, model, history = one_epoch
    _copy(one_epoch, tmp_path)
    generator_path, history_path = tmp_path / "cgan_generator.weights.h5", tmp_path / "cgan_history.json"
    assert generator_path.is_file() and history_path.is_file()  # exported beside the state, named after it
    shutil.rmtree(tmp_path / "cgan")  # a fresh clone: the exports, no training state
    reused, h_reused = conditional.train_conditional(x, y, 1, tmp_path / "cgan")
    assert "Reusing the conditional DCGAN's generator trained for 1 epochs" in capsys.readouterr().out
    assert h_reused == history and not (tmp_path / "cgan").exists()
    for a, b in zip(model.generator.get_weights(), reused.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    conditional.train_conditional(x, y, 2, tmp_path / "cgan")  # other epochs: trained, and exported in its place
    assert "Reusing" not in capsys.readouterr().out
    assert len(fileio.read_json_object(history_path, "", "")["history"]["epoch_seconds"]) == 2
    history_path.write_text("{not json")
    with pytest.raises(fileio.DataFileError, match="to train it again"):
        conditional.train_conditional(x, y, 2, tmp_path / "cgan")


def test_mode_seeking_changes_the_generator_step_only_and_is_part_of_the_settings(small_data, tmp_path, one_epoch):
    """The same start with and without the mode-seeking term ends in other generator weights; an odd batch works;
    a training state of one weight (0) refuses another."""
    x, y = small_data["x_train"][:63], small_data["y_train"][:63]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(63)
    weights = {}
    for weight in (0.0, 1.0):
        tf.keras.utils.set_random_seed(0)
        model = conditional.build_conditional_dcgan(mode_seeking=weight)
        history = model.fit(data, epochs=1, verbose=0, shuffle=False).history
        assert np.isfinite(history["g_loss"][0]) and np.isfinite(history["d_loss"][0])
        weights[weight] = model.generator.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(weights[0.0], weights[1.0], strict=True))
    with pytest.raises(ValueError, match="mode_seeking"):
        conditional.train_conditional(*_images(small_data), 2, _copy(one_epoch, tmp_path), mode_seeking=0.5)


def test_the_trained_discriminator_comes_back_from_the_state_only_at_its_epoch(tmp_path, one_epoch):
    folder, model, _ = one_epoch
    disc = conditional.trained_discriminator(folder / "cgan", 200, 1)
    images, labels = conditional.generate_labelled(model.generator, 30, seed=1)
    np.testing.assert_allclose(
        conditional.discriminator_logits(disc, images, labels),
        conditional.discriminator_logits(model.discriminator, images, labels),
        atol=1e-5,
    )
    assert conditional.trained_discriminator(folder / "cgan", 200, 2) is None  # another epoch count
    assert conditional.trained_discriminator(tmp_path / "absent", 200, 1) is None
    with pytest.raises(ValueError, match="other settings"):  # other settings than the state's are refused
        conditional.trained_discriminator(folder / "cgan", 200, 1, mode_seeking=0.5)
    wide, _ = conditional.generate_labelled(model.generator, 30, seed=1, noise_scale=2.0)
    assert not np.allclose(wide, images)
