"""Images per second of one DCGAN training step: ours against the original's eager step, in one process,
interleaved rounds, best round reported.

    python benchmarks/gan_step.py [--steps 40] [--batch 100] [--rounds 3]

Every variant trains the study's networks on the same batch; each is warmed up (tracing and compiling
excluded), then timed over --steps steps (the fit() variants: the fastest of two epochs of --steps steps after a
warm-up epoch, all in one fit call: see ``common.fit_rate`` for why not whole calls). The networks'
compute dtype and the XLA setting are asserted:
- eager (original): the original notebook's step, a plain Python function (the reference);
- tf.function: the same step traced into a graph;
- ours, one step per call: DCGAN.train_step through fit(), XLA, one step per call and the losses read on the
  host after every batch;
- ours: fit(), one call per epoch (every step of it inside one graph call), the losses kept on the device and
  read once per epoch, with and without XLA, in float32 and in mixed_bfloat16 (bf16 matrix products; bf16
  pays off only on CPUs with AVX512_BF16 or AMX).
FLOPs per step: each network's forward pass counted by TensorFlow's profiler, backward = 2x forward. Writes
benchmarks/results/dcgan_step.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import assert_compute_dtype, fit_rate, forward_flops, interleaved, report  # noqa: E402

from digitgan import config, gan, models, utils  # noqa: E402


def eager_step_fn():
    """The TensorFlow DCGAN tutorial's train_step, without its @tf.function."""
    generator, discriminator = models.build_generator(), models.build_discriminator()
    assert_compute_dtype([generator, discriminator], "float32")
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

    def step(images):
        noise = tf.random.normal([tf.shape(images)[0], config.NOISE_DIM])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_logits = discriminator(images, training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = gan.generator_loss(fake_logits)
            d_loss = gan.discriminator_loss(real_logits, fake_logits)
        g_vars, d_vars = generator.trainable_variables, discriminator.trainable_variables
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        return g_loss, d_loss

    return step


def time_calls(fn, images, steps: int) -> float:
    utils.set_seed(config.SEED, deterministic=False)
    fn(images)
    fn(images)  # warm-up: tracing / compiling
    start = time.perf_counter()
    for _ in range(steps):
        fn(images)
    return steps / (time.perf_counter() - start)


class EpochStart(keras.callbacks.Callback):
    """Points the DCGAN's on-device loss log at its first row when an epoch begins (what ``train_gan``'s epoch
    callback does), without the rest of that callback."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.batch_in_epoch.assign(0)


class ReadLossesEveryBatch(keras.callbacks.Callback):
    """The alternative to the on-device loss log: a device-to-host read after every batch."""

    def on_train_batch_end(self, batch, logs=None):
        self.model.loss_log.numpy()


def time_fit(images, steps: int, jit: bool, precision: str, per_call: int, read_every_batch: bool = False) -> float:
    utils.set_seed(config.SEED, deterministic=not jit)
    model = gan.build_dcgan(jit_compile=jit, precision=precision, steps_per_execution=per_call)
    assert model.jit_compile == jit, f"XLA is {model.jit_compile}, the variant says {jit}"
    assert_compute_dtype([model.generator, model.discriminator], "bfloat16" if "bfloat16" in precision else "float32")
    model.loss_log = tf.Variable(tf.zeros([steps, 2]), trainable=False)  # as gan.train_gan sets it
    callbacks = [EpochStart(), *([ReadLossesEveryBatch()] if read_every_batch else [])]
    data = tf.data.Dataset.from_tensors(images).repeat()
    return fit_rate(model, data, steps, callbacks=callbacks)  # epochs inside one fit call, the first not timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (args.batch, 28, 28, 1)).astype("float32"))
    print(utils.versions())
    n = args.steps
    variants = {
        "eager (original)": lambda: time_calls(eager_step_fn(), images, n),
        "tf.function of the same step": lambda: time_calls(tf.function(eager_step_fn()), images, n),
        "ours: fit, XLA, 1 step/call, losses read each step": lambda: time_fit(images, n, True, "float32", 1, True),
        "ours: fit, XLA, epoch/call, float32": lambda: time_fit(images, n, True, "float32", n),
        "ours: fit, no XLA, epoch/call, float32": lambda: time_fit(images, n, False, "float32", n),
        "ours: fit, XLA, epoch/call, mixed_bfloat16": lambda: time_fit(images, n, True, "mixed_bfloat16", n),
        "ours: fit, no XLA, epoch/call, mixed_bfloat16": lambda: time_fit(images, n, False, "mixed_bfloat16", n),
    }
    # one step: the generator forward and backward, the discriminator forward and backward on the real and the
    # generated batch (its backward on the generated batch serves both gradients): 3 x (G + 2 D) per image
    g, d = forward_flops(models.build_generator()), forward_flops(models.build_discriminator())
    flops = 3 * (g + 2 * d) * args.batch
    rates = interleaved(variants, args.rounds)
    report(
        "dcgan_step",
        rates,
        reference="eager (original)",
        flops_per_step=dict.fromkeys(variants, flops),
        per_step=args.batch,
        unit="images",
        extra={"steps_timed_per_round": n, "rounds": args.rounds, "batch": args.batch},
        epoch_steps=config.SUBSET_SIZE // args.batch,
    )


if __name__ == "__main__":
    main()
