"""Sample quality as numbers: a judge classifier, its classifier score and a Fréchet distance."""

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, config, fileio, store
from digitgan.models import build_judge


def _judge_record_path(path) -> Path:
    """The record of what made the judge file ``path``, beside it: ``judge.weights.h5`` -> ``judge.inputs.json``."""
    return Path(str(path).removesuffix(".weights.h5") + ".inputs.json")


def _judge_differs(path: Path, inputs: dict) -> str | None:
    """None when the record beside the judge file ``path`` names ``inputs`` and its SHA-256; else what differs."""
    try:
        record = json.loads(_judge_record_path(path).read_text())
    except (OSError, ValueError) as exc:
        return f"the record of what made it cannot be read ({exc})"
    record = record if isinstance(record, dict) else {}
    differ = [f"{k}: made with {record.get(k)!r}, asked {v!r}" for k, v in inputs.items() if record.get(k) != v]
    if record.get("sha256") != store.file_digest(path, None):
        differ.append("the file is not the one recorded (its SHA-256 differs)")
    return "; ".join(differ) or None


def train_judge(
    x_train,
    y_train,
    x_test,
    y_test,
    epochs: int = config.JUDGE_EPOCHS,
    path=config.JUDGE_PATH,
    batch_size: int = 128,
    verbose=2,
    seed: int = config.SEED,
    save_to=None,
):
    """Train the judge on the given images (all 60k for the study) or load it from ``path``."""
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        checks.images(f"x_{split}", x)
        checks.labels(f"y_{split}", y, len(x), f"x_{split}")
    epochs, seed = checks.integer("epochs", epochs, 1), checks.seed(seed)
    batch_size = checks.batch_size(batch_size, len(x_train))
    path, save_to, steps = Path(path), Path(save_to or path), epochs * -(-len(x_train) // batch_size)
    if (committed := store.committed_sha256(path)) and path.is_file() and store.file_digest(path, None) != committed:
        raise fileio.DataFileError(
            f"{path} is not the committed judge (its SHA-256 differs). Run `git checkout -- {config.shown(path)}`."
        )

    def compiled_judge():
        judge, schedule = build_judge(), keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=max(steps, 1))
        judge.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
        return judge

    judge = compiled_judge()  # built before the digest's model and the retrained one: the layer names in the file
    inputs = {"format": 1, "epochs": epochs, "batch_size": batch_size, "seed": seed, "n_train": len(x_train)}
    inputs["images"], inputs["labels"] = store.array_digest(x_train), store.array_digest(np.asarray(y_train))
    inputs["architecture"] = store.architecture_digest(build_judge())  # a fresh one's: no optimizer in its config
    if path.is_file() and (differs := _judge_differs(path, inputs)) is None:
        judge.optimizer.build(judge.trainable_variables)  # the file holds its Adam state too: restore it
        fileio.load_weights(judge, path, f"Delete {config.shown(path)} to retrain it.", committed)
        print(f"Loaded the judge from {config.shown(path)}.")
    else:
        if path.is_file():
            print(f"Training the judge anew: {config.shown(path)} was not made from these inputs ({differs}).")
        fileio.guard_record(save_to)  # before training: a scratch run never writes the study's judge
        keras.utils.set_random_seed(seed)  # the judge's initial weights, shuffling and dropout follow from ``seed``
        judge = compiled_judge()
        judge.fit(x_train, y_train, batch_size, epochs, verbose, validation_data=(x_test, y_test))
        _judge_record_path(save_to).unlink(missing_ok=True)  # until the new record is written, nothing vouches for it
        fileio.save_weights(judge, save_to)
        store.record_committed_digest(save_to)
        record = {**inputs, "sha256": store.file_digest(save_to, None)}  # after the weights: a kill leaves none
        fileio.atomic_write_text(_judge_record_path(save_to), fileio.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"judge saved to {config.shown(save_to)}")
    _, accuracy = judge.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return judge, float(accuracy)


def noise(n, stream, distribution="normal", seed=config.SEED, noise_dim=config.NOISE_DIM):
    """``n`` noise vectors from ``(seed, stream)``: -1 the fixed grid, ``10_000 + s`` :func:`generate`'s ``seed=s``."""
    draw = {"normal": tf.random.stateless_normal, "uniform": tf.random.stateless_uniform}
    return draw[distribution]([n, noise_dim], seed=[seed, stream])


def generate(generator, n: int, seed: int = 0, distribution: str = "normal") -> np.ndarray:
    """``n`` images from ``generator`` for the noise of sample seed ``seed`` (inference mode)."""
    z = noise(n, 10_000 + seed, distribution, noise_dim=generator.input_shape[-1])
    return np.concatenate([generator(z[i : i + 1000], training=False).numpy() for i in range(0, n, 1000)])


def _judge_outputs(judge, images):
    """The judge's penultimate features and class probabilities for ``images`` (inference mode)."""
    features = keras.Model(judge.inputs[0], [judge.get_layer("features").output, judge.outputs[0]])
    parts = [features(images[i : i + 1000], training=False) for i in range(0, len(images), 1000)]
    return tuple(np.concatenate([part[j].numpy() for part in parts]).astype(np.float64) for j in (0, 1))


def classifier_score(probs: np.ndarray) -> float:
    """exp(mean KL(p(y|x) || p(y))): the Inception-score analogue."""
    kl = (probs * (np.log(probs + 1e-12) - np.log(probs.mean(axis=0, keepdims=True) + 1e-12))).sum(axis=1)
    return float(np.exp(kl.mean()))


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets."""
    mu_a, mu_b = feats_a.mean(0), feats_b.mean(0)
    cov_a, cov_b = np.cov(feats_a, rowvar=False), np.cov(feats_b, rowvar=False)
    # tr(sqrtm(A @ B)) from the eigenvalues of A @ B: stable where sqrtm warns about singular matrices (dead ReLUs)
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def judge_scores(judge, images, reference=None) -> dict:
    """Classifier score, class histogram and (given reference images) the Fréchet distance."""
    feats, probs = _judge_outputs(judge, images)
    low, high = config.MODE_COLLAPSE_BOUNDS
    histogram = np.bincount(probs.argmax(axis=1), minlength=config.NUM_CLASSES) / len(probs)
    scores = {"classifier_score": classifier_score(probs), "class_fractions": histogram.round(4).tolist()}
    scores |= {"mode_collapse": bool(histogram.min() < low or histogram.max() > high), "n": int(len(images))}
    if reference is not None:
        scores["frechet_distance"] = frechet_distance(feats, _judge_outputs(judge, reference)[0])
    return scores
