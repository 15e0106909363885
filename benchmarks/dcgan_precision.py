"""Does mixed_bfloat16 cost the DCGAN sample quality? Train it under a precision policy and score it
beside the committed float32 DCGAN, with the same judge, noise and reference images.

    python benchmarks/dcgan_precision.py [--policy mixed_bfloat16] [--epochs 50] [--no-xla]

The DCGAN is trained by ``digitgan.gan.train_gan`` (the same recipe as ``02_dcgan.ipynb``: the study's networks,
seed 42, the 10k subset) into a scratch checkpoint folder, so nothing committed is touched. The judge is
the committed ``checkpoints/judge.weights.h5``. Prints seconds per epoch, the classifier score, the
Fréchet distance to the test set and the class histogram of 10,000 samples for each model.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from digitgan import config, data, gan, models, quality, utils


def score(generator, judge, x_test) -> dict:
    scores = quality.judge_scores(judge, quality.generate(generator, 10_000, seed=0), reference=x_test)
    fractions = scores["class_fractions"]
    return {
        "classifier_score": round(scores["classifier_score"], 3),
        "frechet_distance": round(scores["frechet_distance"], 2),
        "rarest_class": min(fractions),
        "commonest_class": max(fractions),
        "mode_collapse": scores["mode_collapse"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", default="mixed_bfloat16")
    parser.add_argument("--epochs", type=int, default=config.GAN_EPOCHS)
    parser.add_argument("--no-xla", action="store_true", help="train without XLA (op determinism on)")
    parser.add_argument("--out", type=Path, default=None, help="also write the comparison as JSON here")
    args = parser.parse_args()
    print(utils.versions())
    d = data.load_study_data()
    judge = models.build_judge()
    judge.load_weights(config.JUDGE_PATH)

    rows = {"committed float32 DCGAN (02_dcgan.ipynb)": score(gan.load_generator(), judge, d["x_test"])}
    committed = json.loads(config.GAN_HISTORY_PATH.read_text())
    rows["committed float32 DCGAN (02_dcgan.ipynb)"]["seconds_per_epoch"] = round(
        float(np.mean(committed["epoch_seconds"])), 1
    )

    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        trained, history = gan.train_gan(
            d["x_train"],
            epochs=args.epochs,
            checkpoint_dir=Path(scratch),
            jit_compile=not args.no_xla,
            precision=args.policy,
            verbose=0,
        )
        wall = time.perf_counter() - start
    name = f"{args.policy}, {'no XLA' if args.no_xla else 'XLA'}, {args.epochs} epochs (this run)"
    rows[name] = score(trained.generator, judge, d["x_test"])
    rows[name]["seconds_per_epoch"] = round(float(np.mean(history["epoch_seconds"])), 1)
    rows[name]["wall_seconds"] = round(wall, 1)

    print(f"\n{'model':58s} {'s/epoch':>8s} {'score':>7s} {'Fréchet':>8s} {'classes':>13s}")
    for name, row in rows.items():
        print(
            f"{name:58s} {row['seconds_per_epoch']:8.1f} {row['classifier_score']:7.2f} "
            f"{row['frechet_distance']:8.1f} {row['rarest_class']:6.1%}-{row['commonest_class']:5.1%}"
        )
    if args.out:
        utils.atomic_write_text(args.out, json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
