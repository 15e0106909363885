"""Test accuracy against the number of labelled images, for four ways to classify digits, every choice made on a
validation split and every gradient-trained method given the same budget at every label count.

Every method sees the same labelled images for a given ``(n_labels, seed)`` (:func:`digitgan.data.label_subset_indices`:
balanced and drawn by the seed for 100 and 1,000 labels, the study's seed-42 subset for 10,000, where the seed
only drives training) and the same validation split (:func:`digitgan.data.validation_indices`:
``config.LABEL_EFFICIENCY_VAL`` labelled training images outside the subset, balanced, drawn by the seed). Choices
are made on the validation split; the 10,000 test images are read once per final model:

- ``cnn``: the baseline CNN with the original's optimiser (SGD 0.01, batch 100) for ``config.CLASSIFIER_UPDATES``
  updates at every label count, checked on the validation split every ``CLASSIFIER_ROUND`` updates; the
  weights of the best check are kept;
- ``trial3``: the 50-epoch DCGAN's discriminator with trial 3's head, the same budget and rule, its schedule in
  the same proportion (7 of 15 rounds frozen, then fine-tuned);
- ``pca_knn``: PCA + k-nearest neighbours, components and k chosen on the validation split;
- ``ssgan``: the semi-supervised GAN (:mod:`digitgan.extensions.ssgan`), which also sees the 60,000 images unlabelled:
  ``config.SSGAN_EPOCHS`` epochs of 600 updates (no early stop while ``ssgan.PATIENCE`` is None), the
  epoch and weight set (averaged or raw) with the best validation accuracy kept; its learning rate is chosen among
  ``config.SSGAN_LEARNING_RATES`` on the validation split of the first label count and seed, with shorter runs
  (``config.SSGAN_SWEEP_EPOCHS``, stopped after ``config.SSGAN_SWEEP_PATIENCE`` epochs without progress;
  :func:`choose_ssgan_learning_rate`), and used for every run.

Each run's result is kept in the run store (:mod:`digitgan.store`, ``config.LABEL_EFFICIENCY_CACHE``) as soon as
it finishes, so an interrupted study resumes where it stopped and a rerun reuses what exists. A stored result is
found by its method, label count, seed *and* every setting that shapes it (:func:`settings`), so a request with
other settings trains anew and never returns another run.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, compare, config, fileio, gan, training, transfer, utils
from digitgan.extensions import ssgan
from digitgan.models import build_cnn
from digitgan.store import Store, file_digest, model_fields

CLASSIFIER_ROUND = 100  # updates between two validation checks of the CNN and trial 3
WEIGHTS_DIR = config.CHECKPOINT_DIR / config.MATCHED_WEIGHTS_NAME  # kept weights of the label study's runs (committed)

METHODS = config.LABEL_EFFICIENCY_METHODS
LABELS = config.LABEL_EFFICIENCY_NAMES


def settings(
    method: str,
    n_labels: int,
    ssgan_epochs: int | None = None,
    n_unlabelled: int | None = None,
    learning_rate: float | None = None,
    n_val: int = config.LABEL_EFFICIENCY_VAL,
    classifier_updates: int | None = None,
    discriminator_path: Path | None = None,
    ssgan_patience: int | None = ssgan.PATIENCE,
    classifier_round: int = CLASSIFIER_ROUND,
) -> dict:
    """Every setting that shapes one run's result besides ``(method, n_labels, seed)``: the cache key's rest.
    ``classifier_updates``: the CNN's and trial 3's budget (default ``config.CLASSIFIER_UPDATES``; a multiple of
    ``classifier_round``, the updates between two validation checks: :func:`epoch_budget` gives one epoch of the
    labelled images). ``ssgan_patience``: the SSGAN stops after that many epochs without a better
    validation accuracy; ``None``: it trains every epoch of its budget. ``discriminator_path``: trial 3's
    transferred discriminator (default: the study's, ``config.DISCRIMINATOR_PATH``); runs on different
    discriminators differ in its digest. ``ssgan_epochs``, ``n_unlabelled``, ``learning_rate``: ``None`` is the
    study's value (``config.SSGAN_EPOCHS``, all 60,000 images, ``ssgan.LEARNING_RATE``); 0, a negative or an
    out-of-range value is an error naming the parameter, never the default."""
    checks.choice("method", method, METHODS)
    checks.integer("n_labels", n_labels, config.NUM_CLASSES, config.N_TRAIN_FULL)
    checks.integer("n_val", n_val, config.NUM_CLASSES)
    common = {"n_val": n_val}
    if method in ("cnn", "trial3"):
        updates = config.CLASSIFIER_UPDATES if classifier_updates is None else classifier_updates
        every = checks.integer("classifier_round", classifier_round, 1)
        checks.integer("classifier_updates", updates, every)
        if updates % every:
            raise ValueError(f"classifier_updates={updates} must be a multiple of the validation round, {every}")
        out = {
            **common,
            "updates": updates,
            "round": every,
            "learning_rate": config.SGD_LEARNING_RATE,
            "batch_size": config.BATCH_SIZE,
            "keep": "best validation round",
        }
        from digitgan.extensions import protocols

        out.update(model_fields(protocols.classifier(method), protocols.STUDY_ARCHITECTURE[method]))
        if method == "trial3":
            head, frozen = config.trial_schedule("trial3")
            rounds = updates // every
            out.update(
                head=head,
                frozen_rounds=round(frozen * rounds / config.TRANSFER_EPOCHS),
                discriminator_sha256=_file_digest(discriminator_path or config.DISCRIMINATOR_PATH),
            )
        return out
    if method == "pca_knn":
        return {**common, "components": list(config.PCA_COMPONENTS), "k": list(config.KNN_KS)}
    # None means the study's value; any other value is checked and kept as given (0 is an error, never the default)
    if ssgan_epochs is None:
        epochs = config.SSGAN_EPOCHS
    else:
        checks.integer("ssgan_epochs", ssgan_epochs, 1)
        epochs = ssgan_epochs
    if learning_rate is None:
        learning_rate = ssgan.LEARNING_RATE
    else:
        checks.learning_rate(learning_rate)
    if n_unlabelled is None:
        n_unlabelled = config.N_TRAIN_FULL
    else:
        checks.integer("n_unlabelled", n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL)
    return {
        **common,
        "epochs": epochs,
        "patience": None if ssgan_patience is None else checks.integer("ssgan_patience", ssgan_patience, 1),
        "decay_start": round(ssgan.DECAY_FRACTION * epochs),
        "learning_rate": learning_rate,
        "ema_decay": ssgan.EMA_DECAY,
        "batch_size": config.BATCH_SIZE,
        "n_unlabelled": n_unlabelled,
        "step": "fused",  # ssgan's one training step; part of the stored runs' keys
        "xla": config.SSGAN_XLA,
        "keep": "best validation epoch, averaged or raw weights",
    }


def epoch_budget(n_labels: int, epochs: int = config.TRANSFER_EPOCHS) -> dict:
    """The original protocol's budget at ``n_labels``: ``epochs`` passes over the labelled images in batches of
    ``config.BATCH_SIZE``, checked on the validation split after every epoch (``classifier_updates`` and
    ``classifier_round`` for :func:`settings`). At 10,000 labels this is the 1,500-update budget."""
    per_epoch = -(-checks.integer("n_labels", n_labels, config.NUM_CLASSES) // config.BATCH_SIZE)
    return {"classifier_updates": checks.integer("epochs", epochs, 1) * per_epoch, "classifier_round": per_epoch}


def run_epoch_arm(label_counts=config.LABEL_COUNTS, seeds=config.LABEL_SEEDS, **where) -> pd.DataFrame:
    """The CNN and trial 3 at the original's budget (:func:`epoch_budget`: 15 epochs at every label count) on
    the label study's images and validation split, the best epoch on validation kept, each run stored at once
    (the same store and keys as :func:`run_study`, so 10,000 labels reuses the study's 1,500-update runs)."""
    study = _Study(**where)
    rows = []
    for n_labels in label_counts:
        for seed in [checks.seed(s, "seeds entry") for s in seeds]:
            for method in ("cnn", "trial3"):
                s = settings(method, n_labels, n_val=study.n_val, **epoch_budget(n_labels))
                result = study.run(method, n_labels, seed, s)
                rows.append({"method": method, "n_labels": n_labels, "seed": seed, **result, "n_updates": s["updates"]})
    return pd.DataFrame(rows)


def transfer_vs_scratch(runs: pd.DataFrame) -> dict:
    """Per label count: trial 3's test accuracy minus the CNN's of the same seeds (paired t-test,
    :func:`digitgan.utils.difference`), with the budget both had in updates."""
    out = {}
    for n_labels in sorted(runs["n_labels"].unique()):
        part = runs[(runs["n_labels"] == n_labels) & runs["method"].isin(("trial3", "cnn"))]
        trial3, cnn = (part[part["method"] == m].set_index("seed")["test_accuracy"] for m in ("trial3", "cnn"))
        seeds = sorted(set(trial3.index) & set(cnn.index))
        if len(seeds) > 1:
            test = utils.difference(trial3[seeds].tolist(), cnn[seeds].tolist(), paired=True)
            out[str(int(n_labels))] = {**test, "n_updates": int(part["n_updates"].max())}
    return out


def n_updates(method: str, n_labels: int, run_settings: dict) -> int | None:
    """A run's training budget in gradient updates: the same at every label count for a method (the classifiers'
    ``updates``; the SSGAN's epochs x batches of its unlabelled images, each paired with a labelled batch; at most,
    when it has an early stop). ``None`` for PCA + KNN (no gradient training)."""
    if method == "pca_knn":
        return None
    if method == "ssgan":
        return run_settings["epochs"] * (run_settings["n_unlabelled"] // run_settings["batch_size"])
    return run_settings["updates"]


def _file_digest(path: Path) -> str | None:
    path = Path(path)
    return file_digest(path) if path.is_file() else None


def _digest(run_settings: dict) -> str:
    return hashlib.sha256(fileio.dumps(run_settings, sort_keys=True).encode()).hexdigest()[:8]


def run_inputs(method: str, n_labels: int, seed: int, run_settings: dict) -> dict:
    """Everything that decides one run's result (its run-store key's source): the method, the label count, the
    seed (which draws the labelled images and the validation split from the checksummed MNIST files) and the
    settings, trial 3's discriminator digest among them."""
    return {"part": "label study", "method": method, "n_labels": n_labels, "seed": seed, "settings": run_settings}


def ssgan_dir(n_labels: int, seed: int, run_settings: dict, root: Path | None = None) -> Path:
    """Where one SSGAN run's training state lives: ``<root>/labels<N>_seed<S>_<hash of the settings>``."""
    return Path(root or ssgan.CHECKPOINT_DIR) / f"labels{n_labels}_seed{seed}_{_digest(run_settings)}"


def _accuracy(model, data: dict, split: str) -> float:
    return training.accuracy(model, data[f"x_{split}"], data[f"y_{split}"])


def _run_cnn(data: dict, seed: int, run_settings: dict, test: bool = True, weights_path: Path | None = None) -> dict:
    utils.set_seed(seed)
    model = training.compile_classifier(build_cnn(), run_settings["learning_rate"])
    best = training.BestWeights()
    start = time.perf_counter()
    history = training.fit_classifier(
        model,
        data,
        run_settings["updates"] // run_settings["round"],
        run_settings["batch_size"],
        verbose=0,
        callbacks=[best],
        validate="val",
        steps_per_epoch=run_settings["round"],
        seed=seed,
    )
    seconds = time.perf_counter() - start
    best.restore(model)
    return _classifier_result(model, data, best, history, seconds, test, weights_path)


def run_trial3(
    data: dict, seed: int, run_settings: dict, test: bool = True, discriminator_path=None, weights_path=None
) -> dict:
    path = Path(discriminator_path or config.DISCRIMINATOR_PATH)
    if _file_digest(path) != run_settings["discriminator_sha256"]:
        raise ValueError(
            f"{path} is not the discriminator these settings name: build them with settings(..., "
            f"discriminator_path={str(path)!r})"
        )
    discriminator = gan.load_discriminator(path)
    utils.set_seed(seed)
    model = transfer.discriminator_to_classifier(discriminator, head=run_settings["head"], freeze=True)
    best = training.BestWeights()
    rounds = run_settings["updates"] // run_settings["round"]
    run = transfer.train_schedule(
        model,
        data,
        run_settings["frozen_rounds"],
        rounds,
        run_settings["learning_rate"],
        run_settings["batch_size"],
        verbose=0,
        callbacks=[best],
        validate="val",
        steps_per_epoch=run_settings["round"],
        seed=seed,
    )
    best.restore(model)
    return _classifier_result(model, data, best, run["history"], run["seconds"], test, weights_path)


def _classifier_result(model, data, best, history, seconds, test: bool, weights_path: Path | None) -> dict:
    """What the label study records of a CNN or trial-3 run; with ``weights_path``, the kept weights are saved there
    (``digitgan.extensions.kept``)."""
    if weights_path is not None:
        fileio.save_weights(model, weights_path)
    return {
        "val_accuracy": best.best,
        "kept_round": best.epoch,
        "val_curve": [round(float(v), 5) for v in history["val_accuracy"]],
        "seconds": seconds,
        **({"test_accuracy": _accuracy(model, data, "test")} if test else {}),
    }


def run_pca_knn(data: dict, seed: int, run_settings: dict, test: bool = True) -> dict:
    checks.labelled(data, ("train", "val") + (("test",) if test else ()))
    start = time.perf_counter()
    best = compare.select_pca_knn(
        data["x_train"],
        data["y_train"],
        run_settings["components"],
        run_settings["k"],
        x_val=data["x_val"],
        y_val=data["y_val"],
    )
    out = {"val_accuracy": best["val_accuracy"], "n_components": best["n_components"], "k": best["k"]}
    if test:
        row = compare.fit_predict_timed(
            best["n_components"], best["k"], data["x_train"], data["y_train"], data["x_test"], data["y_test"]
        )
        out["test_accuracy"] = row["accuracy"]
    return {**out, "seconds": time.perf_counter() - start}


def train_ssgan_run(data: dict, seed: int, run_settings: dict, root: Path | None = None, log_dir: Path | None = None):
    """``(model, history)`` of one SSGAN run with these settings: trained, resumed, or its finished state reloaded
    (``ssgan_dir``)."""
    s = run_settings
    return ssgan.train_ssgan(
        data,
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        learning_rate=s["learning_rate"],
        decay_start=s["decay_start"],
        ema_decay=s["ema_decay"],
        seed=seed,
        verbose=0,
        patience=s["patience"],
        jit_compile=s["xla"],
        log_dir=log_dir,
        checkpoint_dir=ssgan_dir(len(data["y_train"]), seed, s, root),
    )


def _run_ssgan(
    data: dict, seed: int, run_settings: dict, test: bool = True, root: Path | None = None, log_dir: Path | None = None
) -> dict:
    """Train (or reload the finished checkpoint of) one SSGAN run; its history holds every epoch's validation
    accuracy; with ``test``, the kept weights are scored on the test set (once)."""
    model, history = train_ssgan_run(data, seed, run_settings, root, log_dir)
    return ssgan_result(model, history, data, run_settings, test)


def ssgan_result(model, history: dict, data: dict, run_settings: dict, test: bool = True) -> dict:
    """What the label study records of a trained SSGAN (:func:`_run_ssgan`)."""
    trained = len(history["epoch_seconds"])
    return {
        "val_accuracy": history["best"]["val_accuracy"],
        "kept_epoch": history["best"]["epoch"],
        "kept_weights": history["best"]["weights"],
        "epochs_trained": trained,
        "updates_trained": trained * (len(data["x_unlabelled"]) // run_settings["batch_size"]),
        "seconds": float(sum(history["epoch_seconds"])),
        "val_curve": [round(float(v), 5) for v in history["val_accuracy"]],
        "val_curve_raw": [round(float(v), 5) for v in history["val_accuracy_raw"]],
        **({"test_accuracy": _accuracy(model.best_discriminator, data, "test")} if test else {}),
    }


RUNNERS = {"cnn": _run_cnn, "trial3": run_trial3, "pca_knn": run_pca_knn, "ssgan": _run_ssgan}


class _Study:
    """The run store, the data of the current ``(n_labels, seed)`` and the runner calls of :func:`run_study`.

    Its arguments are the ``where`` of :func:`run_study` and :func:`choose_ssgan_learning_rate`: new results go to
    ``cache_path`` (default the study's store); results with the same key are also looked up in the caches
    ``also_read`` (a scratch run reads the study's); ``source``: where MNIST is read (``data.load_mnist``);
    ``n_unlabelled`` (small test runs only) keeps the first that many unlabelled images; ``n_val``: the validation
    split's size; SSGAN training states go under ``ssgan_root`` (default ``checkpoints/ssgan``); ``log_root``:
    ``name -> folder`` for the TensorBoard logs of new SSGAN runs (``Run.log_dir``)."""

    def __init__(
        self,
        cache_path: Path | None = None,
        also_read: tuple[Path, ...] = (),
        source=None,
        n_unlabelled: int | None = None,
        n_val: int = config.LABEL_EFFICIENCY_VAL,
        ssgan_root: Path | None = None,
        log_root=None,
    ):
        if n_unlabelled is not None:
            n_unlabelled = checks.integer("n_unlabelled", n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL)
        n_val = checks.integer("n_val", n_val, config.NUM_CLASSES)
        self.store = Store(cache_path or config.LABEL_EFFICIENCY_CACHE, also_read)
        self.source, self.n_unlabelled, self.n_val, self.ssgan_root = source, n_unlabelled, n_val, ssgan_root
        self.log_root = log_root  # a callable: name -> TensorBoard folder (Run.log_dir), or None
        self._data_key, self._data = None, None

    def data(self, n_labels: int, seed: int) -> dict:
        from digitgan.data import load_label_efficiency_data

        if self._data_key != (n_labels, seed):
            d = load_label_efficiency_data(n_labels, seed, self.source, n_val=self.n_val)
            d["x_unlabelled"] = d["x_unlabelled"][: self.n_unlabelled]
            self._data_key, self._data = (n_labels, seed), d
        return self._data

    def run(
        self, method: str, n_labels: int, seed: int, run_settings: dict, test: bool = True, discriminator_path=None
    ) -> dict:
        """The cached result, or a new run (trained, or its finished state reloaded to be tested) saved at once.
        ``discriminator_path``: trial 3's, when it is not the study's (``settings`` must name the same file)."""
        inputs = run_inputs(method, n_labels, seed, run_settings)
        cached = self.store.get(inputs)
        if cached is not None and (not test or "test_accuracy" in cached):
            return cached
        kwargs = {}
        if method == "ssgan":
            name = f"ssgan-{n_labels}labels-seed{seed}-lr{run_settings['learning_rate']:g}"
            kwargs = {"root": self.ssgan_root, "log_dir": self.log_root(name) if self.log_root else None}
        elif method == "trial3" and discriminator_path is not None:
            kwargs = {"discriminator_path": discriminator_path}
        started = time.perf_counter()
        result = RUNNERS[method](self.data(n_labels, seed), seed, run_settings, test=test, **kwargs)
        if cached is not None:  # trained before without its test score: keep the first wall time
            result["wall_seconds"] = cached["wall_seconds"]
        else:
            result["wall_seconds"] = time.perf_counter() - started
        result["settings"] = run_settings
        result = self.store.put(inputs, result)
        score = f"test accuracy {result['test_accuracy']:.4f}, " if test else ""
        print(
            f"{LABELS[method]:30s} {n_labels:6d} labels, seed {seed}: {score}validation "
            f"{result['val_accuracy']:.4f} ({result['wall_seconds']:.0f} s)",
            flush=True,
        )
        return result


MATCHED = "cnn_matched"  # the compute-matched CNN (digitgan.extensions.matched_cnn), every update trained
MATCHED_NAME = "CNN (modern recipe, the semi-supervised GAN's updates)"
MATCHED_EARLY = "cnn_matched_early"  # the same CNN stopped early (matched_cnn.PATIENCE checks without progress)
NAMES = {**LABELS, MATCHED: MATCHED_NAME, MATCHED_EARLY: f"{MATCHED_NAME[:-1]}, stopped early)"}  # tables, figures


def versions_tried(cache_path: Path | None = None, reported_epochs: int = config.SSGAN_EPOCHS) -> list[dict]:
    """Every SSGAN budget whose runs were scored on the test set, from the run store: epochs, early-stopping
    patience, per label count each seed's test and validation accuracy and their means, and whether it is the one
    reported (``reported_epochs``). The 50-epoch budget came first; its test means were seen before the budget was
    raised to 90 epochs, so both are recorded; so are the first trainings of runs retrained to keep their weights
    (``digitgan.extensions.kept.keep_ssgan``)."""
    versions = {}
    for record in Store(cache_path or config.LABEL_EFFICIENCY_CACHE).records().values():
        inputs, result = record["inputs"], record["result"]
        if inputs.get("method") != "ssgan" or "test_accuracy" not in result:
            continue
        s, n, seed = inputs["settings"], str(inputs["n_labels"]), str(inputs["seed"])
        v = versions.setdefault((s["epochs"], s.get("patience"), False), {})
        v.setdefault(n, {})[seed] = (result["test_accuracy"], result["val_accuracy"])
        if "first_training" in result:  # retrained to keep its weights: the first training was looked at too
            f = result["first_training"]
            versions.setdefault((s["epochs"], s.get("patience"), True), {}).setdefault(n, {})[seed] = (
                f["test_accuracy"],
                f["val_accuracy"],
            )
    out = []
    for (epochs, patience, first), cells in sorted(versions.items()):
        out.append(
            {
                "result": "semi-supervised GAN",
                "version": f"{epochs} epochs"
                + (f", stopped after {patience} epochs without progress" if patience else "")
                + (", first training (retrained with the same recipe and seed to keep its weights)" if first else ""),
                "reported": epochs == reported_epochs and not first,
                "test": {n: {seed: t for seed, (t, _) in sorted(c.items())} for n, c in sorted(cells.items(), key=_n)},
                "test_mean": {n: float(np.mean([t for t, _ in c.values()])) for n, c in sorted(cells.items(), key=_n)},
                "val_mean": {n: float(np.mean([v for _, v in c.values()])) for n, c in sorted(cells.items(), key=_n)},
            }
        )
    return out


def _n(item) -> int:
    return int(item[0])


def describe_splits(label_counts, seeds, n_val: int = config.LABEL_EFFICIENCY_VAL, source=None) -> pd.DataFrame:
    """One row per ``(n_labels, seed)``: the first labelled indices, the images per digit of the labelled subset
    and of its validation split, and that the two do not overlap (what every run of the study trains on)."""
    from digitgan.data import label_subset_indices, load_mnist, validation_indices

    (_, y_all), _ = load_mnist(source)
    rows = []
    for n in label_counts:
        for seed in seeds:
            idx = label_subset_indices(y_all, n, seed)
            val = validation_indices(y_all, idx, n_val, seed)
            per, per_val = np.bincount(y_all[idx], minlength=10), np.bincount(y_all[val], minlength=10)
            rows.append(
                {
                    "labels": n,
                    "seed": seed,
                    "first indices": idx[:3].tolist(),
                    "per digit": f"{per.min()}-{per.max()}",
                    "validation per digit": f"{per_val.min()}-{per_val.max()}",
                    "overlap": len(np.intersect1d(idx, val)),
                }
            )
    return pd.DataFrame(rows)


def choose_ssgan_learning_rate(
    n_labels: int,
    seed: int,
    rates=config.SSGAN_LEARNING_RATES,
    ssgan_epochs: int = config.SSGAN_SWEEP_EPOCHS,
    ssgan_patience: int | None = config.SSGAN_SWEEP_PATIENCE,
    **where,
) -> tuple[float, pd.DataFrame]:
    """Train the SSGAN at ``(n_labels, seed)`` once per learning rate (cached runs reused) and keep the one with
    the best validation accuracy (ties: the first). Each candidate has the same budget, by default the sweep's
    (``config.SSGAN_SWEEP_EPOCHS``, early stop after ``config.SSGAN_SWEEP_PATIENCE``): shorter than a study run.
    Returns ``(learning rate, table of the candidates)``; the test set is not read here. ``where``: where the runs
    are kept and what they read (``cache_path``, ``also_read``, ``source``, ``n_unlabelled``, ``n_val``,
    ``ssgan_root``, ``log_root``: see :class:`_Study`)."""
    rates = [checks.positive_float("learning rate", r) for r in rates]
    if not rates:
        raise ValueError("rates must hold at least one learning rate")
    study = _Study(**where)
    rows = []
    for rate in rates:
        s = settings(
            "ssgan", n_labels, ssgan_epochs, study.n_unlabelled, rate, study.n_val, ssgan_patience=ssgan_patience
        )
        r = study.run("ssgan", n_labels, seed, s, test=False)
        rows.append(
            {
                "learning_rate": rate,
                "val_accuracy": r["val_accuracy"],
                "kept_epoch": r.get("kept_epoch"),
                "kept_weights": r.get("kept_weights"),
                "epochs_trained": r.get("epochs_trained"),
                "max_epochs": s["epochs"],
                "minutes": round(r["seconds"] / 60, 1),
                "val_curve": r.get("val_curve", []),
            }
        )
    table = pd.DataFrame(rows)
    chosen = float(table.loc[table["val_accuracy"].idxmax(), "learning_rate"])
    table["chosen"] = table["learning_rate"] == chosen
    return chosen, table


def run_study(
    label_counts=config.LABEL_COUNTS,
    seeds=config.LABEL_SEEDS,
    methods=METHODS,
    ssgan_epochs: int | None = None,
    ssgan_learning_rate: float | None = None,
    classifier_updates: int | None = None,
    ssgan_patience: int | None = ssgan.PATIENCE,
    sweep_epochs: int = config.SSGAN_SWEEP_EPOCHS,
    sweep_patience: int | None = config.SSGAN_SWEEP_PATIENCE,
    **where,
) -> pd.DataFrame:
    """Every (method, label count, seed) run, reusing cached ones; one row per run.

    Every label count runs every seed (at 10,000 the subset is fixed and the seed drives the training and the
    validation split). ``ssgan_learning_rate=None`` chooses it with :func:`choose_ssgan_learning_rate` at the
    first label count and seed, with runs of ``sweep_epochs`` stopped by ``sweep_patience``. ``where``: where the
    runs are kept and what they read (``cache_path``, ``also_read``, ``source``, ``n_unlabelled``, ``n_val``,
    ``ssgan_root``, ``log_root``: see :class:`_Study`), the same for the choice's runs. ``classifier_updates``: the
    CNN's and trial 3's budget (default ``config.CLASSIFIER_UPDATES``). ``ssgan_patience``: the SSGAN's early
    stop (``settings``; None: none).
    """
    label_counts = [
        checks.integer("label_counts entry", n, config.NUM_CLASSES, config.N_TRAIN_FULL) for n in label_counts
    ]
    if not label_counts:
        raise ValueError("label_counts must hold at least one label count")
    seeds = [checks.seed(s, "seeds entry") for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    methods = checks.choices("methods", methods, METHODS)
    if ssgan_epochs is not None:
        ssgan_epochs = checks.integer("ssgan_epochs", ssgan_epochs, 1)
    study = _Study(**where)  # checks n_unlabelled and n_val
    if classifier_updates is not None:  # checked before anything trains
        settings("trial3", label_counts[0], classifier_updates=classifier_updates)
    if "ssgan" in methods and ssgan_learning_rate is None:
        ssgan_learning_rate, _ = choose_ssgan_learning_rate(
            label_counts[0],
            seeds[0],
            ssgan_epochs=sweep_epochs,
            ssgan_patience=sweep_patience,
            **where,
        )
    rows = []
    for n_labels in label_counts:
        for seed in seeds:
            for method in methods:
                s = settings(
                    method,
                    n_labels,
                    ssgan_epochs,
                    study.n_unlabelled,
                    ssgan_learning_rate,
                    study.n_val,
                    classifier_updates,
                    ssgan_patience=ssgan_patience,
                )
                result = study.run(method, n_labels, seed, s)
                rows.append(
                    {
                        "method": method,
                        "n_labels": n_labels,
                        "seed": seed,
                        **result,
                        "n_updates": n_updates(method, n_labels, s),
                    }
                )
    return pd.DataFrame(rows)


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of the test accuracy per method and label count, the run count, and the
    runs' training budget (``n_updates``, the same for every seed of a cell; missing for PCA + KNN)."""
    grouped = runs.groupby(["method", "n_labels"])
    table = utils.seed_stats(grouped["test_accuracy"]).reset_index()
    table["val_mean"] = grouped["val_accuracy"].mean().to_numpy()
    if "n_updates" in runs:
        table["n_updates"] = grouped["n_updates"].max().to_numpy()
    order = (*METHODS, MATCHED, MATCHED_EARLY)
    table["method"] = pd.Categorical(table["method"], [m for m in order if m in set(table["method"])])
    return table.sort_values(["method", "n_labels"]).reset_index(drop=True)


RECORD_KEYS = ("method", "n_labels", "seed", "test_accuracy", "val_accuracy", "n_updates", "seconds", "wall_seconds")
EXTRA_KEYS = ("kept_round", "kept_epoch", "kept_weights", "epochs_trained", "updates_trained", "n_components", "k")


def to_results(runs: pd.DataFrame, table: pd.DataFrame, ssgan_sweep: pd.DataFrame | None = None) -> dict:
    """What results.json records under ``"label_efficiency"``: the summary, every run, the SSGAN's learning-rate
    choice (if given) and the settings."""
    summary = {
        method: {
            str(int(row.n_labels)): {
                "mean": float(row["mean"]),
                "std": None if pd.isna(row["std"]) else float(row["std"]),
                "runs": int(row.runs),
                "val_mean": float(row["val_mean"]),
                "n_updates": None if pd.isna(row.get("n_updates")) else int(row["n_updates"]),
            }
            for _, row in part.iterrows()
        }
        for method, part in table.groupby("method", observed=True)
    }
    records = []
    for _, run in runs.iterrows():
        record = {key: run[key] for key in RECORD_KEYS}
        extra = {key: run[key] for key in EXTRA_KEYS if key in run and not pd.isna(run[key])}
        record.update({key: value if isinstance(value, str) else int(value) for key, value in extra.items()})
        record["n_updates"] = None if pd.isna(record["n_updates"]) else int(record["n_updates"])
        records.append(json_ready(record))
    out = {
        "summary": summary,
        "runs": records,
        "wall_seconds_total": float(runs["wall_seconds"].sum()),
        "n_val": int(runs["settings"].iloc[0]["n_val"]),
        "settings": {m: runs.loc[runs["method"] == m, "settings"].iloc[0] for m in runs["method"].unique()},
    }
    if ssgan_sweep is not None:
        out["ssgan_learning_rate_choice"] = json_ready(ssgan_sweep.drop(columns="val_curve").to_dict("records"))
    return out


def json_ready(value):
    """numpy scalars and containers of them as plain Python values."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Methods as rows, label counts as columns, cells ``mean ± std (n = runs; updates)``, or ``value (one run)``."""

    def cell(r) -> str:
        budget = "" if pd.isna(r.get("n_updates")) else f"; {int(r['n_updates']):,} updates"
        if r["runs"] > 1:
            return f"{r['mean']:.4f} ± {r['std']:.4f} (n = {r['runs']}{budget})"
        return f"{r['mean']:.4f} (one run{budget})"

    cells = table.assign(method=table["method"].map(NAMES), cell=[cell(r) for _, r in table.iterrows()])
    return cells.pivot(index="method", columns="n_labels", values="cell")


def main() -> None:
    """``python -m digitgan.extensions.label_efficiency``:
    the full study in the background, outside the notebooks (finished
    runs reused, interrupted ones resumed); 07 and 08 then reuse every run and only read and draw them."""
    print(utils.versions(), flush=True)
    with utils.timer() as t:
        rate, sweep = choose_ssgan_learning_rate(config.LABEL_COUNTS[0], config.LABEL_SEEDS[0])  # the sweep's budget
        print(sweep.drop(columns="val_curve").to_string(), flush=True)
        runs = run_study(ssgan_learning_rate=rate)
    print(format_table(summary_table(runs)).to_string(), flush=True)
    print(f"{t['seconds'] / 60:.1f} min in this call; {runs['wall_seconds'].sum() / 60:.1f} min of training in all")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["epochs"]:
        print(utils.versions(), utils.machine(), sep="\n", flush=True)
        print(format_table(summary_table(run_epoch_arm())).to_string(), flush=True)
    else:
        main()
