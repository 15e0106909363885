"""The tested comparisons behind 07-11's "What we found" and docs/' tables: :class:`digitgan.findings.Versus`."""

from __future__ import annotations

import numpy as np

from digitgan.extensions import constants
from digitgan.findings import Versus, acc, count, versus
from digitgan.utils import difference, difference_from_summary

COLLAPSE_SPREAD = 0.6  # generated digits vary "far less" than real ones below this fraction of the real spread
GENERATED_TARGET = 0.97  # our aim for a CNN trained only on generated digits (a public study: 98.4%)
_MODERN_CNN_TARGET = 0.99  # well-trained small CNNs on 10k MNIST images with augmentation and Adam


def short_name(model: str) -> str:
    return {"cnn": "CNN", "pca_knn": "PCA + KNN"}.get(model, model.replace("trial", "trial "))


def cell(c: dict) -> str:
    return acc(c["mean"]) + (f" ± {c['std']:.4f} (n = {c['runs']})" if c["runs"] > 1 else " (one run)")


def _seeded(what: str, c: dict, against: str, ref: dict) -> Versus:
    """Cell ``c`` against cell ``ref`` by the t-test of their seeds, paired where both ran the same seeds."""
    a, b = c.get("by_seed") or {}, ref.get("by_seed") or {}
    seeds = [a[k] for k in sorted(a)], [b[k] for k in sorted(b)]
    return versus(what, c["mean"], against, ref["mean"], *seeds, sorted(a) == sorted(b), (cell(c), cell(ref)))


def aim(what: str, c: dict, target: float, where: str = "") -> Versus:
    mean, n = c["mean"], c["runs"]
    over = f"mean {mean:.4f} ± {c['std']:.4f} over {n} seeds" if n > 1 else f"{mean:.4f}, one run"
    return versus(what, mean, f"{target * 100:g}%{where}", target, shown=(over, ""))


def ssgan_items(metrics: dict) -> dict:
    """The test accuracy against the paper's; whether the kept epoch is among the last five, and their best."""
    history, paper = metrics["history"], constants.SSGAN_PAPER
    last = [max(a, r) for a, r in zip(history["val_accuracy"][-5:], history["val_accuracy_raw"][-5:], strict=True)]
    theirs = f"{count(paper['epochs'], 'epoch')}, mean of {count(paper['seeds'], 'seed')}"
    against = f"Salimans et al. ({count(metrics['n_labels'], 'label')}, {theirs})"
    paper = versus("test accuracy", metrics["test_accuracy"], against, paper["test_accuracy"])
    at_end = metrics["kept_epoch"] > metrics["epochs"] - len(last)
    return {"paper": paper, "at_end": at_end, "last": len(last), "last_best": max(last)}


def label_efficiency_items(metrics: dict) -> dict:
    """Per label count the methods ranked, each GAN against its CNN; "paper": the 100-label GAN's seeds (or False)."""
    matched = metrics.get("cnn_matched") or {}
    summary = {m: per for m, per in metrics["summary"].items() if m in constants.LABEL_EFFICIENCY_NAMES}
    summary = {m: {n: {**c, "by_seed": {}} for n, c in per.items()} for m, per in summary.items()}
    summary["matched"] = {n: {**c, "by_seed": {}} for n, c in (matched.get("summary") or {}).items()}
    for r in [*(metrics.get("runs") or []), *({**r, "method": "matched"} for r in matched.get("runs") or [])]:
        summary[r["method"]][str(r["n_labels"])]["by_seed"][str(r["seed"])] = r["test_accuracy"]
    items = {}
    for n in sorted({int(n) for m, per in summary.items() if m != "matched" for n in per}):
        cells = {m: per[str(n)] for m, per in summary.items() if str(n) in per}
        updates = "cnn" in cells and cells["cnn"].get("n_updates")
        cnn = "the CNN of the original protocol" + (f" ({count(updates, 'update')})" if updates else "")
        ranked = sorted(set(cells) - {"matched"}, key=lambda m: -cells[m]["mean"])
        items[n] = {"ranked": [(m, cells[m]) for m in ranked]}
        for m, what in (("ssgan", "the semi-supervised GAN"), ("trial3", "trial 3")):
            if {m, "cnn"} <= set(cells):
                items[n][m] = _seeded(what, cells[m], cnn, cells["cnn"])
        if {"ssgan", "matched"} <= set(cells):
            given = f"a CNN given the same labels and {count(cells['matched']['n_updates'], 'update')} (modern recipe)"
            items[n]["matched"] = _seeded("the semi-supervised GAN", cells["ssgan"], given, cells["matched"])
    runs = sorted(metrics.get("runs") or [], key=lambda r: r["seed"])
    ours = [r["test_accuracy"] for r in runs if r["method"] == "ssgan" and r["n_labels"] == 100]
    paper = constants.SSGAN_PAPER
    test = len(ours) > 1 and difference_from_summary(ours, paper["test_accuracy"], paper["std"], paper["seeds"])
    return {"counts": items, "paper": test}


def longer_gan_items(results: dict) -> dict:
    """Per label count trial 3's gain over the stages and its best stage against the CNN; whether the losses settle."""
    stages = {int(e): v for e, v in results["stages"].items()}
    first, last, runs = min(stages), max(stages), results.get("runs") or []
    updates = next((r["n_updates"] for r in runs if r.get("model") == "cnn" and r.get("n_updates")), None)
    budget = f"same images, {count(updates, 'update')}" if updates else "same images and budget"
    items = {"first": first, "last": last, "labels": {}}
    for n in sorted({int(n) for v in stages.values() for n in v["trial3"]}, reverse=True):
        cells = {e: v["trial3"][str(n)] for e, v in stages.items()}
        best = max(cells, key=lambda e: cells[e]["val_mean"])  # named on the validation splits, not the test set
        v = _seeded(f"trial 3 at {best} GAN epochs", cells[best], f"the CNN ({budget})", results["cnn"][str(n)])
        seeds = sorted(set(cells[last]["by_seed"]) & set(cells[first]["by_seed"]))
        gain = difference(*([cells[e]["by_seed"][s] for s in seeds] for e in (last, first)), paired=True)
        items["labels"][n] = {"best": best, "versus": v, "gain": gain}
    g, d = (np.asarray(results["epoch_losses"][k]) for k in ("g_loss", "d_loss"))
    w = min(25, len(g) // 2) or 1
    stds = [(x[:w].std(), x[-w:].std()) for x in (g, d)]  # the first and the last window's
    items["losses"] = {"epochs": len(g), "window": w, "settle": all(b < a for a, b in stds), "std": stds}
    return items


def protocols_items(results: dict) -> dict:
    """Each optimiser's largest set against its smallest; rates at the top of their grid; the modern CNN and trial 3."""
    cells = results["runs"]
    pick = {(c["model"], c["optimizer"], c["n_train"]): c for c in cells if c["protocol"] == "original"}
    sizes, modern = sorted({n for *_, n in pick}), {c["model"]: c for c in cells if c["protocol"] == "modern"}
    small, large, bigger = min(sizes, default=0), max(sizes, default=0), {"cnn": [], "trial3": []}
    for m, opt, n in pick:
        if m in bigger and n == small < large and (m, opt, large) in pick:
            bigger[m].append(_seeded(opt, pick[m, opt, large], f"{small:,} images", pick[m, opt, n]))
    edge = {
        f"{short_name(c['model'])} {c['optimizer']} ({c['protocol']}) {c['learning_rate']:g}"
        for c in cells
        if c.get("learning_rates_tried") and c["learning_rate"] == max(c["learning_rates_tried"])
    }
    cnn, items = modern.get("cnn", {}), {"sizes": sizes, "modern": modern, "bigger": bigger, "edge": sorted(edge)}
    what = f"With the modern protocol on {cnn.get('n_train', 0):,} images the CNN"
    items["cnn_target"] = "cnn" in modern and aim(what, cnn, _MODERN_CNN_TARGET)
    trial3 = "trial3" in modern and "cnn" in modern and modern["trial3"]
    return items | {"trial3_vs_cnn": trial3 and _seeded("trial 3", trial3, "the CNN with the same protocol", cnn)}


FILTER = "filtered by a classifier trained on real digits "


def probe_filters(results: dict, how: str) -> bool:
    """Whether the probe ``how`` (``"(its name)"`` in an arm's name) keeps only digits a real-data CNN agrees with."""
    probes = {p["probe"]: p for p in results.get("sample_probes") or []}
    return bool(probes.get(how.strip("()"), {"agree_with_real": True}).get("agree_with_real"))


def worst_digit(judge: dict) -> tuple[str, dict]:
    digits = {d: v for d, v in judge.items() if d != "overall" and v is not None}
    return min(digits, key=digits.get), digits


def ordered_arms(arms: dict) -> dict:
    """11's arms in the study's order (``constants.GENERATED_ARMS``), any other after them."""
    order = constants.GENERATED_ARMS
    return dict(sorted(arms.items(), key=lambda a: order.index(a[0]) if a[0] in order else len(order)))


def generated_items(results: dict) -> dict:
    """Generated digits alone, filtered, and added to real ones against their references; whether they collapsed."""
    arms, spread = ordered_arms(results["arms"]), results.get("within_class_spread")
    real, same = arms.get("real"), results.get("same_recipe_on_real")
    items = {"only": [], "below_real": [], "filtered": [], "added": [], "sizes": [], "filtered_sizes": []}
    items["filters"] = True  # whether the best probe's arms keep the digits a CNN trained on real digits agrees with
    for a, c in arms.items():
        size, _, how = a.removeprefix("generated ").partition(" ")
        if a.startswith("real +") and real:
            items["added"].append(_seeded(a, c, "the real images alone", real))
        elif a.startswith("generated") and how:
            items["filtered_sizes"].append(size)
            items["filters"] = probe_filters(results, how)
            what = f"{size} generated digits {FILTER * items['filters']}{how}"
            items["filtered"] += [_seeded(what, c, "the same recipe on the real 10k", same)] if same else []
        elif a.startswith("generated"):
            items["sizes"].append(size)
            what = f"Trained only on {size} generated digits, the CNN"
            items["only"].append(aim(what, c, GENERATED_TARGET, " on real test digits"))
            what, against = f"only {size} generated digits", "the same CNN on the real 10k"
            items["below_real"] += [_seeded(what, c, against, real)] if real else []
    return {**items, "collapsed": bool(spread) and spread["generated"] / spread["real"] < COLLAPSE_SPREAD}
