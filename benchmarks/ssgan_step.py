"""Steps per second of the semi-supervised GAN's training step: the committed (reference) step against the
fused one, in one process, interleaved rounds, best round reported.

    python benchmarks/ssgan_step.py [--steps 120] [--rounds 3]

Every variant trains the same networks (float32 weights; the dtype of every matrix product in the step's graph
asserted) on the same batches (``ssgan.ssgan_batches`` over random images: 100 labelled, 100 unlabelled and
100 generated images per step) through ``fit``:
- reference: the step as first committed (three discriminator passes, two feature passes: ``ReferenceSSGAN``
  here, benchmark only), XLA, one step per call from Python (the reference of the speed-up) or all steps of an
  epoch per call (what notebooks 07-08 ran before the validation split);
- fused: ``digitgan.extensions.ssgan``'s one step (one discriminator pass over the stacked batches and one feature
  pass; a test checks that it computes the losses and gradients of one pass per batch), with and without XLA,
  one step per call or ``--steps`` per call;
- fused with bf16 matrix products (``bf16_products`` here, benchmark only: noise, weight-norm statistics, losses
  and weights in float32). No SSGAN is trained so.
Each variant: the fastest of two epochs of --steps steps after a warm-up epoch, in one fit call
(``common.fit_rate`` says why not whole calls).
FLOPs per step: each network's forward pass counted by TensorFlow's profiler, backward = 2x forward.
Writes benchmarks/results/ssgan_step.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fit_rate, forward_flops, interleaved, recount, report  # noqa: E402

from digitgan import config, utils  # noqa: E402
from digitgan.extensions import ssgan  # noqa: E402
from digitgan.extensions.ssgan import feature_matching_loss  # noqa: E402

VARIANTS = {  # name: (reference step, jit_compile, steps per call: 1 or all, matrix products' dtype)
    "reference: 3+2 passes, XLA, 1 step/call": (True, True, False, "float32"),
    "reference: 3+2 passes, XLA, all steps/call": (True, True, True, "float32"),
    "fused: 1+1 passes, XLA, all steps/call": (False, True, True, "float32"),
    "fused: 1+1 passes, no XLA, 1 step/call": (False, False, False, "float32"),
    "fused: 1+1 passes, no XLA, all steps/call": (False, False, True, "float32"),
    "fused, bf16 products: XLA, all steps/call": (False, True, True, "bfloat16"),
    "fused, bf16 products: no XLA, all steps/call": (False, False, True, "bfloat16"),
}


class ReferenceSSGAN(ssgan.SSGAN):
    """The step as first committed (benchmark only): one discriminator pass per batch, one feature pass per batch."""

    def discriminator_gradients(self, x_lab, y_lab, x_unl, fake):
        with tf.GradientTape() as tape:
            logits_lab = self.discriminator(x_lab, training=True)
            logits_unl = self.discriminator(x_unl, training=True)
            logits_fake = self.discriminator(fake, training=True)
            loss_lab, loss_unl, d_loss = self.discriminator_losses(y_lab, logits_lab, logits_unl, logits_fake)
        return loss_lab, loss_unl, logits_lab, tape.gradient(d_loss, self.discriminator.trainable_variables)

    def generator_gradients(self, x_unl2, noise):
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            g_loss = feature_matching_loss(self.features(x_unl2, training=True), self.features(fake, training=True))
        return g_loss, tape.gradient(g_loss, self.generator.trainable_variables)


class BF16WeightNormDense(ssgan.WeightNormDense):
    """Only the matrix product in bf16 (benchmark only): ``v / ||v||`` computed in float32 and rounded, the product
    back as float32."""

    def pre_activation(self, x, normalised_only=False):
        norm = ops.sqrt(ops.sum(ops.square(self.v), axis=0) + 1e-12)
        low = ops.matmul(ops.cast(x, "bfloat16"), ops.cast(self.v / norm, "bfloat16"))
        direction = ops.cast(low, "float32")
        return direction if normalised_only else direction * self.g + self.b


def bf16_products(network: keras.Model) -> keras.Model:
    """A copy of an SSGAN network, same weights, whose matrix products run in bf16: weight-normalised layers as
    :class:`BF16WeightNormDense`, Dense layers under ``mixed_bfloat16`` (float32 weights); noise, batch
    normalisation and outputs stay float32."""

    def clone(layer):
        if isinstance(layer, ssgan.WeightNormDense):
            return BF16WeightNormDense.from_config(layer.get_config())
        if isinstance(layer, keras.layers.Dense):
            return keras.layers.Dense.from_config({**layer.get_config(), "dtype": "mixed_bfloat16"})
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(network, clone_function=clone)
    copy.set_weights(network.get_weights())
    return copy


def matmul_dtypes(model: ssgan.SSGAN) -> set[str]:
    """The dtypes of every matrix product in the graph of one training step's two gradient passes (what the
    benchmark asserts, rather than trusting a setting)."""
    batch = config.BATCH_SIZE
    images = tf.TensorSpec([batch, *config.IMAGE_SHAPE], tf.float32)
    d_graph = (
        tf.function(model.discriminator_gradients)
        .get_concrete_function(images, tf.TensorSpec([batch], tf.int64), images, images)
        .graph
    )
    g_graph = (
        tf.function(model.generator_gradients)
        .get_concrete_function(images, tf.TensorSpec([batch, model.noise_dim], tf.float32))
        .graph
    )
    ops_ = [*d_graph.get_operations(), *g_graph.get_operations()]
    return {op.get_attr("T").name for op in ops_ if op.type in ("MatMul", "BatchMatMulV2")}


def data(n_unlabelled: int = 6000):
    rng = np.random.default_rng(0)
    x_unl = rng.uniform(-1, 1, (n_unlabelled, *config.IMAGE_SHAPE)).astype("float32")
    return x_unl[:100], np.arange(100) % config.NUM_CLASSES, x_unl


def build(reference: bool, jit: bool, per_call: int, dtype: str):
    """The variant's model (the study's networks, weight-norm initialised on the same images) and its batches."""
    utils.set_seed(config.SEED, deterministic=not jit)
    x_lab, y_lab, x_unl = data()
    model = ssgan.build_ssgan(x_unl[:500], jit_compile=jit, steps_per_execution=per_call)
    if reference or dtype == "bfloat16":
        convert = bf16_products if dtype == "bfloat16" else (lambda network: network)
        networks = (model.generator, model.discriminator, model.ema_discriminator, model.best_discriminator)
        step = ReferenceSSGAN if reference else ssgan.SSGAN
        model_ = step(*map(convert, networks), noise_dim=model.noise_dim, seed=model.seed, ema_decay=model.ema_decay)
        model_.compile(
            g_optimizer=keras.optimizers.Adam.from_config(model.g_optimizer.get_config()),
            d_optimizer=keras.optimizers.Adam.from_config(model.d_optimizer.get_config()),
            jit_compile=jit,
            steps_per_execution=per_call,
        )
        model = model_
    assert model.jit_compile == jit, f"XLA is {model.jit_compile}, the variant says {jit}"
    assert isinstance(model, ReferenceSSGAN) == reference
    noise = [layer for layer in model.discriminator.layers if isinstance(layer, keras.layers.GaussianNoise)]
    assert noise and all(layer.compute_dtype == "float32" for layer in noise), "noise layers must stay float32"
    assert all(w.dtype == "float32" for w in model.discriminator.weights + model.generator.weights)
    found = matmul_dtypes(model)
    assert found == {dtype}, f"the step's matrix products run in {found}, the variant says {dtype}"
    return model, ssgan.ssgan_batches(x_lab, y_lab, x_unl, config.BATCH_SIZE, 0, 1000)


def timed(reference: bool, jit: bool, all_per_call: bool, dtype: str, steps: int) -> float:
    model, batches = build(reference, jit, steps if all_per_call else 1, dtype)
    return fit_rate(model, batches.repeat(), steps)  # epochs inside one fit call, the first not timed


def step_flops() -> float:
    """One step, from each network's forward FLOPs (backward = 2x forward): the discriminator forward and
    backward on 300 images, the generator forward for them; the generator forward and backward on 100 noise
    vectors, the features of 200 images forward and, for the 100 generated ones, backward to the inputs only."""
    d = forward_flops(ssgan.build_ssgan_discriminator())
    g = forward_flops(ssgan.build_ssgan_generator())
    batch = config.BATCH_SIZE
    return 3 * 3 * batch * d + batch * g + 3 * batch * g + 2 * batch * d + batch * d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--recount", action="store_true", help="only recompute the FLOP columns of the results")
    args = parser.parse_args()
    if args.recount:
        recount("ssgan_step", step_flops())
        return
    print(utils.versions())
    flops = step_flops()  # the same arithmetic for both steps
    variants = {name: (lambda v=v: timed(*v, args.steps)) for name, v in VARIANTS.items()}
    rates = interleaved(variants, args.rounds)
    report(
        "ssgan_step",
        rates,
        reference=next(iter(VARIANTS)),
        flops_per_step=dict.fromkeys(VARIANTS, flops),
        per_step=3 * config.BATCH_SIZE,
        unit="images",
        extra={
            "steps_timed_per_round": args.steps,
            "rounds": args.rounds,
            "dtype": {name: v[3] for name, v in VARIANTS.items()},
        },
        epoch_steps=config.N_TRAIN_FULL // config.BATCH_SIZE,
    )


if __name__ == "__main__":
    main()
