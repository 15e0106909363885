"""Steps per second of the semi-supervised GAN's training step: the committed (reference) step against the
fused one, in one process, interleaved rounds, best round reported.

    python benchmarks/ssgan_step.py [--steps 120] [--rounds 3]

Every variant trains the same networks (float32 weights; the dtype of every matrix product in the step's graph
asserted) on the same batches (``ssgan.ssgan_batches`` over random images: 100 labelled, 100 unlabelled and
100 generated images per step) through ``fit``:
- reference: the step as first committed (three discriminator passes, two feature passes), XLA, one step per
  call from Python (the reference of the speed-up) or all steps of an epoch per call (what notebooks 07-08 ran);
- fused: one discriminator pass over the stacked batches and one feature pass (a test checks that it computes
  the reference's losses and gradients), with and without XLA, one step per call or ``--steps`` per call;
- fused with bf16 matrix products (noise, weight-norm statistics, losses and weights in float32; a test checks
  it against the float32 step).
Each variant: the fastest of two epochs of --steps steps after a warm-up epoch, in one fit call
(``digitgan.tools.speed.fit_rate`` says why not whole calls).
FLOPs per step: each network's forward pass counted by TensorFlow's profiler, backward = 2x forward.
Writes benchmarks/results/ssgan_step.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import forward_flops, interleaved, recount, report  # noqa: E402

from digitgan import config, speed, ssgan, utils  # noqa: E402

VARIANTS = {  # name: (fused, jit_compile, steps per call: 1 or all, matrix products' dtype)
    "reference: 3+2 passes, XLA, 1 step/call": (False, True, False, "float32"),
    "reference: 3+2 passes, XLA, all steps/call": (False, True, True, "float32"),
    "fused: 1+1 passes, XLA, all steps/call": (True, True, True, "float32"),
    "fused: 1+1 passes, no XLA, 1 step/call": (True, False, False, "float32"),
    "fused: 1+1 passes, no XLA, all steps/call": (True, False, True, "float32"),
    "fused, bf16 products: XLA, all steps/call": (True, True, True, "bfloat16"),
    "fused, bf16 products: no XLA, all steps/call": (True, False, True, "bfloat16"),
}


def data(n_unlabelled: int = 6000):
    rng = np.random.default_rng(0)
    x_unl = rng.uniform(-1, 1, (n_unlabelled, *config.IMAGE_SHAPE)).astype("float32")
    return x_unl[:100], np.arange(100) % config.NUM_CLASSES, x_unl


def build(fused: bool, jit: bool, per_call: int, dtype: str):
    utils.set_seed(config.SEED, deterministic=not jit)
    x_lab, y_lab, x_unl = data()
    model = ssgan.build_ssgan(
        x_unl[:500], jit_compile=jit, fused=fused, steps_per_execution=per_call, matmul_dtype=dtype
    )
    assert model.jit_compile == jit, f"XLA is {model.jit_compile}, the variant says {jit}"
    assert model.fused == fused
    noise = [layer for layer in model.discriminator.layers if isinstance(layer, keras.layers.GaussianNoise)]
    assert noise and all(layer.compute_dtype == "float32" for layer in noise), "noise layers must stay float32"
    found = ssgan.matmul_dtypes(model)
    assert found == {dtype}, f"the step's matrix products run in {found}, the variant says {dtype}"
    return model, ssgan.ssgan_batches(x_lab, y_lab, x_unl, config.BATCH_SIZE, 0, 1000)


def timed(fused: bool, jit: bool, all_per_call: bool, dtype: str, steps: int) -> float:
    model, batches = build(fused, jit, steps if all_per_call else 1, dtype)
    return speed.fit_rate(model, batches.repeat(), steps)  # epochs inside one fit call, the first not timed


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
