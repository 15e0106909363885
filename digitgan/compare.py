"""The original README's comparison: PCA + KNN (scikit-learn) against the neural classifiers."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from digitgan import config, fileio, store


def pca_knn(n_components: int = 50, k: int = 3) -> Pipeline:
    """Flattened pixels -> PCA -> k-nearest neighbours."""
    pca = PCA(n_components=n_components, random_state=config.SEED)
    return Pipeline([("pca", pca), ("knn", KNeighborsClassifier(n_neighbors=k))])


def flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)


def select_pca_knn(
    x,
    y,
    components=config.PCA_COMPONENTS,
    ks=config.KNN_KS,
    folds: int = config.CV_FOLDS,
    seed: int = config.SEED,
    x_val=None,
    y_val=None,
):
    """Choose PCA components and k on the training images only: by stratified cross-validation, or, given
    ``x_val``/``y_val``, by the accuracy on that validation split of a model fitted on ``x``/``y``."""
    if x_val is not None:
        cv, most = PredefinedSplit(np.r_[np.full(len(x), -1), np.zeros(len(x_val), int)]), len(x)
        x, y = np.concatenate([x, x_val]), np.concatenate([y, y_val])
    else:
        cv, most = StratifiedKFold(folds, shuffle=True, random_state=seed), len(x) * (folds - 1) // folds
    grid = {
        "pca__n_components": [c for c in components if c <= min(most, 784)],
        "knn__n_neighbors": [k for k in ks if k <= most],
    }
    search = GridSearchCV(pca_knn(), grid, cv=cv, n_jobs=1, refit=False).fit(flat(x), y)
    best, score = search.best_params_, "val_accuracy" if x_val is not None else "cv_accuracy"
    return {"n_components": best["pca__n_components"], "k": best["knn__n_neighbors"], score: float(search.best_score_)}


def fit_predict_timed(n_components: int, k: int, x_train, y_train, x_test, y_test) -> dict:
    """Fit PCA+KNN and predict the test images; accuracy with fit and predict wall times."""
    model = pca_knn(n_components, k)
    start = time.perf_counter()
    model.fit(flat(x_train), y_train)
    fitted = time.perf_counter()
    y_pred = model.predict(flat(x_test))
    done = time.perf_counter()
    sizes = {"n_train": len(x_train), "n_test": len(x_test), "n_components": n_components, "k": k}
    seconds = {"fit_seconds": round(fitted - start, 3), "predict_seconds": round(done - fitted, 3)}
    return {"accuracy": float(np.mean(y_pred == y_test)), **sizes, **seconds}


def small_split(
    data: dict, n_train: int = config.SMALL_N_TRAIN, n_test: int = config.SMALL_N_TEST, seed: int = config.SEED
) -> dict:
    """The README comparison's data: the first ``n_train`` images of the seed-42 subset and a seeded
    choice of ``n_test`` test images."""
    test_idx = np.random.RandomState(seed).choice(len(data["x_test"]), n_test, replace=False)
    return {
        "x_train": data["x_train"][:n_train],
        "y_train": data["y_train"][:n_train],
        "x_test": data["x_test"][test_idx],
        "y_test": data["y_test"][test_idx],
    }


_DATA_PARAMETERS = ("SUBSET_SIZE", "SEED")  # a classifier 06 compares was trained on these of its own
# The notebook that trains and saves each classifier (the trials' notebooks as digitgan.config names them).
NOTEBOOK_OF = {"cnn": "01_cnn_baseline", **{key: notebook for key, (notebook, _) in config.TRIALS.items()}}


def classifier_results(run) -> dict:
    """The study's results, with the entry of each classifier of :data:`NOTEBOOK_OF` whose weights ``run`` reads from a
    scratch run (one of its notebook trained on this run's ``SUBSET_SIZE`` and ``SEED``; a further trial has only
    those) replaced by that run's. A classifier with neither is named, with the notebook that makes it."""
    results, missing = run.study_results(), []
    for key in NOTEBOOK_OF:
        path = Path(run.input(config.weights_file(key), depends_on=_DATA_PARAMETERS)).resolve()
        scratch = Path(config.RUNS_DIR).resolve() in path.parents
        if scratch and path.is_file():
            results[key] = fileio.load_results(path.parent.parent / "results.json")[key]
        elif scratch or key not in results:
            missing.append(key)
    if missing:
        notebooks = ", ".join(f"notebooks/{NOTEBOOK_OF[key]}.ipynb" for key in missing)
        data = ", ".join(f"{name}={run.params[name]}" for name in _DATA_PARAMETERS)
        raise FileNotFoundError(
            f"No weights of {missing} trained on this run's data ({data}), in the study's "
            f"record or a scratch run: run {notebooks} with {data}."
        )
    return results


def saved_predictions(run, results: dict, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, np.ndarray]:
    """Each saved classifier of notebooks 01 and 03-05 predicts the test set again.

    A missing results entry or weights file says which notebook to run; weights that no longer give the test
    accuracy recorded beside them (one was retrained without the other) raise :class:`DataFileError`.
    """
    from digitgan import models, transfer
    from digitgan.training import predict_labels

    predictions = {}
    for key, notebook in NOTEBOOK_OF.items():
        path = run.input(config.weights_file(key), depends_on=_DATA_PARAMETERS)
        model = (
            models.build_cnn()
            if key == "cnn"
            else transfer.discriminator_to_classifier(models.build_discriminator(), head=results[key]["head"])
        )
        sha256 = store.committed_sha256(path)
        fix = f"Run notebooks/{notebook}.ipynb (it trains and saves {config.name(key)})."
        if sha256:
            fix = f"Restore it with `git checkout -- {config.shown(path)}`."
        fileio.load_weights(model, path, fix, sha256)
        predictions[key], _ = predict_labels(model, x_test)
        accuracy = float(np.mean(predictions[key] == y_test))
        if abs(accuracy - results[key]["test_accuracy"]) > 1e-6:
            raise fileio.DataFileError(
                f"{config.shown(path)} gives test accuracy {accuracy:.4f}, but results.json records "
                f"{results[key]['test_accuracy']:.4f} for it: one was rewritten without the other. Rerun "
                f"notebooks/{notebook}.ipynb."
            )
    return predictions


def accuracy_table(results: dict) -> pd.DataFrame:
    """Train and test accuracy of each classifier of 01 and 03-05, ours beside the original's."""
    return pd.DataFrame(
        {
            config.name(k): {
                "train (ours)": results[k]["train_accuracy"],
                "test (ours)": results[k]["test_accuracy"],
                "train (original)": config.ORIGINAL_ACCURACY.get(k, {}).get("train_accuracy"),
                "test (original)": config.ORIGINAL_ACCURACY.get(k, {}).get("test_accuracy"),
            }
            for k in NOTEBOOK_OF
        }
    ).T.round(4)


def confused_pairs(y_true, predictions: dict[str, np.ndarray], per_model: int = 10, top: int = 10) -> pd.DataFrame:
    """The (true, predicted) pairs most often confused: each model's ``per_model`` commonest pairs, counted per
    model and in total, the ``top`` pairs by total."""
    from digitgan.plots import most_confused

    counts = {
        config.name(k): most_confused(y_true, p, k=per_model).set_index(["true", "predicted"])["count"]
        for k, p in predictions.items()
    }
    pairs = pd.concat(counts, axis=1).fillna(0).astype(int)
    pairs["total"] = pairs.sum(axis=1)
    return pairs.sort_values("total", ascending=False).head(top)


def small_classifiers(small: dict, discriminator_path, head: str, frozen_epochs: int, epochs: int, seed: int):
    """The CNN and trial 3 (``head``, the first ``frozen_epochs`` frozen) trained on the small split, each from
    ``seed``, with the original protocol: ``(accuracies on the split's test images, the trained models)``."""
    from digitgan import gan, models, training, transfer, utils

    utils.set_seed(seed)
    cnn = models.build_cnn()
    training.train_classifier(cnn, small, epochs, verbose=0)
    utils.set_seed(seed)
    trial3 = transfer.discriminator_to_classifier(gan.load_discriminator(discriminator_path), head=head)
    transfer.train_schedule(trial3, small, frozen_epochs, epochs, verbose=0)
    trained = {"cnn": cnn, "trial3": trial3}
    accuracies = {key: training.accuracy(model, small["x_test"], small["y_test"]) for key, model in trained.items()}
    return accuracies, trained


def small_weights_file(key: str) -> str:
    """The weights of a classifier of the 1,000-image comparison (``cnn``, ``trial3``): ``cnn_1k.weights.h5``."""
    return config.weights_file(f"{key}_1k")


def small_table(pca_knn_accuracy: float, classifiers: dict) -> pd.DataFrame:
    """The 1,000-image comparison, ours beside the original README's."""
    keys = {"pca_knn": "PCA + KNN", "trial3": "transferred discriminator (trial 3)", "cnn": "CNN"}
    ours = {"pca_knn": pca_knn_accuracy, **classifiers}
    return pd.DataFrame(
        {"ours": [ours[k] for k in keys], "original": [config.ORIGINAL_SMALL[k] for k in keys]},
        index=list(keys.values()),
    ).round(4)


def pca_knn_by_size(choice: dict, data: dict, full: dict | None = None) -> dict[str, dict]:
    """PCA + KNN with ``choice`` (components, k) fitted on the 10k subset and, given ``full``, on all 60,000
    training images, each tested on the whole test set."""
    n, k, trains = choice["n_components"], choice["k"], {"10k subset": data, "all 60k": full}
    return {
        name: fit_predict_timed(n, k, train["x_train"], train["y_train"], data["x_test"], data["y_test"])
        for name, train in trains.items()
        if train is not None
    }


def to_results(results: dict, pairs: pd.DataFrame, small: dict, pca_knn_rows: dict, choice_10k: dict) -> dict:
    """What results.json records under ``comparison``; ``small``: the 1,000-image comparison (sizes, PCA + KNN
    with its choice, the CNN's and trial 3's accuracy)."""
    return {
        "models": {k: {m: results[k][m] for m in ("train_accuracy", "test_accuracy")} for k in NOTEBOOK_OF},
        "most_confused_pairs": [{"true": t, "predicted": p, "count": int(c)} for (t, p), c in pairs["total"].items()],
        "small": small,
        "pca_knn": pca_knn_rows,
        "pca_knn_10k_choice": choice_10k,
    }


_SIGNIFICANCE = 0.05  # a difference is claimed only when its test's p is below this


def difference(a, b, paired: bool = False) -> dict:
    """``mean(a) - mean(b)`` with its test, from scipy: Welch's t-test (``paired``: the paired t-test, where the two
    lists pair by seed), its two-sided p-value and the 95% confidence interval of the difference. ``claimed``: p below
    0.05; a p that cannot be computed (no spread at all) claims nothing. The one place the study tests a difference:
    the findings and the README read its records."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _against_one(a, b)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2 or (paired and len(a) != len(b)):
        raise ValueError(
            f"a difference needs at least 2 values on each side (paired: as many), got {len(a)} and "
            f"{len(b)}: run more seeds"
        )
    p, low, high = _t_test(stats.ttest_rel, a, b) if paired else _t_test(stats.ttest_ind, a, b, equal_var=False)
    test = "paired t-test" if paired else "Welch t-test"
    return _record(float(a.mean() - b.mean()), p, low, high, test, [len(a), len(b)])


def _against_one(a, b) -> dict:
    """:func:`difference` where one side is a single run (a number): the one-sample t-test of the other side's values
    against it (``n`` counts the single run as 1)."""
    sign, values, single = (1.0, b, a) if np.ndim(a) == 0 else (-1.0, a, b)
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        raise ValueError(f"a difference needs at least 2 values on the other side of a single run, got {len(values)}")
    single = float(single)
    p, low, high = _t_test(stats.ttest_1samp, values, single)  # the interval of mean(values)
    low, high = sorted((sign * (single - low), sign * (single - high)))
    n = [len(values), 1] if sign < 0 else [1, len(values)]
    test = "one-sample t-test against the single value"
    return _record(sign * (single - float(values.mean())), p, low, high, test, n)


def _t_test(test, *args, **kwargs) -> tuple[float, float, float]:
    """A scipy t-test's p-value and 95% confidence interval; with no spread at all scipy warns and gives NaN, which
    :func:`_record` leaves out and which claims nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = test(*args, **kwargs)
        low, high = result.confidence_interval(0.95)
    return float(result.pvalue), float(low), float(high)


def _record(difference: float, p: float, low: float, high: float, test: str, n: list[int]) -> dict:
    """A t-test's record, a NaN p or interval end as None."""
    return {
        "difference": difference,
        "p": None if np.isnan(p) else p,
        "ci95": [None if np.isnan(low) else low, None if np.isnan(high) else high],
        "test": test,
        "n": n,
        "claimed": bool(p < _SIGNIFICANCE),
    }


def seed_runs(path=None) -> dict:
    """The study's CNN and trials 1-3 over training seeds (``make claims``: the seed-42 subset, the original protocol,
    only the training seed changes), per model: the test accuracy by seed, its mean and SD, the one-sample t-test
    against the original report's number, and for each trial the paired t-test against the CNN of the same seeds.
    Empty where nothing is stored."""
    by: dict[str, dict[str, float]] = {}
    for record in store.Store(path or config.STUDY_SEEDS_STORE).records().values():
        model, seed = record["inputs"]["model"], str(record["inputs"]["seed"])
        if seed in by.setdefault(model, {}):
            raise ValueError(
                f"{path}: two stored runs of {model} at seed {seed} (another architecture or data): keep one"
            )
        by[model][seed] = record["result"]["test_accuracy"]
    out = {}
    for model in [m for m in ("cnn", *config.TRIALS) if len(by.get(m, {})) > 1]:
        seeds = dict(sorted(by[model].items()))
        values = list(seeds.values())
        original = config.ORIGINAL_ACCURACY[model]["test_accuracy"]
        out[model] = {
            "by_seed": seeds,
            "mean": float(np.mean(values)),
            "std": float(np.std(values, ddof=1)),
            "runs": len(values),
            "original": original,
            "vs_original": difference(values, original),
        }
        if model != "cnn" and "cnn" in out and sorted(seeds) == sorted(out["cnn"]["by_seed"]):
            out[model]["vs_cnn"] = difference(values, list(out["cnn"]["by_seed"].values()), paired=True)
    return out


def seed_table(seeds: dict) -> pd.DataFrame:
    """:func:`seed_runs` as a table: each model's seeds, mean ± SD, and its two tests (named)."""
    rows = []
    for model, s in seeds.items():
        row = {
            "model": config.name(model),
            **{f"seed {k}": v for k, v in s["by_seed"].items()},
            "mean ± SD": f"{s['mean']:.4f} ± {s['std']:.4f}",
            "original": s["original"],
            "vs original (one-sample)": describe_difference(s["vs_original"], compact=True),
        }
        if "vs_cnn" in s:
            row["vs the CNN (paired by seed)"] = describe_difference(s["vs_cnn"], compact=True)
        rows.append(row)
    return pd.DataFrame(rows).set_index("model").fillna("")


def difference_from_summary(a, mean: float, std: float, n: int) -> dict:
    """:func:`difference` of the values ``a`` against a published mean with its standard deviation over ``n`` runs
    (the reference's own spread, not treated as exact): Welch's t-test from the two summaries."""
    a = np.asarray(a, dtype=float)
    if len(a) < 2:
        raise ValueError(f"a difference needs at least 2 values, got {len(a)}: run more seeds")
    sa, sb = a.std(ddof=1) ** 2 / len(a), std**2 / n
    test = stats.ttest_ind_from_stats(a.mean(), a.std(ddof=1), len(a), mean, std, n, equal_var=False)
    df = (sa + sb) ** 2 / (sa**2 / (len(a) - 1) + sb**2 / (n - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(sa + sb)
    diff, p = float(a.mean() - mean), float(test.pvalue)
    return {
        "difference": diff,
        "p": p,
        "ci95": [diff - half, diff + half],
        "n": [len(a), n],
        "test": "Welch t-test against the published mean and SD",
        "claimed": bool(p < _SIGNIFICANCE),
    }


def holm(ps) -> list[float]:
    """Holm's step-down adjustment of the p-values ``ps`` (the same order): the family-wise error rate of reading
    every one of them against 0.05."""
    order = np.argsort(ps)
    adjusted, running = np.empty(len(ps)), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        adjusted[i] = running
    return [float(p) for p in adjusted]


SHORT_TESTS = {
    "paired t-test": "paired",
    "Welch t-test": "Welch",
    "one-sample t-test against the single value": "one-sample",
    "Welch t-test against the published mean and SD": "Welch",
}


def describe_difference(d: dict, compact: bool = False) -> str:
    """``+0.0023 (95% CI +0.0010 to +0.0036, Welch t-test p = 0.012)``, or the same ending in ``: not
    distinguishable with 3 seeds`` when nothing is claimed. ``compact`` (the findings' form): the interval's ends to
    three decimals (four where three would show a signed zero) and the test's short name, ``+0.0461 (95% CI +0.039 to
    +0.053, paired p = 0.0013)``."""
    low, high = d["ci95"]
    bound = _compact_bound if compact else "{:+.4f}".format
    interval = "no interval" if low is None else f"95% CI {bound(low)} to {bound(high)}"
    p = "p not defined" if d["p"] is None else f"p = {d['p']:.2g}"
    test = SHORT_TESTS.get(d["test"], d["test"]) if compact else d["test"]
    text = f"{d['difference']:+.4f} ({interval}, {test} {p})"
    seeds = max(d["n"]) if 1 in d["n"] else min(d["n"])  # against a single run: the other side's seeds
    return text if d["claimed"] else f"{text}: not distinguishable with {seeds} seed{'s' * (seeds != 1)}"


def _compact_bound(x: float) -> str:
    return f"{x:+.3f}" if abs(x) >= 0.0005 else f"{x:+.4f}"
