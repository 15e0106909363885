"""The original README's comparison: PCA + KNN (scikit-learn) against the neural classifiers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from digitgan import config, fileio, store
from digitgan.utils import describe_difference, difference, set_seed, timer  # 08 calls compare.describe_difference


def pca_knn(n_components: int = 50, k: int = 3) -> Pipeline:
    """Flattened pixels -> PCA -> k-nearest neighbours."""
    return Pipeline([("pca", PCA(n_components, random_state=config.SEED)), ("knn", KNeighborsClassifier(k))])


def flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)


def select_pca_knn(x, y, components, ks, folds=config.CV_FOLDS, seed=config.SEED, x_val=None, y_val=None):
    """PCA components and k chosen by stratified cross-validation on ``x``, or by the accuracy on ``x_val``."""
    if x_val is not None:
        cv, most = PredefinedSplit(np.r_[np.full(len(x), -1), np.zeros(len(x_val), int)]), len(x)
        x, y = np.concatenate([x, x_val]), np.concatenate([y, y_val])
    else:
        cv, most = StratifiedKFold(folds, shuffle=True, random_state=seed), len(x) * (folds - 1) // folds
    grid = {"pca__n_components": [c for c in components if c <= min(most, 784)]}
    grid["knn__n_neighbors"] = [k for k in ks if k <= most]
    search = GridSearchCV(pca_knn(), grid, cv=cv, n_jobs=1, refit=False).fit(flat(x), y)
    best, score = search.best_params_, "val_accuracy" if x_val is not None else "cv_accuracy"
    return {"n_components": best["pca__n_components"], "k": best["knn__n_neighbors"], score: float(search.best_score_)}


def fit_predict_timed(n_components: int, k: int, x_train, y_train, x_test, y_test) -> dict:
    """Fit PCA+KNN and predict the test images; accuracy with fit and predict wall times."""
    with timer() as fit:
        model = pca_knn(n_components, k).fit(flat(x_train), y_train)
    with timer() as predict:
        accuracy = float(np.mean(model.predict(flat(x_test)) == y_test))
    sizes = {"n_train": len(x_train), "n_test": len(x_test), "n_components": n_components, "k": k}
    times = {f"{t}_seconds": round(w["seconds"], 3) for t, w in (("fit", fit), ("predict", predict))}
    return {"accuracy": accuracy, **sizes, **times}


def small_split(data: dict, n_train: int, n_test: int, seed: int = config.SEED) -> dict:
    """The first ``n_train`` images of the seed-42 subset and a seeded choice of ``n_test`` test images."""
    test_idx = np.random.RandomState(seed).choice(len(data["x_test"]), n_test, replace=False)
    train = {f"{v}_train": data[f"{v}_train"][:n_train] for v in "xy"}
    return train | {f"{v}_test": data[f"{v}_test"][test_idx] for v in "xy"}


_DATA_PARAMETERS = ("SUBSET_SIZE", "SEED")  # a classifier 06 compares was trained on these of its own
# The notebook that trains and saves each classifier (the trials' notebooks as digitgan.config names them).
NOTEBOOK_OF = {"cnn": "01_cnn_baseline", **{key: notebook for key, (notebook, _) in config.TRIALS.items()}}


def _weights(run, key: str) -> Path:
    """The weights of classifier ``key`` a run reads: its own, a scratch run's of the same data, or the study's."""
    return Path(run.input(config.weights_file(key), depends_on=_DATA_PARAMETERS))


def classifier_results(run) -> dict:
    """The study's results, each classifier's entry replaced by a scratch run's where ``run`` reads its weights."""
    results, missing, scratch = run.study_results(), [], Path(config.RUNS_DIR).resolve()
    for key in NOTEBOOK_OF:
        path = _weights(run, key).resolve()
        if scratch in path.parents and path.is_file():
            results[key] = fileio.load_results(path.parent.parent / "results.json")[key]
        elif scratch in path.parents or key not in results:
            missing.append(key)
    if missing:
        data = ", ".join(f"{name}={run.params[name]}" for name in _DATA_PARAMETERS)
        raise FileNotFoundError(
            f"No weights of {missing} trained on this run's data ({data}) in the study's record or a scratch run: "
            f"run {', '.join(f'notebooks/{NOTEBOOK_OF[key]}.ipynb' for key in missing)} with {data}."
        )
    return results


def saved_predictions(run, results: dict, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, np.ndarray]:
    """Each saved classifier of notebooks 01 and 03-05 predicts the test set again, as accurately as recorded."""
    from digitgan import models, transfer
    from digitgan.training import predict_labels

    predictions = {}
    for key, notebook in NOTEBOOK_OF.items():
        path, head = _weights(run, key), results[key].get("head")
        model = models.build_cnn() if key == "cnn" else models.build_discriminator()
        model = model if key == "cnn" else transfer.discriminator_to_classifier(model, head=head)
        fix = f"Rerun notebooks/{notebook}.ipynb (or `git checkout -- {config.shown(path)}` for the study's file)."
        fileio.load_weights(model, path, fix, store.committed_sha256(path))
        predictions[key], _ = predict_labels(model, x_test)
        if abs(np.mean(predictions[key] == y_test) - results[key]["test_accuracy"]) > 1e-6:
            raise fileio.DataFileError(f"{config.shown(path)} does not give the accuracy results.json records. {fix}")
    return predictions


def accuracy_table(results: dict) -> pd.DataFrame:
    """Train and test accuracy of each classifier of 01 and 03-05, ours beside the original's."""
    sides = {"ours": lambda k: results[k], "original": lambda k: config.ORIGINAL_ACCURACY.get(k, {})}
    columns = {f"{m} ({who})": (who, f"{m}_accuracy") for who in sides for m in ("train", "test")}
    table = {config.name(k): {c: sides[w](k).get(m) for c, (w, m) in columns.items()} for k in NOTEBOOK_OF}
    return pd.DataFrame(table).T.round(4)


def confused_pairs(y_true, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """The ten (true, predicted) pairs by total count, of each model's ten commonest pairs."""
    from digitgan.plots import most_confused

    counts = {
        config.name(k): most_confused(y_true, p, k=10).set_index(["true", "predicted"])["count"]
        for k, p in predictions.items()
    }
    pairs = pd.concat(counts, axis=1).fillna(0).astype(int)
    return pairs.assign(total=pairs.sum(axis=1)).sort_values("total", ascending=False).head(10)


def small_classifiers(small: dict, discriminator_path, head: str, frozen_epochs: int, epochs: int, seed: int):
    """The CNN and trial 3 trained on the small split from ``seed``: test accuracies and models."""
    from digitgan import gan, models, training, transfer

    set_seed(seed)
    cnn = models.build_cnn()
    training.train_classifier(cnn, small, epochs, verbose=0)
    set_seed(seed)
    trial3 = transfer.discriminator_to_classifier(gan.load_discriminator(discriminator_path), head=head)
    transfer.train_schedule(trial3, small, frozen_epochs, epochs, verbose=0)
    trained = {"cnn": cnn, "trial3": trial3}
    return {key: training.accuracy(model, small["x_test"], small["y_test"]) for key, model in trained.items()}, trained


def small_weights_file(key: str) -> str:
    """The weights of a classifier of the 1,000-image comparison (``cnn``, ``trial3``): ``cnn_1k.weights.h5``."""
    return config.weights_file(f"{key}_1k")


def small_table(pca_knn_accuracy: float, classifiers: dict) -> pd.DataFrame:
    """The 1,000-image comparison, ours beside the original README's."""
    keys = {"pca_knn": "PCA + KNN", "trial3": "transferred discriminator (trial 3)", "cnn": "CNN"}
    ours = {"pca_knn": pca_knn_accuracy, **classifiers}
    table = {"ours": [ours[k] for k in keys], "original": [config.ORIGINAL_SMALL[k] for k in keys]}
    return pd.DataFrame(table, index=list(keys.values())).round(4)


def pca_knn_by_size(choice: dict, data: dict, full: dict | None = None) -> dict[str, dict]:
    """PCA + KNN with ``choice`` fitted on the 10k subset and (given ``full``) all 60k, tested on the test set."""
    n, k, test = choice["n_components"], choice["k"], (data["x_test"], data["y_test"])
    trains = {name: (t["x_train"], t["y_train"]) for name, t in {"10k subset": data, "all 60k": full}.items() if t}
    return {name: fit_predict_timed(n, k, *train, *test) for name, train in trains.items()}


def to_results(results: dict, pairs: pd.DataFrame, small: dict, pca_knn_rows: dict, choice_10k: dict) -> dict:
    """What results.json records under ``comparison``."""
    models = {k: {m: results[k][m] for m in ("train_accuracy", "test_accuracy")} for k in NOTEBOOK_OF}
    confused = [{"true": t, "predicted": p, "count": int(c)} for (t, p), c in pairs["total"].items()]
    keys = ("models", "most_confused_pairs", "small", "pca_knn", "pca_knn_10k_choice")
    return dict(zip(keys, (models, confused, small, pca_knn_rows, choice_10k), strict=True))


def seed_runs() -> dict:
    """Per model over training seeds: test accuracy by seed, mean, SD, and its t-tests (vs the original, vs the CNN)."""
    by: dict[str, dict[str, float]] = {}
    for record in store.Store(path := config.STUDY_SEEDS_STORE).records().values():
        model, seed = record["inputs"]["model"], str(record["inputs"]["seed"])
        if seed in by.setdefault(model, {}):
            raise ValueError(f"{path}: two stored runs of {model} at seed {seed} (other data?): keep one")
        by[model][seed] = record["result"]["test_accuracy"]
    out = {}
    for model in [m for m in ("cnn", *config.TRIALS) if len(by.get(m, {})) > 1]:
        seeds = dict(sorted(by[model].items()))
        values, original = list(seeds.values()), config.ORIGINAL_ACCURACY[model]["test_accuracy"]
        spread = {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "runs": len(values)}
        out[model] = {"by_seed": seeds, **spread, "original": original, "vs_original": difference(values, original)}
        if model != "cnn" and "cnn" in out and sorted(seeds) == sorted(out["cnn"]["by_seed"]):
            out[model]["vs_cnn"] = difference(values, list(out["cnn"]["by_seed"].values()), paired=True)
    return out


def seed_table(seeds: dict) -> pd.DataFrame:
    """:func:`seed_runs` as a table: each model's seeds, mean ± SD, and its two tests (named)."""
    tests = {"vs original (one-sample)": "vs_original", "vs the CNN (paired by seed)": "vs_cnn"}
    rows = {
        config.name(model): {f"seed {k}": v for k, v in s["by_seed"].items()}
        | {"mean ± SD": f"{s['mean']:.4f} ± {s['std']:.4f}", "original": s["original"]}
        | {c: describe_difference(s[k], compact=True) for c, k in tests.items() if k in s}
        for model, s in seeds.items()
    }
    return pd.DataFrame(rows.values(), pd.Index(rows, name="model")).fillna("")
