"""The report's questions 1 and 4: with more GAN training, does the transferred discriminator reach the CNN, and do
the GAN's losses settle? (``09_longer_gan.ipynb``)

The DCGAN is trained with the study's recipe (02's: the seed-42 10k subset, Adam 1e-4, batch 100, seed 42) in
stages up to ``config.LONGER_GAN_STAGES`` epochs, one resumable training state for the whole run: each stage
continues where the previous one stopped, and at its end the discriminator is exported
(``discriminator_<epochs>.weights.h5``, under 1 MB: committed) and the generator's 10,000 samples are scored by
the judge (classifier score, Fréchet distance to the 10,000 test images, as in 02). Each exported discriminator
then gets trial 3's classifier (Dense(128) head, SGD 0.01, the label study's equal budget: 1,500 updates, the
first 7 of 15 rounds frozen, the round with the best validation accuracy kept) with 3 training seeds, on the 10k
subset and on 1,000 labels (balanced, drawn by the seed), scored once on the 10,000 test images; the CNN gets the
same seeds, data, budget and rule as the reference.

Every result is kept in the run store (:mod:`digitgan.store`, ``runs.json`` beside the exported weights) as soon as
it exists, so an interrupted run resumes and a rerun reuses what is there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checkpoint, checks, config, fileio, gan, quality, utils
from digitgan.extensions import label_efficiency
from digitgan.store import STORE_FILE, Store, array_digest, weights_digest

# The longer DCGAN run (09): its exported discriminators and scores (committed) and its training state (git-ignored);
# 3 DCGANs of different seeds (the study's seed 42 is 09's run) likewise.
LONGER_GAN_DIR = config.CHECKPOINT_DIR / "longer_gan"
LONGER_GAN_STATE_DIR = config.CHECKPOINT_DIR / "dcgan_longer"
GAN_SPREAD_DIR = config.CHECKPOINT_DIR / "gan_spread"
GAN_SPREAD_STATE_DIR = config.CHECKPOINT_DIR / "dcgan_spread"


def discriminator_path(folder: Path, epochs: int) -> Path:
    return Path(folder) / f"discriminator_{epochs:03d}.weights.h5"


def train_stages(
    x_train: np.ndarray,
    stages=config.LONGER_GAN_STAGES,
    folder: Path = LONGER_GAN_DIR,
    state_dir: Path = LONGER_GAN_STATE_DIR,
    judge=None,
    reference: np.ndarray | None = None,
    n_samples: int = config.GAN_EVAL_SAMPLES,
    seed: int = config.SEED,
    sample_seed: int = 0,
    verbose: int = 0,
) -> tuple[dict, dict]:
    """Train the DCGAN stage by stage (resuming), export each stage's discriminator and score its generator.

    Returns ``(scores, losses)``: ``scores[epochs]`` holds the classifier score, Fréchet distance (given
    ``reference``), class fractions and the seconds of training up to it; ``losses`` the mean generator and
    discriminator loss of every epoch up to the last stage (:func:`epoch_losses`), kept in the run store with the
    scores, so a rerun needs neither the training state (``state_dir``, git-ignored) nor the training.
    """
    stages = sorted(checks.integer("stages entry", s, 1) for s in stages)
    if not stages or len(set(stages)) != len(stages):
        raise ValueError(f"stages must be distinct epoch counts, got {stages}")
    if judge is None:
        raise ValueError("judge is needed to score each stage: quality.train_judge(...) (02 trains and caches it)")
    folder = Path(folder)
    store = Store(folder / STORE_FILE)
    common = _stage_inputs(x_train, judge, reference, n_samples, seed, sample_seed)
    history, scores_by_stage = None, {}
    losses_inputs = {**common, "part": "GAN losses", "epochs": stages[-1]}
    for epochs in stages:
        inputs = {**common, "epochs": epochs}
        found = store.get(inputs)
        if found is not None and discriminator_path(folder, epochs).is_file():
            scores_by_stage[epochs] = found
            continue
        model, history = gan.train_gan(
            x_train, epochs=epochs, checkpoint_dir=state_dir, seed=seed, verbose=verbose, jit_compile=config.GAN_XLA
        )
        fileio.save_weights(model.discriminator, discriminator_path(folder, epochs))
        images = quality.generate(model.generator, n_samples, seed=sample_seed)  # 02 scores seed 0's samples
        scores = quality.judge_scores(judge, images, reference)
        scores["seconds"] = float(sum(history["epoch_seconds"]))
        scores_by_stage[epochs] = store.put(inputs, scores)
        print(
            f"{epochs:4d} epochs: classifier score {scores['classifier_score']:.2f}"
            + (f", Fréchet distance {scores['frechet_distance']:.1f}" if "frechet_distance" in scores else ""),
            flush=True,
        )
    if history is not None:
        losses = epoch_losses(history)
        store.put(losses_inputs, {key: [round(float(v), 5) for v in losses[key]] for key in losses})
    losses = store.get(losses_inputs)
    if losses is None:  # stages stored before their losses were: the training state still has them
        history = checkpoint.saved_history(state_dir)
        losses = epoch_losses(history)
        losses = store.put(losses_inputs, {key: [round(float(v), 5) for v in losses[key]] for key in losses})
    return scores_by_stage, losses


def _stage_inputs(x_train, judge, reference, n_samples: int, seed: int, sample_seed: int) -> dict:
    """What decides a stage's scores besides its epochs: the GAN's training images, recipe, seed, XLA and precision,
    the judge's weights, the samples scored and the Fréchet reference images."""
    return {
        "part": "GAN stage",
        "images": array_digest(x_train),
        "seed": seed,
        "batch_size": config.BATCH_SIZE,
        "learning_rate": config.GAN_LEARNING_RATE,
        "xla": config.GAN_XLA,
        "precision": config.GAN_PRECISION,
        "judge": weights_digest(judge),
        "n_samples": n_samples,
        "sample_seed": sample_seed,
        "reference": None if reference is None else array_digest(reference),
        **_edited_networks(),
    }


def _edited_networks() -> dict:
    """``architecture`` (the DCGAN's networks' digest) where the networks are not the study's, so a stage of an
    edited network is never read as the study's; nothing for the study's own (its stored stages keep their keys)."""
    from digitgan.models import build_discriminator, build_generator
    from digitgan.store import STUDY_EXPORT, architecture_digest

    digest = architecture_digest(build_generator(), build_discriminator())
    return {} if digest == STUDY_EXPORT["settings"]["architecture"] else {"architecture": digest}


def evaluate_stages(
    stages=config.LONGER_GAN_STAGES,
    seeds=config.LABEL_SEEDS,
    label_counts=(config.SUBSET_SIZE, 1_000),
    folder: Path = LONGER_GAN_DIR,
    source=None,
    n_val: int = config.LABEL_EFFICIENCY_VAL,
    also_read: tuple[Path, ...] = (),
    classifier_updates: int | None = None,
) -> list[dict]:
    """Trial 3 on every stage's discriminator and the CNN, for every label count and seed; one record per run.

    The classifiers are trained as in the label study (08, :mod:`.label_efficiency`): the same budget at
    every label count (``config.CLASSIFIER_UPDATES`` updates in rounds of ``label_efficiency.CLASSIFIER_ROUND``),
    the round with the best accuracy on the run's validation split (``n_val`` labelled training images outside its
    labelled ones) kept, the test set read once; ``classifier_updates`` changes the budget (small runs). Runs are
    cached in ``folder / STORE_FILE``; ``also_read``: other caches of the same runs (08's: the CNN's, and trial 3's
    on a discriminator identical to the study's, are reused).
    Records: ``model`` ("trial3" or "cnn"), ``gan_epochs`` (None for the CNN), ``n_labels``, ``seed``,
    ``test_accuracy``, ``val_accuracy``, ``n_updates``, ``seconds``."""
    folder = Path(folder)
    label_efficiency.settings("cnn", label_counts[0], classifier_updates=classifier_updates)  # checked first
    study = label_efficiency.Study(folder / STORE_FILE, also_read, source, None, n_val, None)
    records = []
    for n_labels in label_counts:
        for seed in seeds:
            for model_name, epochs in [("cnn", None), *(("trial3", e) for e in stages)]:
                path = None if epochs is None else discriminator_path(folder, epochs)
                s = label_efficiency.settings(
                    model_name, n_labels, n_val=n_val, classifier_updates=classifier_updates, discriminator_path=path
                )
                result = study.run(model_name, n_labels, seed, s, discriminator_path=path)
                records.append(
                    {
                        "model": model_name,
                        "gan_epochs": epochs,
                        "n_labels": n_labels,
                        "seed": seed,
                        "test_accuracy": result["test_accuracy"],
                        "val_accuracy": result["val_accuracy"],
                        "n_updates": label_efficiency.n_updates(model_name, n_labels, s),
                        "seconds": result["seconds"],
                    }
                )
    return records


def _spread_folder(seed: int, root: Path = GAN_SPREAD_DIR) -> Path:
    """Where the DCGAN of ``seed`` keeps its exported discriminators and scores (the GAN-spread runs)."""
    return Path(root) / f"seed{seed}"


def train_spread(
    x_train: np.ndarray,
    judge,
    reference: np.ndarray | None = None,
    seeds=config.GAN_SPREAD_SEEDS,
    stages=config.GAN_SPREAD_STAGES,
    root: Path = GAN_SPREAD_DIR,
    state_root: Path = GAN_SPREAD_STATE_DIR,
    n_samples: int = config.GAN_EVAL_SAMPLES,
) -> dict:
    """The GAN's own run-to-run spread: one DCGAN per seed, trained with 02's recipe and scored at each stage like
    :func:`train_stages` (each seed its own resumable state). Returns ``{seed: {epochs: scores}}``."""
    return {
        seed: train_stages(
            x_train,
            stages,
            _spread_folder(seed, root),
            Path(state_root) / f"seed{seed}",
            judge,
            reference,
            n_samples,
            seed=seed,
        )[0]
        for seed in seeds
    }


def evaluate_spread(
    seeds=config.GAN_SPREAD_SEEDS,
    stages=config.GAN_SPREAD_STAGES,
    root: Path = GAN_SPREAD_DIR,
    classifier_seeds=config.LABEL_SEEDS,
    label_counts=(config.SUBSET_SIZE, 1_000),
    **kwargs,
) -> list[dict]:
    """:func:`evaluate_stages` on every spread GAN's discriminators; each record also names its ``gan_seed``. The
    CNN's runs are the label study's (read from its cache, not trained again)."""
    records = []
    also_read = (config.LABEL_EFFICIENCY_CACHE, LONGER_GAN_DIR / STORE_FILE)
    for seed in seeds:
        for r in evaluate_stages(
            stages, classifier_seeds, label_counts, _spread_folder(seed, root), also_read=also_read, **kwargs
        ):
            records.append({**r, "gan_seed": seed})
    return records


def _spread_main() -> None:
    """``python -m digitgan.extensions.longer_gan``:
    the spread GANs and their classifiers, in the background (resumable)."""
    from digitgan import data

    print(utils.versions(), flush=True)
    d = data.load_study_data(config.SUBSET_SIZE, config.SEED)
    full = data.load_study_data(config.N_TRAIN_FULL, config.SEED)
    judge, _ = quality.train_judge(full["x_train"], full["y_train"], d["x_test"], d["y_test"], path=config.JUDGE_PATH)
    with utils.timer() as t:
        train_spread(d["x_train"], judge, d["x_test"])
        records = evaluate_spread()
    print(pd.DataFrame(records).to_string(), flush=True)
    print(f"{t['seconds'] / 60:.1f} min in this call")


def summary_table(records: list[dict]) -> pd.DataFrame:
    """Test accuracy per model, GAN epochs (missing for the CNN) and label count: mean, std (ddof 1; missing for a
    single run) and the number of runs."""
    frame = pd.DataFrame(records)
    frame["gan_epochs"] = frame["gan_epochs"].astype("Int64")
    grouped = frame.groupby(["model", "gan_epochs", "n_labels"], dropna=False)["test_accuracy"]
    return utils.seed_stats(grouped).reset_index()


def epoch_losses(history: dict) -> pd.DataFrame:
    """The mean generator and discriminator loss of every epoch (rows: epochs 1..N) of a per-batch history."""
    epochs = len(history["epoch_seconds"])
    per_epoch = len(history["g_loss"]) // epochs
    return pd.DataFrame(
        {
            key: np.asarray(history[key][: epochs * per_epoch]).reshape(epochs, per_epoch).mean(1)
            for key in ("g_loss", "d_loss")
        },
        index=pd.RangeIndex(1, epochs + 1, name="epoch"),
    )


def to_results(scores: dict, records: list[dict], losses: dict) -> dict:
    """What results.json records under ``future_work`` -> ``longer_gan``: per GAN epoch count the judge's scores
    and trial 3's test accuracy per label count (mean, std, runs, every seed's; the mean validation accuracy, by
    which the findings name the best stage), the CNN's, every run, and the per-epoch mean losses."""
    table = summary_table(records)

    def cells(part: pd.DataFrame) -> dict:
        out = {}
        for _, row in part.iterrows():
            epochs = None if pd.isna(row["gan_epochs"]) else int(row["gan_epochs"])
            same = (row["model"], epochs, row["n_labels"])
            seeds = [r for r in records if (r["model"], r["gan_epochs"], r["n_labels"]) == same]
            out[str(int(row["n_labels"]))] = {
                "mean": float(row["mean"]),
                "std": None if pd.isna(row["std"]) else float(row["std"]),
                "runs": int(row["runs"]),
                "by_seed": {str(r["seed"]): r["test_accuracy"] for r in seeds},
                "val_mean": float(np.mean([r["val_accuracy"] for r in seeds])),
            }
        return out

    stages = {}
    for epochs, score in sorted(scores.items()):
        part = table[(table["model"] == "trial3") & (table["gan_epochs"] == epochs)]
        stages[str(epochs)] = {
            "classifier_score": score["classifier_score"],
            "frechet_distance": score.get("frechet_distance"),
            "class_fractions": score["class_fractions"],
            "mode_collapse": score["mode_collapse"],
            "trial3": cells(part),
        }
    return {
        "stages": stages,
        "cnn": cells(table[table["model"] == "cnn"]),
        "runs": records,
        "epoch_losses": {key: list(losses[key]) for key in ("g_loss", "d_loss")},
        "seconds_gan": float(scores[max(scores)]["seconds"]),
    }


def stage_table(scores: dict) -> pd.DataFrame:
    """One row per stage: the judge's classifier score, the Fréchet distance, the rarest and commonest digit's share
    of the samples, and the training minutes up to it."""
    return pd.DataFrame(
        [
            {
                "GAN epochs": epochs,
                "classifier score": round(s["classifier_score"], 3),
                "Fréchet distance": round(s.get("frechet_distance", float("nan")), 1),
                "rarest digit": min(s["class_fractions"]),
                "commonest digit": max(s["class_fractions"]),
                "training minutes": round(s["seconds"] / 60, 1),
            }
            for epochs, s in sorted(scores.items())
        ]
    ).set_index("GAN epochs")


def spread_summary(
    scores: dict, records: list[dict], spread_scores: dict, spread_records: list[dict], seed: int = config.SEED
) -> dict:
    """The GAN's run-to-run spread beside 09's one GAN: for every stage that the spread GANs share with it, each
    GAN's (``seed``'s and the spread seeds') classifier score, Fréchet distance and trial 3's mean test accuracy over
    its classifier seeds per label count; then, tested with :func:`digitgan.utils.difference`, the change from the
    first shared stage to the last one, paired by GAN, and 09's one GAN at each later stage against the GANs at the
    last shared stage. What results.json records under ``future_work`` -> ``longer_gan`` -> ``gan_spread``."""
    runs = [{**r, "gan_seed": seed} for r in records if r["model"] == "trial3"]
    runs += [r for r in spread_records if r["model"] == "trial3"]
    shared = sorted(set(scores) & set.intersection(*(set(s) for s in spread_scores.values())))
    if not shared:
        theirs = sorted(set().union(*spread_scores.values()))
        raise ValueError(
            f"the spread GANs share no stage with 09's GAN (its stages {sorted(scores)}, theirs "
            f"{theirs}): train them at one of its stages"
        )
    gans = {seed: scores, **spread_scores}
    labels = sorted({r["n_labels"] for r in runs}, reverse=True)

    def trial3(gan_seed: int, epochs: int, n_labels: int) -> float:
        values = [
            r["test_accuracy"]
            for r in runs
            if (r["gan_seed"], r["gan_epochs"], r["n_labels"]) == (gan_seed, epochs, n_labels)
        ]
        return float(np.mean(values))

    stages = {}
    for epochs in shared:
        stages[str(epochs)] = {
            "classifier_score": {str(g): float(gans[g][epochs]["classifier_score"]) for g in gans},
            "frechet_distance": {str(g): float(gans[g][epochs]["frechet_distance"]) for g in gans},
            "trial3": {str(n): {str(g): trial3(g, epochs, n) for g in gans} for n in labels},
        }
    first, last = str(shared[0]), str(shared[-1])
    measures = {
        "classifier_score": lambda st: st["classifier_score"],
        "frechet_distance": lambda st: st["frechet_distance"],
        **{f"trial3_{n}": (lambda st, n=n: st["trial3"][str(n)]) for n in labels},
    }
    changes = {}
    if first != last:
        for name, get in measures.items():
            a, b = get(stages[last]), get(stages[first])
            changes[name] = utils.difference([a[g] for g in sorted(a)], [b[g] for g in sorted(b)], paired=True)
    later = {}
    for epochs in sorted(e for e in scores if e > shared[-1]):
        later[str(epochs)] = {}
        for name, get in measures.items():
            one = {
                "classifier_score": scores[epochs]["classifier_score"],
                "frechet_distance": scores[epochs].get("frechet_distance"),
            }.get(name)
            if name.startswith("trial3_"):
                one = trial3(seed, epochs, int(name.removeprefix("trial3_")))
            spread = get(stages[last])
            later[str(epochs)][name] = utils.difference(float(one), [spread[g] for g in sorted(spread)])
    return {
        "gan_seeds": sorted(gans),
        "stages": stages,
        "change": {"from": shared[0], "to": shared[-1], **changes},
        "one_gan_against_spread": later,
    }


def spread_table(summary: dict) -> pd.DataFrame:
    """One row per (stage, GAN seed): its classifier score, Fréchet distance and trial 3's mean per label count,
    then a row per stage with the mean and standard deviation over the GANs."""
    rows = []
    for epochs, st in summary["stages"].items():
        for g in map(str, summary["gan_seeds"]):
            rows.append(
                {
                    "GAN epochs": int(epochs),
                    "GAN seed": g,
                    "classifier score": st["classifier_score"][g],
                    "Fréchet distance": st["frechet_distance"][g],
                    **{f"trial 3, {int(n):,} labels": v[g] for n, v in st["trial3"].items()},
                }
            )
    frame = pd.DataFrame(rows)
    stats = frame.drop(columns="GAN seed").groupby("GAN epochs").agg(["mean", "std"])
    for epochs, row in stats.iterrows():
        rows.append(
            {
                "GAN epochs": epochs,
                "GAN seed": "mean ± std",
                **{col: f"{row[(col, 'mean')]:.4f} ± {row[(col, 'std')]:.4f}" for col in stats.columns.levels[0]},
            }
        )
    return pd.DataFrame(rows).set_index(["GAN epochs", "GAN seed"]).round(4)


if __name__ == "__main__":
    _spread_main()
