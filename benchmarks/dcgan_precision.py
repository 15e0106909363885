"""Does mixed_bfloat16 cost the DCGAN sample quality? 3 seeds per precision, 50 epochs each, scored alike.

    python benchmarks/dcgan_precision.py [--seeds 42 43 44] [--policies float32 mixed_bfloat16] [--epochs 50]

Each run is ``digitgan.gan.train_gan`` with the study's recipe (the 10k subset, batch 100, the study's
networks) under one precision policy and one seed (the seed draws the initial weights and the batch order),
trained into its own git-ignored folder ``runs/dcgan_precision/<policy>-seed<seed>/`` (resumable: rerun the
command after an interruption; finished runs are reused). Runs are interleaved (seed 42 in both precisions,
then 43, ...) so that a stopped study still compares like with like.

Every run is scored with the committed judge on the same 10,000 samples (fixed noise): the classifier score
and the Fréchet distance to the 10,000 test images. Results go to ``benchmarks/results/dcgan_precision.json``
(one entry per run, then the summary: mean ± std over seeds and the verdict: bf16 counts as no worse when its mean
score is at least the float32 mean minus the float32 std and its mean Fréchet distance at most the float32 mean
plus the float32 std). Every run trains without XLA (``config.GAN_XLA``: slower in both precisions on the CPUs
measured, ``benchmarks/gan_step.py``), as the committed runs did.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_info  # noqa: E402

from digitgan import config, data, fileio, gan, quality, utils  # noqa: E402
from digitgan.models import build_judge  # noqa: E402

RESULTS = config.PROJ_ROOT / "benchmarks" / "results" / "dcgan_precision.json"
RUNS = config.RUNS_DIR / "dcgan_precision"
POLICIES = ("float32", "mixed_bfloat16")


def score(generator, judge, x_test) -> dict:
    scores = quality.judge_scores(judge, quality.generate(generator, config.GAN_EVAL_SAMPLES, seed=0), reference=x_test)
    fractions = scores["class_fractions"]
    return {
        "classifier_score": round(scores["classifier_score"], 4),
        "frechet_distance": round(scores["frechet_distance"], 3),
        "rarest_class": min(fractions),
        "commonest_class": max(fractions),
        "mode_collapse": scores["mode_collapse"],
    }


def summarize(runs: dict, policies, epochs: int) -> dict:
    out = {}
    for policy in policies:
        rows = [r for r in runs.values() if r["policy"] == policy and r["epochs"] == epochs]
        if not rows:
            continue
        entry = {"n": len(rows), "seeds": sorted(r["seed"] for r in rows)}
        for key in ("classifier_score", "frechet_distance", "seconds_per_epoch"):
            values = np.array([r[key] for r in rows], dtype=float)
            entry[key] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else None}
        out[policy] = entry
    fp32, bf16 = out.get("float32"), out.get("mixed_bfloat16")
    if fp32 and bf16 and fp32["n"] >= 3 and bf16["n"] >= 3:
        s, f = fp32["classifier_score"], fp32["frechet_distance"]
        out["bf16_no_worse"] = bool(
            bf16["classifier_score"]["mean"] >= s["mean"] - s["std"]
            and bf16["frechet_distance"]["mean"] <= f["mean"] + f["std"]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=POLICIES)
    parser.add_argument("--epochs", type=int, default=config.GAN_EPOCHS)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default: the committed one)")
    args = parser.parse_args()
    print(utils.versions(), flush=True)
    d = data.load_study_data()
    judge = fileio.load_weights(build_judge(), config.JUDGE_PATH, "Run 02_dcgan.ipynb first (it trains the judge).")

    for seed in args.seeds:
        for policy in args.policies:
            key = f"{policy}/seed{seed}/epochs{args.epochs}"
            done = fileio.load_results(args.out).get("runs", {})
            if key in done:
                print(f"{key}: done before ({done[key]['classifier_score']:.3f}, {done[key]['frechet_distance']:.1f})")
                continue
            start = time.perf_counter()
            trained, history = gan.train_gan(
                d["x_train"],
                epochs=args.epochs,
                checkpoint_dir=RUNS / f"{policy}-seed{seed}",
                seed=seed,
                precision=policy,
                jit_compile=config.GAN_XLA,
                verbose=2,
            )
            row = {
                "policy": policy,
                "seed": seed,
                "epochs": args.epochs,
                "jit_compile": bool(trained.jit_compile),
                **score(trained.generator, judge, d["x_test"]),
                "seconds_per_epoch": round(float(np.median(history["epoch_seconds"])), 2),
                "wall_seconds_this_call": round(time.perf_counter() - start, 1),
            }
            print(f"{key}: {row}", flush=True)
            with fileio.results_lock(args.out):
                results = fileio.load_results(args.out)
                results.setdefault("runs", {})[key] = row
                results["summary"] = summarize(results["runs"], POLICIES, args.epochs)
                results["machine"] = cpu_info()["model"]
                fileio.atomic_write_text(args.out, fileio.dumps(results, indent=1, sort_keys=True) + "\n")

    summary = summarize(fileio.load_results(args.out).get("runs", {}), POLICIES, args.epochs)
    print(f"\n{'policy':16s} {'n':>2s} {'score':>16s} {'Fréchet':>16s} {'s/epoch':>8s}")
    for policy in POLICIES:
        if policy in summary:
            e = summary[policy]
            sd = {k: e[k]["std"] or 0.0 for k in ("classifier_score", "frechet_distance")}
            print(
                f"{policy:16s} {e['n']:2d} {e['classifier_score']['mean']:8.3f} ± {sd['classifier_score']:.3f} "
                f"{e['frechet_distance']['mean']:8.1f} ± {sd['frechet_distance']:5.1f} "
                f"{e['seconds_per_epoch']['mean']:8.1f}"
            )
    if "bf16_no_worse" in summary:
        print(f"bf16 no worse than float32 (within float32's seed spread): {summary['bf16_no_worse']}")


if __name__ == "__main__":
    main()
