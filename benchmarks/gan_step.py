"""Images per second of one DCGAN training step: ours against the original's eager step.

    python benchmarks/gan_step.py [--steps 20] [--batch 100]

All variants train the same SPEC networks on the same batch in one process, one after another:
- eager:        the original notebook's step, a plain Python function (no tf.function);
- tf.function:  the same step traced into a graph;
- ours (fit):   DCGAN.train_step as fit() runs it, XLA-compiled (what 02_dcgan.ipynb uses);
- ours, no XLA: the same under op determinism (Keras turns XLA off there);
- ours, bf16:   the fit() step under the mixed_bfloat16 policy.
Each is warmed up (tracing and compilation excluded), then timed over --steps steps.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from digitgan import gan, models, utils


def eager_step_fn():
    """The TensorFlow DCGAN tutorial's train_step, without its @tf.function."""
    generator, discriminator = models.build_generator(), models.build_discriminator()
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

    def step(images):
        noise = tf.random.normal([tf.shape(images)[0], 100])
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
    fn(images)
    fn(images)  # warm-up: tracing / compiling
    start = time.perf_counter()
    for _ in range(steps):
        fn(images)
    return steps * len(images) / (time.perf_counter() - start)


def time_fit(images, steps: int, jit_compile: bool, policy: str = "float32") -> float:
    keras.mixed_precision.set_global_policy(policy)
    try:
        utils.set_seed(42, deterministic=not jit_compile)
        model = gan.build_dcgan(jit_compile=jit_compile)
        data = tf.data.Dataset.from_tensors(images).repeat()
        model.fit(data, epochs=1, steps_per_epoch=2, verbose=0)  # warm-up: tracing / compiling
        start = time.perf_counter()
        model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
        return steps * len(images) / (time.perf_counter() - start)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (args.batch, 28, 28, 1)).astype("float32"))
    print(utils.versions())
    utils.set_seed(42, deterministic=False)
    rates = {"eager (original)": time_calls(eager_step_fn(), images, args.steps)}
    rates["tf.function"] = time_calls(tf.function(eager_step_fn()), images, args.steps)
    rates["ours: fit, XLA"] = time_fit(images, args.steps, jit_compile=True)
    rates["ours: fit, no XLA"] = time_fit(images, args.steps, jit_compile=False)
    rates["ours: fit, XLA, mixed_bfloat16"] = time_fit(images, args.steps, jit_compile=True, policy="mixed_bfloat16")
    base = rates["eager (original)"]
    print(f"\n{'variant':34s} {'images/s':>9s} {'vs eager':>9s}")
    for name, rate in rates.items():
        print(f"{name:34s} {rate:9.1f} {rate / base:8.2f}x")


if __name__ == "__main__":
    main()
