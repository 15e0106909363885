"""Images per second of one DCGAN training step: ours against the original's eager step.

    python benchmarks/gan_step.py [--steps 20] [--batch 100] [--rounds 2]

All variants train the same SPEC networks on the same batch in one process, one after another, and
the whole sequence is repeated ``--rounds`` times; each variant's best round is reported (the least
disturbed by anything else on the machine), with every round's rate beside it:
- eager:        the original notebook's step, a plain Python function (no tf.function);
- tf.function:  the same step traced into a graph;
- ours (fit):   DCGAN.train_step as fit() runs it, XLA-compiled (what 02_dcgan.ipynb uses);
- ours, no XLA: the same under op determinism (Keras turns XLA off there);
- ours, bf16:   the fit() step under the mixed_bfloat16 policy, with and without XLA (bf16 pays off
                only on CPUs with AVX512_BF16 or AMX; see /proc/cpuinfo).
Each is warmed up (tracing and compilation excluded), then timed over --steps steps.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

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
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (args.batch, 28, 28, 1)).astype("float32"))
    print(utils.versions())
    flags = open("/proc/cpuinfo").read().split() if Path("/proc/cpuinfo").exists() else []
    print("bf16 hardware:", ", ".join(sorted({f for f in flags if "bf16" in f or f.startswith("amx")})) or "none")

    def plain(step_fn):
        utils.set_seed(42, deterministic=False)
        return time_calls(step_fn, images, args.steps)

    variants = {
        "eager (original)": lambda: plain(eager_step_fn()),
        "tf.function": lambda: plain(tf.function(eager_step_fn())),
        "ours: fit, XLA": lambda: time_fit(images, args.steps, jit_compile=True),
        "ours: fit, no XLA": lambda: time_fit(images, args.steps, jit_compile=False),
        "ours: fit, XLA, mixed_bfloat16": lambda: time_fit(images, args.steps, True, "mixed_bfloat16"),
        "ours: fit, no XLA, mixed_bfloat16": lambda: time_fit(images, args.steps, False, "mixed_bfloat16"),
    }
    rounds = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            rounds[name].append(run())
    base = max(rounds["eager (original)"])
    print(f"\n{'variant':36s} {'images/s':>9s} {'vs eager':>9s}   every round (images/s)")
    for name, rates in rounds.items():
        print(f"{name:36s} {max(rates):9.1f} {max(rates) / base:8.2f}x   {', '.join(f'{r:.0f}' for r in rates)}")


if __name__ == "__main__":
    main()
