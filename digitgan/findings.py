"""Each notebook's closing "What we found", from the numbers its run just produced: first :class:`Versus` records
(computed, tested directly), then a few short templates (:func:`say`, :func:`gap`, :func:`reach`) word them, a line
per item. A rerun with other parameters states what that run found, and what it is compared with."""

from __future__ import annotations

from dataclasses import dataclass

from digitgan import config


class Finding(str):
    """Markdown text that Jupyter renders as Markdown (and nbconvert exports as such)."""

    def _repr_markdown_(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Versus:
    """``value`` against ``reference`` (``against`` names it); ``verdict``: "above", "below", "level", or "not
    distinguishable" where the seeds' ``test`` (:func:`digitgan.compare.difference`) claims nothing; ``shown``: the
    two numbers as written, where not to four decimals."""

    what: str
    value: float
    against: str
    reference: float
    difference: float
    verdict: str
    test: dict | None = None
    shown: tuple[str, str] | None = None


def versus(what, value, against, reference, a=(), b=(), paired=False, shown=None) -> Versus:
    """With two or more per-seed values on each side (``a``, ``b``), the verdict is their t-test's, never spreads'."""
    from digitgan.compare import difference

    test = difference(a, b, paired and len(a) == len(b)) if len(a) > 1 and len(b) > 1 else None
    diff = value - reference
    verdict = "above" if diff >= 0.00005 else "below" if diff <= -0.00005 else "level"
    return Versus(what, value, against, reference, diff, verdict if not test or test["claimed"] else "not "
                  "distinguishable", test, shown)  # fmt: skip


_TAIL = {"above": ", above it", "below": ", below it", "level": ", level with it", "not distinguishable": ""}


def gap(v: Versus, untested: str = "one run each") -> str:
    """``+0.0041 (one run each), above it``; tested: ``+0.0020 (95% CI …, Welch t-test p = 0.01), above it``."""
    from digitgan.compare import describe_difference

    return (describe_difference(v.test) if v.test else f"{v.difference:+.4f} ({untested})") + _TAIL[v.verdict]


def say(v: Versus, untested: str = "one run each", lead: bool = True) -> str:
    """``{What}: {value} against {reference} for {against}: {gap}`` (``lead=False``: from "against" on)."""
    value, reference = v.shown or (_acc(v.value), _acc(v.reference))
    text = f"against {reference} for {v.against}: {gap(v, untested)}"
    return f"{_cap(v.what)}: {value} {text}" if lead else text


def reach(v: Versus) -> str:
    """``{what} reaches 97% (0.9729 ± 0.0006 (n = 3))``: a value against an aim (``against``, as written)."""
    return f"{v.what} {'does **not** reach' if v.verdict == 'below' else 'reaches'} {v.against} ({v.shown[0]})"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _acc(value: float) -> str:
    return f"{value:.4f}"


def _count(n: int, word: str) -> str:
    """``1 epoch``, ``15 epochs``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _size(n_train, epochs) -> str:
    """``10,000 images, 15 epochs`` (what is known of a run's size)."""
    parts = [_count(n, word) for n, word in ((n_train, "image"), (epochs, "epoch")) if n is not None]
    return ", ".join(parts) or "size not recorded"


def _mistake(metrics: dict) -> str:
    top = (metrics.get("most_confused") or [None])[0]
    return (f"Its most frequent mistake is a {top['true']} read as {top['predicted']} ({top['count']} test images)."
            if top else "It made no mistakes on the test set.")  # fmt: skip


def _finding(lines) -> Finding:
    return Finding("\n".join(line for line in lines if line))


def against_original(name: str, test_accuracy: float) -> Versus:
    """Our test accuracy against the one the original reported for ``name`` ("cnn", "trial1", ...)."""
    return versus("test accuracy", test_accuracy, f"the original ({config.original_number(name, 'train_accuracy')} "
                  "train)", config.ORIGINAL_ACCURACY[name]["test_accuracy"],
                  shown=(_acc(test_accuracy), config.original_number(name, "test_accuracy")))  # fmt: skip


def against_cnn(metrics: dict, cnn: dict) -> Versus:
    """A classifier's test accuracy against the study's CNN, named with both runs' sizes where they differ."""
    ours, theirs = (_size(m.get("n_train"), m.get("epochs")) for m in (metrics, cnn))
    who = ("the CNN trained on the same images for the same number of epochs" if ours == theirs
           else f"the study's CNN ({theirs}; this run: {ours})")  # fmt: skip
    return versus("test accuracy", metrics["test_accuracy"], who, cnn["test_accuracy"])


def cnn(metrics: dict) -> Finding:
    curve, epochs = metrics["history"].get("val_accuracy", []), _count(metrics["epochs"], "epoch")
    return _finding([
        f"The CNN reaches **{_acc(metrics['test_accuracy'])} test accuracy** ({_acc(metrics['train_accuracy'])} on "
        f"its training images) after {epochs} on {_count(metrics['n_train'], 'image')}, in {metrics['seconds']:.0f} s.",
        say(against_original("cnn", metrics["test_accuracy"])) + ".",
        _mistake(metrics),
        len(curve) > 1 and curve[-1] > curve[-2] and f"The test accuracy still rose in the last epoch ("
        f"{_acc(curve[-2])} → {_acc(curve[-1])}): {epochs} of plain SGD leave this network short of what it can "
        "learn.",
        "This is the baseline every transferred discriminator is compared with.",
    ])  # fmt: skip


def dcgan(metrics: dict) -> Finding:
    fractions, (low, high) = metrics["class_fractions"], config.MODE_COLLAPSE_BOUNDS
    collapse = (
        f"one digit class falls outside {low:.0%}–{high:.0%} of the samples (mode collapse by our rule)"
        if metrics["mode_collapse"]
        else f"every digit class lies within {low:.0%}–{high:.0%} of the samples (no mode collapse by our rule)"
    )
    how = "reused from the committed training" if metrics["reused_weights"] else "trained in this run"
    return _finding([
        f"After {_count(metrics['epochs'], 'epoch')} ({metrics['seconds'] / 60:.1f} min of training, {how}) the "
        f"generator's digits score **{metrics['classifier_score']:.2f}** with the judge (real test digits: "
        f"{metrics['real_test_classifier_score']:.2f}; the scale runs from 1 to 10).",
        f"They lie at a Fréchet distance of **{metrics['frechet_distance']:.1f}** from the test set (real training "
        f"digits: {metrics['real_train_frechet_distance']:.1f}).",
        f"The rarest generated digit makes {min(fractions):.1%} of the samples and the commonest "
        f"{max(fractions):.1%}: {collapse}.",
        "The discriminator that learnt to tell them from real digits is what notebooks 03–05 reuse.",
    ])  # fmt: skip


def trial(name: str, metrics: dict, results: dict) -> Finding:
    frozen, total = metrics["frozen_epochs"], metrics["epochs"]
    schedule = (f"{_count(total, 'epoch')} with the transferred layers frozen" if frozen >= total
                else f"{frozen} frozen and {_count(total - frozen, 'fine-tuned epoch')}")  # fmt: skip
    v = "cnn" in results and against_cnn(metrics, results["cnn"])
    claim = v and v.against.startswith("the CNN trained on the same") and v.verdict != "above"
    return _finding([
        f"{config.NAMES[name]}, a {metrics['head']} head with {schedule}, reaches **{_acc(metrics['test_accuracy'])} "
        f"test accuracy** ({_acc(metrics['train_accuracy'])} train).",
        say(against_original(name, metrics["test_accuracy"])) + ".",
        _mistake(metrics),
        v and say(v) + (f": with all {_count(metrics['n_train'], 'label')} the GAN's features do not beat a CNN "
                        "trained from scratch" if claim else "")
        + "; 08_label_efficiency.ipynb repeats this with seeds.",
    ])  # fmt: skip


def rankings(comparison: dict) -> dict:
    """The classifiers from best to worst on the 10k subset ("full") and on the 1,000-image split ("small"), and
    whether each order is the original's."""
    small = comparison["small"]
    ours = {
        "full": {k: m["test_accuracy"] for k, m in comparison["models"].items()},
        "small": {"pca_knn": small["pca_knn"]["accuracy"], "trial3": small["trial3"], "cnn": small["cnn"]},
    }
    theirs = {
        "full": {k: v["test_accuracy"] for k, v in config.ORIGINAL_ACCURACY.items()},
        "small": config.ORIGINAL_SMALL,
    }

    def rank(scores: dict, keys) -> list:
        return sorted(keys, key=lambda k: -scores[k])

    return {**{key: rank(v, v) for key, v in ours.items()},
            **{f"{key}_as_original": rank(v, v) == rank(theirs[key], v) for key, v in ours.items()}}  # fmt: skip


def comparison(comparison: dict) -> Finding:
    models, small, ranked = comparison["models"], comparison["small"], rankings(comparison)
    knn, top, orig = small["pca_knn"], comparison["most_confused_pairs"][0], config.ORIGINAL_SMALL
    full = comparison["pca_knn"].get("all 60k")
    same = {True: "the original's", False: "not the original's"}
    return _finding([
        "On the 10k subset the test accuracies rank "
        + " > ".join(f"{config.NAMES[k]} {_acc(models[k]['test_accuracy'])}" for k in ranked["full"])
        + f": {same[ranked['full_as_original']]} order. The most confused pair over all four models is a "
        f"{top['true']} read as {top['predicted']} ({top['count']} times).",
        f"With 1,000 training and 1,000 test images: PCA + KNN {_acc(knn['accuracy'])} (PCA {knn['n_components']}, "
        f"k = {knn['k']}, chosen by cross-validation), the transferred discriminator {_acc(small['trial3'])}, the CNN "
        f"{_acc(small['cnn'])}; the original: {orig['pca_knn']}, {orig['trial3']}, {orig['cnn']}: "
        f"{same[ranked['small_as_original']]} ranking.",
        "These are single runs on 1,000 test images (one image = 0.001): differences of a few thousandths are within "
        "noise; 08_label_efficiency.ipynb repeats the comparison with seeds.",
        full and f"PCA + KNN on all 60,000 training images reaches {_acc(full['accuracy'])} in "
        f"{full['fit_seconds'] + full['predict_seconds']:.0f} s, where the original's own KNN did not finish at 2,000.",
    ])  # fmt: skip
