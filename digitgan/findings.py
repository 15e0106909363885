"""Each notebook's closing "What we found", written from the numbers its run just produced.

Every function takes what the notebook saved (and, where it compares, the study's other results) and returns
the paragraph as Markdown; in a notebook, the last cell displays it. Nothing here is typed in by hand: a
rerun with other parameters states what that run found.
"""

from __future__ import annotations

from digitgan import config


class Finding(str):
    """Markdown text that Jupyter renders as Markdown (and nbconvert exports as such)."""

    def _repr_markdown_(self) -> str:
        return str(self)


def _acc(value: float) -> str:
    return f"{value:.4f}"


def _vs(ours: float, theirs: float) -> str:
    diff = ours - theirs
    return f"{diff:+.4f}" if abs(diff) >= 0.00005 else "the same"


def _count(n: int, word: str) -> str:
    """``1 epoch``, ``15 epochs``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _size(n_train, epochs) -> str:
    """``10,000 images, 15 epochs`` (what is known of a run's size)."""
    parts = [_count(n, word) for n, word in ((n_train, "image"), (epochs, "epoch")) if n is not None]
    return ", ".join(parts) or "size not recorded"


def _mistake(metrics: dict) -> str:
    confused = metrics.get("most_confused") or []
    if not confused:
        return "It made no mistakes on the test set."
    top = confused[0]
    return f"Its most frequent mistake is a {top['true']} read as {top['predicted']} ({top['count']} test images)."


def cnn(metrics: dict) -> Finding:
    ref = config.ORIGINAL_ACCURACY["cnn"]
    test_curve = metrics["history"].get("val_accuracy", [])
    still_rising = len(test_curve) > 1 and test_curve[-1] > test_curve[-2]
    return Finding(
        f"The CNN reaches **{_acc(metrics['test_accuracy'])} test accuracy** ({_acc(metrics['train_accuracy'])} on "
        f"its training images) after {_count(metrics['epochs'], 'epoch')} on {_count(metrics['n_train'], 'image')}, in "
        f"{metrics['seconds']:.0f} s. The original reported {ref['test_accuracy']} test / {ref['train_accuracy']} "
        f"train: ours differs by {_vs(metrics['test_accuracy'], ref['test_accuracy'])} on the test set. "
        f"{_mistake(metrics)} "
        + (
            f"The test accuracy still rose in the last epoch ({_acc(test_curve[-2])} → {_acc(test_curve[-1])}): "
            f"{_count(metrics['epochs'], 'epoch')} of plain SGD leave this network short of what it can learn. "
            if still_rising
            else ""
        )
        + "This is the baseline every transferred discriminator is compared with."
    )


def dcgan(metrics: dict) -> Finding:
    fractions = metrics["class_fractions"]
    low, high = config.MODE_COLLAPSE_BOUNDS
    collapse = (
        f"one digit class falls outside {low:.0%}–{high:.0%} of the samples (mode collapse by our rule)"
        if metrics["mode_collapse"]
        else f"every digit class lies within {low:.0%}–{high:.0%} of the samples (no mode collapse by our rule)"
    )
    how = "reused from the committed training" if metrics["reused_weights"] else "trained in this run"
    return Finding(
        f"After {_count(metrics['epochs'], 'epoch')} ({metrics['seconds'] / 60:.1f} min of training, {how}) the "
        f"generator's digits score **{metrics['classifier_score']:.2f}** with the judge (real test digits: "
        f"{metrics['real_test_classifier_score']:.2f}; the scale runs from 1 to 10) and lie at a Fréchet distance "
        f"of **{metrics['frechet_distance']:.1f}** from the test set (real training digits: "
        f"{metrics['real_train_frechet_distance']:.1f}). The rarest generated digit makes {min(fractions):.1%} of "
        f"the samples and the commonest {max(fractions):.1%}: {collapse}. By the Fréchet distance the samples "
        "are still far from real digits; the discriminator that learnt to tell them apart is what"
        " notebooks 03–05 reuse."
    )


def trial(name: str, metrics: dict, results: dict) -> Finding:
    ref = config.ORIGINAL_ACCURACY[name]
    frozen, total = metrics["frozen_epochs"], metrics["epochs"]
    schedule = (
        f"{_count(total, 'epoch')} with the transferred layers frozen"
        if frozen >= total
        else f"{frozen} frozen and {total - frozen} fine-tuned {'epoch' if total - frozen == 1 else 'epochs'}"
    )
    text = (
        f"{config.NAMES[name]}, a {metrics['head']} head with {schedule}, reaches **{_acc(metrics['test_accuracy'])} "
        f"test accuracy** ({_acc(metrics['train_accuracy'])} train). The original reported "
        f"{config.original_number(name, 'test_accuracy')} test / "
        f"{config.original_number(name, 'train_accuracy')} train: ours "
        f"differs by {_vs(metrics['test_accuracy'], ref['test_accuracy'])} on the test set. {_mistake(metrics)}"
    )
    if "cnn" in results:
        cnn = results["cnn"]
        gap = metrics["test_accuracy"] - cnn["test_accuracy"]
        same = cnn.get("n_train") == metrics.get("n_train") and cnn.get("epochs") == total
        who = (
            "The CNN trained on the same images for the same number of epochs"
            if same
            else f"The study's CNN ({_size(cnn.get('n_train'), cnn.get('epochs'))}; this run: "
            f"{_size(metrics.get('n_train'), total)})"
        )
        text += (
            f" {who} reached {_acc(cnn['test_accuracy'])}: this classifier is {abs(gap):.4f} "
            + ("above" if gap > 0 else "below")
            + " it"
            + (
                ", so with all 10,000 labels the GAN's features do not beat a CNN trained from scratch (one seed "
                "each; 08_label_efficiency.ipynb repeats this with seeds)."
                if gap <= 0 and same
                else " (one seed each; 08_label_efficiency.ipynb repeats this with seeds)."
            )
        )
    return Finding(text)


def comparison(comparison: dict) -> Finding:
    models = comparison["models"]
    ranked = sorted(models, key=lambda k: -models[k]["test_accuracy"])
    order = " > ".join(f"{config.NAMES[k]} {_acc(models[k]['test_accuracy'])}" for k in ranked)
    small = comparison["small"]
    knn = small["pca_knn"]
    top_pair = comparison["most_confused_pairs"][0]
    ours_small = {"pca_knn": knn["accuracy"], "trial3": small["trial3"], "cnn": small["cnn"]}
    small_rank = sorted(ours_small, key=lambda k: -ours_small[k])
    same_order = small_rank == sorted(config.ORIGINAL_SMALL, key=lambda k: -config.ORIGINAL_SMALL[k])
    full = comparison["pca_knn"].get("all 60k")
    text = (
        f"On the 10k subset the test accuracies rank {order}, the order the original found. The most confused "
        f"pair over all four models is a {top_pair['true']} read as {top_pair['predicted']} ({top_pair['count']} "
        f"times). With 1,000 training and 1,000 test images: PCA + KNN {_acc(knn['accuracy'])} (PCA "
        f"{knn['n_components']}, k = {knn['k']}, chosen by cross-validation), the transferred discriminator "
        f"{_acc(small['trial3'])}, the CNN {_acc(small['cnn'])}; the original: {config.ORIGINAL_SMALL['pca_knn']}, "
        f"{config.ORIGINAL_SMALL['trial3']}, {config.ORIGINAL_SMALL['cnn']}. "
        + ("The ranking is the original's. " if same_order else "The ranking differs from the original's. ")
        + "These are single runs on 1,000 test images (one image = 0.001), so differences of a few thousandths "
        "are within noise; 08_label_efficiency.ipynb repeats the comparison with seeds."
    )
    if full:
        text += (
            f" PCA + KNN on all 60,000 training images reaches {_acc(full['accuracy'])} in "
            f"{full['fit_seconds'] + full['predict_seconds']:.0f} s, where the original's own KNN did not finish at "
            "2,000."
        )
    return Finding(text)
