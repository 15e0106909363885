"""Where the semi-supervised GAN's step spends its time: the rate of its matrix products alone (float32 and bf16,
the shapes of the fused step's discriminator layers) and the cost of drawing its Gaussian noise.

    python benchmarks/ssgan_parts.py [--repeats 200] [--rounds 3]

Each part is a ``tf.function`` called ``--repeats`` times after a warm-up, best of ``--rounds`` interleaved rounds.
The inputs are variables (updated between calls for the noise), so nothing is folded into a constant at trace time.
Writes benchmarks/results/ssgan_parts.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine  # noqa: E402

from digitgan import fileio, utils  # noqa: E402

# (rows, inner, columns) of the fused step's forward products: 300 images through 784-1000-500-250
MATMULS = [(300, 784, 1000), (300, 1000, 500), (300, 500, 250)]
# Gaussian noise values one fused step draws: 300 images x (784 + 1000 + 500 + 250 + 250 + 250) in the
# discriminator pass, 200 x (784 + 1000 + 500 + 250 + 250) in the feature pass
NOISE_VALUES = 300 * 3034 + 200 * 2784


def timed(fn, repeats: int) -> float:
    """Seconds per call."""
    for _ in range(3):
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        out = fn()
    float(tf.reduce_sum(tf.cast(out, tf.float32)))  # wait for the last call
    return (time.perf_counter() - start) / repeats


def matmul_part(m: int, k: int, n: int, dtype) -> tuple[str, callable, float]:
    a = tf.Variable(tf.cast(tf.random.normal((m, k)), dtype))
    b = tf.Variable(tf.cast(tf.random.normal((k, n)), dtype))
    f = tf.function(lambda: tf.matmul(a, b))
    assert f.get_concrete_function().output_dtypes == dtype
    return f"matmul {m}x{k}x{n}, {dtype.name}", f, 2.0 * m * k * n


def noise_part() -> tuple[str, callable, float]:
    seed = keras.random.SeedGenerator(0)  # what keras.layers.GaussianNoise draws from
    f = tf.function(lambda: keras.random.normal([NOISE_VALUES], stddev=0.5, seed=seed))
    return f"Gaussian noise of one fused step ({NOISE_VALUES:,} values)", f, 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(utils.versions())
    parts = [matmul_part(*shape, dtype) for shape in MATMULS for dtype in (tf.float32, tf.bfloat16)] + [noise_part()]
    seconds = {name: [] for name, _, _ in parts}
    for r in range(args.rounds):
        for name, fn, _ in parts:
            seconds[name].append(timed(fn, args.repeats))
            print(f"round {r + 1}: {name}: {seconds[name][-1] * 1e3:.3f} ms", flush=True)
    rows = []
    for name, _, flops in parts:
        best = min(seconds[name])
        rows.append(
            {
                "part": name,
                "milliseconds": round(best * 1e3, 3),
                "gflops": round(flops / best / 1e9, 1) if flops else None,
                "every_round_ms": [round(s * 1e3, 3) for s in seconds[name]],
            }
        )
        print(f"{name:55s} {best * 1e3:8.3f} ms" + (f" {flops / best / 1e9:8.1f} GFLOP/s" if flops else ""))
    out = {"benchmark": "ssgan_parts", "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), "rows": rows,
           "repeats": args.repeats, "rounds": args.rounds}  # fmt: skip
    RESULTS_DIR.mkdir(exist_ok=True)
    fileio.atomic_write_text(RESULTS_DIR / "ssgan_parts.json", json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
