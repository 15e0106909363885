"""One run of each method of the label study (:mod:`.label_efficiency`) and what the study records of it: the CNN
and trial 3 checked on the validation split every round (the best round kept), PCA + KNN chosen on it, the
semi-supervised GAN trained, resumed or reloaded in its own state folder; the test set read once at the end."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from digitgan import checks, compare, config, fileio, gan, training, transfer, utils
from digitgan.extensions import ssgan
from digitgan.models import build_cnn
from digitgan.store import file_digest


def discriminator_digest(path: Path) -> str | None:
    """Trial 3's discriminator as its runs' settings name it: the file's digest (None while it does not exist)."""
    return file_digest(path) if Path(path).is_file() else None


def run_cnn(data: dict, seed: int, run_settings: dict, test: bool = True, weights_path: Path | None = None) -> dict:
    s = run_settings
    utils.set_seed(seed)
    model, best = training.compile_classifier(build_cnn(), s["learning_rate"]), training.BestWeights()
    start = time.perf_counter()
    rounds = s["updates"] // s["round"]
    history = training.fit_classifier(model, data, rounds, s["batch_size"], **_rounds(best, s, seed))
    return _classifier_result(model, data, best, history, time.perf_counter() - start, test, weights_path)


def run_trial3(data: dict, seed: int, run_settings: dict, test=True, discriminator_path=None, weights_path=None):
    s, path = run_settings, Path(discriminator_path or config.DISCRIMINATOR_PATH)
    if discriminator_digest(path) != s["discriminator_sha256"]:
        raise ValueError(
            f"{path} is not the discriminator these settings name: build them with settings(..., "
            f"discriminator_path={str(path)!r})"
        )
    discriminator = gan.load_discriminator(path)
    utils.set_seed(seed)
    model = transfer.discriminator_to_classifier(discriminator, head=s["head"], freeze=True)
    best = training.BestWeights()
    rounds, lr, batch = s["updates"] // s["round"], s["learning_rate"], s["batch_size"]
    run = transfer.train_schedule(model, data, s["frozen_rounds"], rounds, lr, batch, **_rounds(best, s, seed))
    return _classifier_result(model, data, best, run["history"], run["seconds"], test, weights_path)


def _rounds(best, run_settings: dict, seed: int) -> dict:
    return dict(verbose=0, callbacks=[best], validate="val", steps_per_epoch=run_settings["round"], seed=seed)


def _curve(values) -> list[float]:
    return [round(float(v), 5) for v in values]


def _classifier_result(model, data, best, history, seconds, test: bool, weights_path: Path | None) -> dict:
    """A CNN or trial-3 run's record, its best round's weights restored (and saved to ``weights_path``, if given)."""
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(model, weights_path)
    out = {"val_accuracy": best.best, "kept_round": best.epoch, "val_curve": _curve(history["val_accuracy"])}
    out["seconds"] = seconds
    if test:
        out["test_accuracy"] = training.accuracy(model, data["x_test"], data["y_test"])
    return out


def run_pca_knn(data: dict, seed: int, run_settings: dict, test: bool = True) -> dict:
    checks.labelled(data, ("train", "val") + (("test",) if test else ()))
    start, x, y, s = time.perf_counter(), data["x_train"], data["y_train"], run_settings
    best = compare.select_pca_knn(x, y, s["components"], s["k"], x_val=data["x_val"], y_val=data["y_val"])
    out = {"val_accuracy": best["val_accuracy"], "n_components": best["n_components"], "k": best["k"]}
    if test:
        row = compare.fit_predict_timed(best["n_components"], best["k"], x, y, data["x_test"], data["y_test"])
        out["test_accuracy"] = row["accuracy"]
    return {**out, "seconds": time.perf_counter() - start}


def train_ssgan_run(data: dict, seed: int, run_settings: dict, root: Path | None = None, log_dir: Path | None = None):
    """``(model, history)`` of one SSGAN run: trained, resumed, or its finished state reloaded from
    ``<root>/labels<N>_seed<S>_<hash of the settings>``."""
    recipe = {k: run_settings[k] for k in ("epochs", "batch_size", "learning_rate", "decay_start", "ema_decay")}
    digest = hashlib.sha256(fileio.dumps(run_settings, sort_keys=True).encode()).hexdigest()[:8]
    state = Path(root or ssgan.CHECKPOINT_DIR) / f"labels{len(data['y_train'])}_seed{seed}_{digest}"
    recipe |= {"patience": run_settings["patience"], "jit_compile": run_settings["xla"], "log_dir": log_dir}
    return ssgan.train_ssgan(data, seed=seed, verbose=0, checkpoint_dir=state, **recipe)


def run_ssgan(data: dict, seed: int, run_settings: dict, test: bool = True, root=None, log_dir=None) -> dict:
    model, history = train_ssgan_run(data, seed, run_settings, root, log_dir)
    return ssgan_result(model, history, data, run_settings, test)


def ssgan_result(model, history: dict, data: dict, run_settings: dict, test: bool = True) -> dict:
    """What the study records of a trained SSGAN; with ``test``, its kept weights' test accuracy."""
    best, trained = history["best"], len(history["epoch_seconds"])
    out = {"val_accuracy": best["val_accuracy"], "kept_epoch": best["epoch"], "kept_weights": best["weights"]}
    out |= {"epochs_trained": trained}
    out["updates_trained"] = trained * (len(data["x_unlabelled"]) // run_settings["batch_size"])
    out |= {"seconds": float(sum(history["epoch_seconds"])), "val_curve": _curve(history["val_accuracy"])}
    out["val_curve_raw"] = _curve(history["val_accuracy_raw"])
    if test:
        out["test_accuracy"] = training.accuracy(model.best_discriminator, data["x_test"], data["y_test"])
    return out
