"""The fast paths are the defaults, and the benchmarks' timing helpers run. How fast anything is, is measured by
``make benchmark`` (benchmarks/), never asserted here: a 2-core machine's rounds vary by up to 1.5x."""

import sys

import numpy as np

from digitgan import config

sys.path.insert(0, str(config.PROJ_ROOT / "benchmarks"))
from common import fit_rate  # noqa: E402


def test_fit_rate_runs_its_epochs_inside_one_call():
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    data = tf.data.Dataset.from_tensors((np.zeros((2, 3), "float32"), np.zeros((2, 1), "float32"))).repeat()
    assert fit_rate(model, data, steps=4) > 0
    assert int(model.optimizer.iterations.numpy()) == 12  # 3 epochs of 4 steps in the one call


def test_the_ssgan_builds_without_xla_and_its_one_step_trains_both_networks():
    """build_ssgan's defaults are the fast path (no XLA: 5x slower on the CPUs measured); one fit step of its one
    (fused) training step moves the generator, the discriminator and the averaged discriminator."""
    from digitgan.extensions import ssgan

    rng = np.random.default_rng(0)
    x_unl = rng.uniform(-1, 1, (200, *config.IMAGE_SHAPE)).astype("float32")
    y_lab = np.arange(100) % config.NUM_CLASSES
    model = ssgan.build_ssgan(x_unl[:100])
    assert model.jit_compile is False
    before = {name: [w.copy() for w in getattr(model, name).get_weights()]
              for name in ("generator", "discriminator", "ema_discriminator")}  # fmt: skip
    batches = ssgan.ssgan_batches(x_unl[:100], y_lab, x_unl, config.BATCH_SIZE, 0, 1)
    logs = model.fit(batches, epochs=1, steps_per_epoch=1, shuffle=False, verbose=0).history
    assert all(np.isfinite(logs[key][0]) for key in ssgan.SSGAN.LOSSES)
    for name, weights in before.items():
        after = getattr(model, name).get_weights()
        assert any(not np.array_equal(a, b) for a, b in zip(weights, after, strict=True)), name
