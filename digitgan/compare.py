"""The original README's comparison: PCA + KNN (scikit-learn), and the saved classifiers notebook 06 reads back."""

from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from digitgan import config, fileio, store
from digitgan.utils import describe_difference, timer  # noqa: F401 - notebook 08 calls compare.describe_difference


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
NOTEBOOK_OF = {"cnn": "01_cnn_baseline", **{key: notebook for key, (notebook, _) in config.TRIALS.items()}}


def classifier_results(run) -> dict:
    """The study's results, each classifier's entry replaced by a scratch run's where ``run`` reads its weights."""
    results, missing, scratch = run.study_results(), [], Path(config.RUNS_DIR).resolve()
    for key in NOTEBOOK_OF:  # each classifier's weights: this run's, a scratch run's of the same data, or the study's
        path = run.input(config.weights_file(key), depends_on=_DATA_PARAMETERS).resolve()
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
        path, head = run.input(config.weights_file(key), depends_on=_DATA_PARAMETERS), results[key].get("head")
        model = models.build_cnn() if key == "cnn" else models.build_discriminator()
        model = model if key == "cnn" else transfer.discriminator_to_classifier(model, head=head)
        fix = f"Rerun notebooks/{notebook}.ipynb (or `git checkout -- {config.shown(path)}` for the study's file)."
        fileio.load_weights(model, path, fix, store.committed_sha256(path))
        predictions[key], _ = predict_labels(model, x_test)
        if abs(np.mean(predictions[key] == y_test) - results[key]["test_accuracy"]) > 1e-6:
            raise fileio.DataFileError(f"{config.shown(path)} does not give the accuracy results.json records. {fix}")
    return predictions


def small_weights_file(key: str) -> str:
    """The weights of a classifier of the 1,000-image comparison (``cnn``, ``trial3``): ``cnn_1k.weights.h5``."""
    return config.weights_file(f"{key}_1k")


def seed_accuracies() -> dict[str, dict[str, float]]:
    """Test accuracy by seed of make claims' stored runs of the CNN and each trial that has two or more."""
    by: dict[str, dict[str, float]] = {}
    for record in store.Store(path := config.STUDY_SEEDS_STORE).records().values():
        model, seed = record["inputs"]["model"], str(record["inputs"]["seed"])
        if seed in by.setdefault(model, {}):
            raise ValueError(f"{path}: two stored runs of {model} at seed {seed} (other data?): keep one")
        by[model][seed] = record["result"]["test_accuracy"]
    return {model: dict(sorted(by[model].items())) for model in ("cnn", *config.TRIALS) if len(by.get(model, {})) > 1}
