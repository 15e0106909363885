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
    with pytest.raises(ValueError, match="head must be one of"):
        transfer.discriminator_to_classifier(disc, head="dense7")


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
    run = transfer.train_schedule(clf, small_data, frozen_epochs=1, total_epochs=2, verbose=0, callbacks=[watcher])
    conv0 = before[0]
    np.testing.assert_array_equal(watcher.kernels[0], conv0)  # frozen phase: transferred layers unchanged
    assert not np.array_equal(watcher.kernels[1], conv0)  # unfrozen phase: they learn (the recompile took effect)
    assert not np.array_equal(clf.get_layer("head_softmax").get_weights()[0], head_before)
    assert run["trainable_params"] == [62_730, TRANSFERRED + 62_730]
    assert run["phase_boundary"] == 1 and len(run["history"]["accuracy"]) == 2
    assert int(clf.optimizer.iterations.numpy()) == 3  # a fresh optimizer for phase 2: 300 images / 100
    for a, b in zip(before, disc.get_weights(), strict=True):  # the discriminator is untouched
        np.testing.assert_array_equal(a, b)


def test_all_frozen_schedule_is_one_phase(disc, small_data):
    clf = transfer.discriminator_to_classifier(disc, head="dense10")
    run = transfer.train_schedule(clf, small_data, frozen_epochs=1, total_epochs=1, verbose=0)
    assert run["phase_boundary"] is None and run["trainable_params"] == [62_730]
    with pytest.raises(ValueError, match="frozen_epochs"):
        transfer.train_schedule(clf, small_data, frozen_epochs=3, total_epochs=2)
