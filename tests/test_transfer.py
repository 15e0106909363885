import keras
import numpy as np
import pytest

from digitgan import models, transfer

FEATURES = 6272  # 7 * 7 * 128 after Flatten
TRANSFERRED = 212_865 - (FEATURES + 1)  # the discriminator without its Dense(1)


@pytest.fixture()
def disc(seeded):
    return models.build_discriminator()


def test_classifier_shapes_and_trainable_counts(disc):
    clf = transfer.discriminator_to_classifier(disc, head="dense10", freeze=True)
    assert clf.output_shape == (None, 10)
    assert transfer.trainable_count(clf) == 62_730  # trial 1
    assert clf.count_params() == TRANSFERRED + 62_730
    clf3 = transfer.discriminator_to_classifier(disc, head="dense128", freeze=True)
    assert transfer.trainable_count(clf3) == FEATURES * 128 + 128 + 1290
    unfrozen = transfer.discriminator_to_classifier(disc, head="dense128", freeze=False)
    assert transfer.trainable_count(unfrozen) == TRANSFERRED + FEATURES * 128 + 128 + 1290
    wider = transfer.discriminator_to_classifier(disc, head="dense256")  # a fourth trial's head, by its name
    assert [layer.name for layer in wider.layers[-2:]] == ["head_dense256", "head_softmax"]
    assert transfer.trainable_count(wider) == FEATURES * 256 + 256 + 2570
    for bad in ("dense", "dense0", "conv10", 10):
        with pytest.raises(ValueError, match='HEAD must be "dense10" or "dense<units>"'):
            transfer.discriminator_to_classifier(disc, head=bad)


@pytest.mark.parametrize(
    "args, message",
    [
        (("dense7x", 5, 15, 0.01, "sgd", 0.01, 100), "HEAD must be"),
        (("dense10", 16, 15, 0.01, "sgd", 0.01, 100), r"FROZEN_EPOCHS must be in \[0, 15\], got 16"),
        (("dense10", 5, 0, 0.01, "sgd", 0.01, 100), r"TOTAL_EPOCHS must be in \[1"),
        (("dense10", 5, 15, 0, "sgd", 0.01, 100), r"LEARNING_RATE must be in \(0, 1\]"),
        (("dense10", 5, 15, 0.01, "sgdd", 0.01, 100), r"FINE_TUNE_OPTIMIZER must be one of .*'sgd'.*got 'sgdd'"),
        (("dense10", 5, 15, 0.01, "adam", -1, 100), r"FINE_TUNE_LEARNING_RATE must be in \(0, 1\]"),
        (("dense10", 5, 15, 0.01, "sgd", 0.01, 0), r"BATCH_SIZE must be in \[1"),
    ],
)
def test_a_trial_notebooks_parameters_are_checked_by_name(args, message):
    with pytest.raises(ValueError, match=message):
        transfer.check_trial(*args)


def test_checking_a_trial_creates_no_optimizer():  # Keras numbers optimizers' names, which the weights file keeps
    before = keras.optimizers.SGD(0.01).name
    transfer.check_trial("dense10", 5, 15, 0.01, "sgd", 0.01, 100)
    assert keras.optimizers.SGD(0.01).name == f"sgd_{int(before.removeprefix('sgd').lstrip('_') or 0) + 1}"


def test_weights_are_copied_not_shared(disc):
    clf = transfer.discriminator_to_classifier(disc, freeze=False)
    assert not {id(v) for v in clf.weights} & {id(v) for v in disc.weights}
    np.testing.assert_array_equal(clf.get_layer("conv1").get_weights()[0], disc.get_layer("conv1").get_weights()[0])


class _ConvWatcher(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.kernels = []

    def on_epoch_end(self, epoch, logs=None):
        self.kernels.append(self.model.get_layer("conv1").get_weights()[0].copy())


def test_schedule_freezes_then_unfreezes_and_recompiles(disc, small_data):
    before = [w.copy() for w in disc.get_weights()]
    clf = transfer.discriminator_to_classifier(disc, head="dense10", freeze=True)
    head_before = clf.get_layer("head_softmax").get_weights()[0].copy()
    watcher = _ConvWatcher()
    d = {**small_data, "x_test": small_data["x_test"][:100], "y_test": small_data["y_test"][:100]}
    run = transfer.train_schedule(clf, d, frozen_epochs=1, total_epochs=2, verbose=0, callbacks=[watcher])
    conv0 = before[0]
    np.testing.assert_array_equal(watcher.kernels[0], conv0)  # frozen phase: transferred layers unchanged
    assert not np.array_equal(watcher.kernels[1], conv0)  # unfrozen phase: they learn (the recompile took effect)
    assert not np.array_equal(clf.get_layer("head_softmax").get_weights()[0], head_before)
    assert run["trainable_params"] == [62_730, TRANSFERRED + 62_730]
    assert run["phase_boundary"] == 1 and len(run["history"]["accuracy"]) == 2
    assert int(clf.optimizer.iterations.numpy()) == 3  # a fresh optimizer for phase 2: 300 images / 100
    for a, b in zip(before, disc.get_weights(), strict=True):  # the discriminator is untouched
        np.testing.assert_array_equal(a, b)


def test_all_frozen_schedule_is_one_phase(disc, small_data, monkeypatch):
    fits = []  # (epochs, initial_epoch) of each fit the schedule asks for: the training itself is tested above

    def fit(model, data, epochs, batch_size, initial_epoch, **options):
        fits.append((epochs, initial_epoch))
        return {"accuracy": [0.5]}

    monkeypatch.setattr(transfer, "fit_classifier", fit)
    clf = transfer.discriminator_to_classifier(disc, head="dense10")
    run = transfer.train_schedule(clf, small_data, frozen_epochs=1, total_epochs=1, verbose=0)
    assert run["phase_boundary"] is None and run["trainable_params"] == [62_730] and fits == [(1, 0)]
    with pytest.raises(ValueError, match="frozen_epochs"):
        transfer.train_schedule(clf, small_data, frozen_epochs=3, total_epochs=2)


def test_the_record_names_a_fine_tuning_other_than_the_originals():
    assert transfer.fine_tuning_record("sgd", 0.01, 0.01, True) == {}  # the original's recipe: the record is unchanged
    assert transfer.fine_tuning_record("adam", 1e-4, 0.01, True) == {"fine_tune_optimizer": "adam",
                                                                     "fine_tune_learning_rate": 1e-4}  # fmt: skip
    assert transfer.fine_tuning_record("sgd", 0.001, 0.01, True)["fine_tune_learning_rate"] == 0.001
    assert transfer.fine_tuning_record("adam", 1e-4, 0.01, False) == {}  # every epoch frozen: nothing fine-tuned


def test_every_fine_tuning_optimizer_is_one_keras_resolves():
    for name in transfer.FINE_TUNE_OPTIMIZERS:
        assert keras.optimizers.get({"class_name": name, "config": {"learning_rate": 0.01}}).learning_rate is not None
