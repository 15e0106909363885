"""Each extension notebook's closing "What we found" (07-11), written from the numbers its run just produced."""

from __future__ import annotations

import numpy as np

from digitgan import config
from digitgan.findings import Finding, _acc, _mistake


def ssgan(metrics: dict) -> Finding:
    history = metrics["history"]
    raw = history.get("val_accuracy_raw") or history["val_accuracy"]
    last = [max(a, r) for a, r in zip(history["val_accuracy"][-5:], raw[-5:], strict=True)]  # the better set per epoch
    at_end = metrics["kept_epoch"] > metrics["epochs"] - len(last)
    paper, port = config.SSGAN_PAPER, config.SSGAN_PORT
    choice = metrics.get("learning_rate_choice") or []
    tried = "; ".join(f"{c['learning_rate']:g}: {_acc(c['val_accuracy'])}" for c in choice)
    budgets = sorted({c["max_epochs"] for c in choice if c.get("max_epochs")})
    sweep = f" in runs of at most {budgets[0]} epochs" if len(budgets) == 1 else ""
    stopped = (
        f"stopped at epoch {metrics['stopped_at']} of {metrics['max_epochs']} (no better validation accuracy for "
        f"{metrics['patience']} epochs)"
        if metrics.get("stopped_at")
        else f"ran all {metrics['epochs']} epochs"
    )
    text = (
        f"With {metrics['n_labels']} labels, {metrics['n_val']:,} validation images and {metrics['n_unlabelled']:,} "
        f"unlabelled images, the learning rate chosen on the validation split is {metrics['learning_rate']:g} "
        f"(best validation accuracy per candidate{sweep}: {tried}). The run {stopped} in "
        f"{metrics['seconds'] / 60:.1f} min; "
        f"the kept weights (epoch {metrics['kept_epoch']}, {metrics['kept_weights']}; validation "
        f"{_acc(metrics['val_accuracy'])}) give **{_acc(metrics['test_accuracy'])} test accuracy**. The paper reports "
        f"{paper['test_accuracy']:.2%} after {paper['epochs']} epochs and a PyTorch port {port['test_accuracy']:.1%} "
        f"after {port['epochs']}: ours is {100 * (paper['test_accuracy'] - metrics['test_accuracy']):.2f} percentage "
        f"points short of the paper after {metrics['epochs'] / paper['epochs']:.0%} of its epochs, and "
        + (
            f"{100 * (metrics['test_accuracy'] - port['test_accuracy']):.2f} points above the port."
            if metrics["test_accuracy"] >= port["test_accuracy"]
            else f"{100 * (port['test_accuracy'] - metrics['test_accuracy']):.2f} points below the port."
        )
    )
    text += (
        f" The kept epoch is among the last {len(last)}, so the curve may still be rising: more epochs might help. "
        if at_end
        else f" The last {len(last)} epochs (validation at most {_acc(max(last))}) did not beat epoch "
        f"{metrics['kept_epoch']}: within this budget the curve has flattened. "
    )
    text += f"{_mistake(metrics)}"
    return Finding(text)


def cell(c: dict) -> str:
    spread = f" ± {c['std']:.4f} (n = {c['runs']})" if c["runs"] > 1 else " (one run)"
    return f"{_acc(c['mean'])}{spread}"


def _clear(a: dict, b: dict) -> bool:
    """Whether ``a`` leads ``b`` by more than both seed spreads (never on single runs)."""
    return a["runs"] > 1 and b["runs"] > 1 and a["mean"] - a["std"] > b["mean"] + b["std"]


def label_efficiency(metrics: dict) -> Finding:
    summary = metrics["summary"]
    counts = sorted({int(n) for per in summary.values() for n in per})
    sentences = []
    for n in counts:
        cells = {m: per[str(n)] for m, per in summary.items() if str(n) in per}
        ranked = sorted(cells, key=lambda m: -cells[m]["mean"])
        parts = [f"{config.LABEL_EFFICIENCY_NAMES.get(m, m)} {cell(cells[m])}" for m in ranked]
        clear = len(ranked) > 1 and _clear(cells[ranked[0]], cells[ranked[1]])
        sentences.append(
            f"With {n:,} labels: " + "; ".join(parts)
            + (" — the lead is larger than the seed spread." if clear else " — the lead is within the seed spread "
               "(or rests on one run): not a reliable ranking of the first two.")
        )  # fmt: skip
    budgets = {m: sorted({c.get("n_updates") for c in per.values()} - {None}) for m, per in summary.items()}
    equal = [m for m, b in budgets.items() if len(b) == 1]
    ssgan_stops = (metrics.get("settings") or {}).get("ssgan", {}).get("patience") is not None
    if equal:
        sentences.append(
            "Budgets are equal across label counts: "
            + ", ".join(
                f"{config.LABEL_EFFICIENCY_NAMES.get(m, m)} {budgets[m][0]:,} updates"
                + (" at most (it stops by its validation rule)" if m == "ssgan" and ssgan_stops else "")
                for m in equal
            )
            + f"; every choice was made on {metrics.get('n_val', config.LABEL_EFFICIENCY_VAL):,} validation images."
        )
    for n in counts:
        pair = [summary.get(m, {}).get(str(n)) for m in ("trial3", "cnn")]
        if None in pair:
            continue
        trial3, cnn = pair
        if _clear(trial3, cnn):
            verdict = "beats the CNN by more than the seed spread"
        elif _clear(cnn, trial3):
            verdict = "is beaten by the CNN by more than the seed spread"
        else:
            verdict = "is not reliably different from the CNN"
        sentences.append(f"At {n:,} labels the transferred discriminator (trial 3) {verdict}.")
    target = summary.get("ssgan", {}).get("100")
    if target:
        reached = "reaches" if target["mean"] >= SSGAN_TARGET else "does not reach"
        sentences.append(
            f"The semi-supervised GAN with 100 labels {reached} {SSGAN_TARGET:.1%} "
            f"(mean {_acc(target['mean'])} over {target['runs']} seeds)."
        )
    return Finding(" ".join(sentences))


SSGAN_TARGET = 0.985  # the PyTorch port's 100-epoch result, our aim for the 100-label SSGAN
MODERN_CNN_TARGET = 0.99  # well-trained small CNNs on 10k MNIST images with augmentation and Adam
COLLAPSE_SPREAD = 0.6  # generated digits vary "far less" than real ones below this fraction of the real spread
GENERATED_TARGET = 0.97  # our aim for a CNN trained only on generated digits (a public study: 98.4%)


def longer_gan(results: dict) -> Finding:
    """Questions 1 and 4 of the report, answered from 09's numbers."""
    stages = {int(e): v for e, v in results["stages"].items()}
    first, last = min(stages), max(stages)
    sentences = []
    for n in sorted({int(n) for v in stages.values() for n in v["trial3"]}, reverse=True):
        cnn = results["cnn"][str(n)]
        cells = {e: v["trial3"][str(n)] for e, v in stages.items()}
        best = max(cells, key=lambda e: cells[e]["val_mean"])  # named on the validation splits, not the test set
        if _clear(cnn, cells[best]):
            verdict = "stays below the CNN by more than the seed spread: **no**, it does not reach it"
        elif _clear(cells[best], cnn):
            verdict = "beats the CNN by more than the seed spread"
        else:
            verdict = "is not reliably different from the CNN (the error bars overlap)"
        trend = cells[last]["mean"] - cells[first]["mean"]
        sentences.append(
            f"With {n:,} labelled images, trial 3 goes from {cell(cells[first])} on the {first}-epoch discriminator "
            f"to {cell(cells[last])} on the {last}-epoch one ({trend:+.4f}); at {best} epochs, its best stage on the "
            f"validation splits, it has {cell(cells[best])} and {verdict} ({cell(cnn)})."
        )
    losses = results["epoch_losses"]
    g, d = np.asarray(losses["g_loss"]), np.asarray(losses["d_loss"])
    window = min(25, len(g) // 2) or 1
    early, late = slice(0, window), slice(len(g) - window, len(g))
    sentences.append(
        f"The losses over {len(g)} epochs: the generator's mean per epoch goes from {g[early].mean():.3f} "
        f"(± {g[early].std():.3f} between epochs) in the first {window} epochs to {g[late].mean():.3f} "
        f"(± {g[late].std():.3f}) in the last {window}; the discriminator's from {d[early].mean():.3f} (± "
        f"{d[early].std():.3f}) to {d[late].mean():.3f} (± {d[late].std():.3f}). "
        + ("They settle: the late epochs vary less than the early ones." if g[late].std() < g[early].std()
           and d[late].std() < d[early].std() else "They do not settle: the late epochs vary as much or more.")
    )  # fmt: skip
    sentences.append(
        f"Sample quality: classifier score {stages[first]['classifier_score']:.2f} at {first} epochs, "
        f"{stages[last]['classifier_score']:.2f} at {last}; Fréchet distance {stages[first]['frechet_distance']:.1f} "
        f"and {stages[last]['frechet_distance']:.1f}."
    )
    return Finding(" ".join(sentences))


def protocols(results: dict) -> Finding:
    """Question 2 of the report, from 10's numbers: data, optimisers, the modern protocol."""
    cells = results["runs"]
    sentences = []
    for model in ("cnn", "trial3"):
        mine = [c for c in cells if c["model"] == model]
        if not mine:
            continue
        best = max(mine, key=lambda c: c["mean"])
        name = config.NAMES.get(model, model)
        parts = [f"{c['optimizer']} ({c['protocol']}, {c['n_train']:,} images, lr {c['learning_rate']:g}) "
                 f"{cell(c)}" for c in sorted(mine, key=lambda c: -c["mean"])]  # fmt: skip
        sentences.append(
            f"{name}: " + "; ".join(parts) + f". Best: {best['optimizer']} with {best['n_train']:,} images."
        )
    sizes = sorted({c["n_train"] for c in cells if c["protocol"] == "original"})
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for model in ("cnn", "trial3"):
            pairs = []
            for c in cells:
                if c["model"] == model and c["protocol"] == "original" and c["n_train"] == small:
                    big = next((b for b in cells if b["model"] == model and b["protocol"] == "original"
                                and b["optimizer"] == c["optimizer"] and b["n_train"] == large), None)  # fmt: skip
                    if big is not None:
                        verdict = "clear of the seed spread" if _clear(big, c) or _clear(c, big) else "within it"
                        pairs.append(f"{c['optimizer']} {big['mean'] - c['mean']:+.4f} ({verdict})")
            if pairs:
                sentences.append(f"{config.NAMES.get(model, model)}, {large:,} images against {small:,}: "
                                 + "; ".join(pairs) + ".")  # fmt: skip
    edge = sorted({
        f"{config.NAMES.get(c['model'], c['model'])} with {c['optimizer']} ({c['protocol']}) {c['learning_rate']:g}"
        for c in cells if c.get("learning_rates_tried") and c["learning_rate"] == max(c["learning_rates_tried"])
    })  # fmt: skip
    if edge:
        sentences.append("Chosen at the top of the learning rates tried, so a larger one might do better: "
                         + ", ".join(edge) + ".")  # fmt: skip
    modern = {c["model"]: c for c in cells if c["protocol"] == "modern"}
    if "cnn" in modern:
        cnn = modern["cnn"]
        reached = "reaches" if cnn["mean"] >= MODERN_CNN_TARGET else "does **not** reach"
        where = f"{cnn['n_train']:,} images"
        sentences.append(
            f"With the modern protocol on {where} the CNN {reached} {MODERN_CNN_TARGET:.1%} ({cell(cnn)})."
        )
        tried = [c for c in results.get("modern_candidates", []) if c["model"] == "cnn"]
        explored = results.get("modern_explored") or []
        if tried and explored:
            best = max(explored, key=lambda c: c["val_accuracy"])
            from digitgan.extensions.protocols import RECIPE_DEFAULTS

            shown = ["learning_rate", "epochs"] + [k for k, v in RECIPE_DEFAULTS.items() if best.get(k, v) != v]
            changed = ", ".join(f"{k} {best[k]:g}" for k in shown)
            kinds = [what for key, what in _EXPLORED_KINDS.items()
                     if any(c.get(key, RECIPE_DEFAULTS[key]) != RECIPE_DEFAULTS[key] for c in explored)]  # fmt: skip
            kinds += ["longer schedules"] * any(c["epochs"] > max(t["epochs"] for t in tried) for c in explored)
            kinds = kinds or ["other learning rates"]
            sentences.append(
                f"Also tried on the CNN alone (seed 42, validation only; not among the candidates, so that both "
                f"models choose among the same ones): {len(explored)} recipes with {_listing(kinds)}; "
                f"the best ({changed}) reached "
                f"{best['val_accuracy']:.4f} on validation, the chosen candidate "
                f"{max(c['val_accuracy'] for c in tried):.4f}."
            )
        longest = max((c.get("epochs") or 0 for c in results.get("modern_candidates", [])), default=0)
        for model, c in modern.items():
            epochs = (c.get("recipe") or {}).get("epochs")
            if epochs and epochs == longest and min(c["kept_epochs"]) > 0.8 * epochs:
                sentences.append(
                    f"{config.NAMES.get(model, model)}'s chosen recipe is the longest tried ({epochs} epochs) and "
                    f"its kept epochs ({'/'.join(map(str, c['kept_epochs']))}) are near its end: a longer one might "
                    "do better."
                )
        if "trial3" in modern:
            t3 = modern["trial3"]
            gap = cnn["mean"] - t3["mean"]
            reliable = "larger than" if _clear(cnn, t3) or _clear(t3, cnn) else "within"
            sentences.append(
                f"The transferred discriminator under the same protocol: {cell(t3)}; the gap to the CNN is "
                f"{gap:+.4f}, {reliable} the seed spread."
            )
    return Finding(" ".join(sentences))


# How a findings sentence names each kind of setting an explored modern recipe changed (protocols.RECIPE_DEFAULTS).
_EXPLORED_KINDS = {
    "weight_decay": "weight decay", "label_smoothing": "label smoothing", "strength": "other augmentation strengths",
    "batch_size": "other batch sizes", "dropout": "dropout",
}  # fmt: skip


def _listing(items: list[str]) -> str:
    """'a, b or c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def worst_digit(judge: dict) -> tuple[str, dict]:
    """The digit the judge reads worst among the generated ones, and its accuracy per digit (digits drawn)."""
    digits = {d: v for d, v in judge.items() if d != "overall" and v is not None}
    return min(digits, key=digits.get), digits


def ordered_arms(arms: dict) -> dict:
    """11's arms in the study's order (``config.GENERATED_ARMS``; results.json keeps its keys sorted), any other
    after them."""
    order = [a for a in config.GENERATED_ARMS if a in arms] + [a for a in arms if a not in config.GENERATED_ARMS]
    return {a: arms[a] for a in order}


def generated_digits(results: dict) -> Finding:
    """Question 3 of the report, from 11's numbers."""
    arms = ordered_arms(results["arms"])
    judge = results["judge_accuracy_on_generated"]
    worst, digits = worst_digit(judge)
    sentences = [
        f"The conditional DCGAN's digits score {results['classifier_score']:.2f} (classifier score) at a Fréchet "
        f"distance of {results['frechet_distance']:.1f}; the judge reads {judge['overall']:.2%} of them as the digit "
        f"asked for (worst: {worst}, {digits[worst]:.2%})."
    ]
    probes = results.get("mode_seeking_probes") or []
    if probes:
        tried = "; ".join(f"weight {p['mode_seeking']:g}: validation {p['val_accuracy']:.4f}, spread "
                          f"{p['within_class_spread']:.3f}" for p in probes)  # fmt: skip
        epochs = probes[0]["gan_epochs"]
        sentences.append(f"The mode-seeking weight, chosen on the real validation split after {epochs} GAN "
                         f"epochs each ({tried}), is {results['mode_seeking']:g}.")  # fmt: skip
    spread = results.get("within_class_spread")
    if spread:
        ratio = spread["generated"] / spread["real"]
        if ratio < COLLAPSE_SPREAD:
            how = ("far less than real ones: the generator has collapsed to a few styles per digit (mode collapse "
                   "within each class), so its digits teach a classifier little of how real digits vary")  # fmt: skip
        else:
            how = "about as much as real ones"
        sentences.append(f"The digits drawn for one class differ from each other {how} (within-class pixel spread "
                         f"{spread['generated']:.3f} against {spread['real']:.3f} for the real subset).")  # fmt: skip
    only = [a for a in arms if a.startswith("generated")]
    for arm in only:
        reached = "reaches" if arms[arm]["mean"] >= GENERATED_TARGET else "does **not** reach"
        size, _, how = arm.removeprefix("generated ").partition(" ")  # "10k", "(the best probe's name)"
        way = f", drawn and trained as the best probe on validation {how}," if how else ""
        sentences.append(f"Trained only on {size} generated digits{way} the CNN {reached} "
                         f"{GENERATED_TARGET:.0%} on real test digits ({cell(arms[arm])}).")  # fmt: skip
    samples = results.get("sample_probes") or []
    if samples:
        base = next((p for p in samples if p["probe"] == "as drawn"), samples[0])
        best = max(samples, key=lambda p: p["val_accuracy"])
        worse = [p["probe"] for p in samples if p["val_accuracy"] < base["val_accuracy"]]
        sentences.append(
            f"Other ways to draw or train on 10k generated digits (seed 42, real validation split; the study's six "
            f"arms do not use them): {base['probe']} {base['val_accuracy']:.4f}; the best, {best['probe']}, "
            f"{best['val_accuracy']:.4f}"
            + (f"; below {base['probe']}: {', '.join(worse)}" if worse else "")
            + (f". None reaches {GENERATED_TARGET:.0%} on validation." if best["val_accuracy"] < GENERATED_TARGET
               else ".")
        )  # fmt: skip
        agreed = best if best.get("agreement") is not None else next(
            (p for p in samples if p.get("agreement") is not None), None)  # fmt: skip
        if agreed is not None:
            worst = agreed.get("agreement_worst_digit")
            sentences.append(
                f"A CNN trained on the real 10k reads {agreed['agreement']:.1%} of the digits drawn for "
                f"{agreed['probe']} as the digit asked for"
                + (f" (its worst digit {worst:.1%})" if worst is not None else "")
                + "; that probe keeps only those."
            )
    if "real" in arms:
        base = arms["real"]
        for arm in (a for a in arms if a.startswith("real +")):
            if _clear(arms[arm], base):
                verdict = "helps beyond the seed spread"
            elif _clear(base, arms[arm]):
                verdict = "hurts beyond the seed spread"
            else:
                verdict = "makes no reliable difference"
            sentences.append(f"{arm[0].upper()}{arm[1:]}: {cell(arms[arm])} against {cell(base)} for the real "
                             f"images alone: it {verdict}.")  # fmt: skip
    return Finding(" ".join(sentences))


def mean_std(values) -> str:
    """``mean ± std (n = k)``, or the one value and "(one run)"."""
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.4f} (one run)"
    return f"{values.mean():.4f} ± {values.std(ddof=1):.4f} (n = {len(values)})"
