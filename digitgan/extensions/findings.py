"""Each extension notebook's closing "What we found" (07-11): :class:`digitgan.findings.Versus` records, tested
across seeds, then their wording, a line per item."""

from __future__ import annotations

import numpy as np

from digitgan import config
from digitgan.findings import Finding, Versus, _acc, _cap, _finding, _mistake, gap, reach, say, versus

SSGAN_TARGET = 0.985  # the PyTorch port's 100-epoch result, our aim for the 100-label SSGAN
MODERN_CNN_TARGET = 0.99  # well-trained small CNNs on 10k MNIST images with augmentation and Adam
COLLAPSE_SPREAD = 0.6  # generated digits vary "far less" than real ones below this fraction of the real spread
GENERATED_TARGET = 0.97  # our aim for a CNN trained only on generated digits (a public study: 98.4%)
UNTESTED = "not tested: fewer than 2 recorded seeds on a side"


def cell(c: dict) -> str:
    return f"{_acc(c['mean'])}" + (f" ± {c['std']:.4f} (n = {c['runs']})" if c["runs"] > 1 else " (one run)")


def mean_std(values) -> str:
    """``mean ± std (n = k)``, or the one value and "(one run)"."""
    v = np.asarray(values, dtype=float)
    return cell({"mean": v.mean(), "std": v.std(ddof=1) if len(v) > 1 else None, "runs": len(v)})


def tested(what: str, c: dict, against: str, ref: dict, paired: bool = False) -> Versus:
    """Cell ``c`` against cell ``ref`` (``mean``, ``std``, ``runs``, ``by_seed``) by the t-test of their seeds, paired
    by seed with ``paired`` where both ran the same seeds (the seed draws the labelled images)."""
    a, b = c.get("by_seed") or {}, ref.get("by_seed") or {}
    return versus(what, c["mean"], against, ref["mean"], [a[k] for k in sorted(a)], [b[k] for k in sorted(b)],
                  paired and sorted(a) == sorted(b), (cell(c), cell(ref)))  # fmt: skip


def aim(what: str, c: dict, target: float, shown: str | None = None, where: str = "") -> Versus:
    """A cell's mean against an aim, written as a percentage, then ``where``."""
    return versus(what, c["mean"], f"{target * 100:g}%{where}", target, shown=(shown or cell(c), ""))


def ssgan_items(metrics: dict) -> dict:
    """The kept test accuracy against the paper's and the port's; whether the kept epoch is among the last five (the
    curve may still rise) and the best validation accuracy of those five (each epoch's better weights)."""
    history, paper, port, acc, epochs = (metrics["history"], config.SSGAN_PAPER, config.SSGAN_PORT,
                                         metrics["test_accuracy"], metrics["epochs"])  # fmt: skip
    raw = history.get("val_accuracy_raw") or history["val_accuracy"]
    last = [max(a, r) for a, r in zip(history["val_accuracy"][-5:], raw[-5:], strict=True)]
    return {
        "paper": versus("test accuracy", acc, f"the paper ({paper['epochs']} epochs; ours: {epochs}, "
                        f"{epochs / paper['epochs']:.0%} of them)", paper["test_accuracy"],
                        shown=(_acc(acc), f"{paper['test_accuracy']:.2%}")),
        "port": versus("test accuracy", acc, f"a PyTorch port ({port['epochs']} epochs)", port["test_accuracy"],
                       shown=(_acc(acc), f"{port['test_accuracy']:.1%}")),
        "at_end": metrics["kept_epoch"] > epochs - len(last), "last": len(last), "last_best": max(last),
    }  # fmt: skip


def ssgan(metrics: dict) -> Finding:
    items, choice, m = ssgan_items(metrics), metrics.get("learning_rate_choice") or [], metrics
    budgets = sorted({c["max_epochs"] for c in choice if c.get("max_epochs")})
    stopped = (f"stopped at epoch {m['stopped_at']} of {m['max_epochs']} (no better validation accuracy for "
               f"{m['patience']} epochs)" if m.get("stopped_at") else f"ran all {m['epochs']} epochs")  # fmt: skip
    return _finding([
        f"With {m['n_labels']} labels, {m['n_val']:,} validation images and {m['n_unlabelled']:,} unlabelled images, "
        f"the learning rate chosen on the validation split is {m['learning_rate']:g} (best validation accuracy per "
        f"candidate{f' in runs of at most {budgets[0]} epochs' if len(budgets) == 1 else ''}: "
        + "; ".join(f"{c['learning_rate']:g}: {_acc(c['val_accuracy'])}" for c in choice) + ").",
        f"The run {stopped} in {m['seconds'] / 60:.1f} min; the kept weights (epoch {m['kept_epoch']}, "
        f"{m['kept_weights']}; validation {_acc(m['val_accuracy'])}) give **{_acc(m['test_accuracy'])} test "
        "accuracy**.",
        say(items["paper"]) + "; " + say(items["port"], lead=False) + ".",
        f"The kept epoch is among the last {items['last']}, so the curve may still be rising: more epochs might help."
        if items["at_end"] else f"The last {items['last']} epochs (validation at most {_acc(items['last_best'])}) did "
        f"not beat epoch {m['kept_epoch']}: within this budget the curve has flattened.",
        _mistake(m),
    ])  # fmt: skip


def _name(method: str) -> str:
    return config.LABEL_EFFICIENCY_NAMES.get(method, method)


def label_efficiency_items(metrics: dict) -> dict:
    """Per label count: the methods from best to worst, the first against the second and trial 3 against the CNN
    (paired t-tests of the seeds in ``metrics["runs"]``); the 100-label SSGAN against its aim."""
    summary = {m: {n: {**c, "by_seed": dict(c.get("by_seed") or {})} for n, c in per.items()}
               for m, per in metrics["summary"].items() if m in config.LABEL_EFFICIENCY_NAMES}  # fmt: skip
    for r in metrics.get("runs") or []:
        summary[r["method"]][str(r["n_labels"])]["by_seed"][str(r["seed"])] = r["test_accuracy"]
    items, target = {}, summary.get("ssgan", {}).get("100")
    for n in sorted({int(n) for per in summary.values() for n in per}):
        cells = {m: per[str(n)] for m, per in summary.items() if str(n) in per}
        ranked = sorted(cells, key=lambda m: -cells[m]["mean"])
        tests = []
        if len(ranked) > 1:
            a, b = ranked[:2]
            tests.append(tested(_name(a), cells[a], _name(b), cells[b], paired=True))
        if {"trial3", "cnn"} <= set(cells) and {"trial3", "cnn"} != set(ranked[:2]):
            tests.append(tested("trial 3", cells["trial3"], "the CNN", cells["cnn"], paired=True))
        items[n] = {"ranked": [(m, cells[m]) for m in ranked], "tests": tests}
    return {"counts": items, "ssgan_target": target and aim("The semi-supervised GAN with 100 labels", target,
            SSGAN_TARGET, f"mean {_acc(target['mean'])} over {target['runs']} seeds")}  # fmt: skip


def label_efficiency(metrics: dict) -> Finding:
    items, summary = label_efficiency_items(metrics), metrics["summary"]
    lines = []
    for n, i in items["counts"].items():
        tests = "; ".join(f"{v.what} against {v.against}: {gap(v, UNTESTED)}" for v in i["tests"])
        lines.append(f"With {n:,} labels: " + "; ".join(f"{_name(m)} {cell(c)}" for m, c in i["ranked"])
                     + (f". {_cap(tests)}" if tests else "") + ".")  # fmt: skip
    budgets = {
        m: sorted({c.get("n_updates") for c in per.values()} - {None})
        for m, per in summary.items()
        if m in config.LABEL_EFFICIENCY_NAMES
    }  # fmt: skip (the matched CNN: its own sentence)
    stops = (metrics.get("settings") or {}).get("ssgan", {}).get("patience") is not None
    equal = [f"{_name(m)} {b[0]:,} updates" + " at most (it stops by its validation rule)" * (m == "ssgan" and stops)
             for m, b in budgets.items() if len(b) == 1]  # fmt: skip
    budget = equal and (
        f"Budgets are equal across label counts, not across methods: {', '.join(equal)}; every "
        f"choice was made on {metrics.get('n_val', config.LABEL_EFFICIENCY_VAL):,} validation images."
    )
    return _finding([*lines, " ".join(t for t in (budget, _matched(metrics)) if t),
                     " ".join(t for t in (items["ssgan_target"] and reach(items["ssgan_target"]) + ".",
                                          _salimans(metrics)) if t)])  # fmt: skip


def _matched(metrics: dict) -> str:
    """The semi-supervised GAN against the compute-matched CNN (the same updates), per label count."""
    matched = metrics.get("cnn_matched")
    if not matched:
        return ""
    from digitgan.compare import describe_difference

    gaps = "; ".join(f"{int(n):,} labels {cell(matched['summary'][n])}, the GAN {describe_difference(d)}"
                     for n, d in matched["ssgan_minus_matched"].items())  # fmt: skip
    return (
        f"Given the GAN's {next(iter(matched['summary'].values()))['n_updates']:,} updates, a CNN with the modern "
        f"recipe (augmentation, Adam, cosine, dropout; early stopping on validation) reaches: {gaps}."
    )


def _salimans(metrics: dict) -> str:
    """The 100-label SSGAN's seeds against Salimans et al.'s mean, with every difference of protocol."""
    runs = sorted((r for r in metrics.get("runs") or [] if r["method"] == "ssgan" and r["n_labels"] == 100),
                  key=lambda r: r["seed"])  # fmt: skip
    s, paper = (metrics.get("settings") or {}).get("ssgan"), config.SSGAN_PAPER
    if len(runs) < 2 or not s:
        return ""
    from digitgan.compare import describe_difference, difference

    seeds = ", ".join(f"{r['test_accuracy']:.4f} (seed {r['seed']})" for r in runs)
    return (
        f"Against Salimans et al. ({paper['test_accuracy']:.4f}, the mean of {paper['seeds']} seeds): {seeds}; "
        f"{describe_difference(difference([r['test_accuracy'] for r in runs], paper['test_accuracy']))}. Protocols "
        f"differ: {s['epochs']} epochs, not {paper['epochs']}; learning rate {s['learning_rate']:g} chosen on "
        f"validation (theirs {paper['learning_rate']:g}), decayed from epoch {s['decay_start']}; an average of the "
        f"weights (decay {s['ema_decay']:g}) and the epoch best on {s['n_val']:,} labelled validation images beyond "
        f"the 100 are kept; the unlabelled pool is all {s.get('n_unlabelled') or config.N_TRAIN_FULL:,} training "
        f"images, the labelled and validation ones included; {len(runs)} seeds, not {paper['seeds']}."
    )


def longer_gan_items(results: dict) -> dict:
    """Per label count: trial 3 on the first and last stage's discriminator, and on the stage best on the validation
    splits against the CNN (same images, budget and rule; paired by seed); whether the losses settle."""
    stages = {int(e): v for e, v in results["stages"].items()}
    first, last = min(stages), max(stages)
    items = {"first": first, "last": last, "labels": {}}
    for n in sorted({int(n) for v in stages.values() for n in v["trial3"]}, reverse=True):
        cells = {e: v["trial3"][str(n)] for e, v in stages.items()}
        best = max(cells, key=lambda e: cells[e]["val_mean"])  # named on the validation splits, not the test set
        items["labels"][n] = {"first": cells[first], "last": cells[last], "best": best, "versus": tested(
            f"trial 3 at {best} GAN epochs (its best stage on the validation splits)", cells[best],
            "the CNN (same images, budget and rule)", results["cnn"][str(n)], paired=True)}  # fmt: skip
    g, d = (np.asarray(results["epoch_losses"][k]) for k in ("g_loss", "d_loss"))
    w = min(25, len(g) // 2) or 1
    parts = [(x[:w], x[len(x) - w :]) for x in (g, d)]
    items["losses"] = {"epochs": len(g), "window": w, "settle": all(b.std() < a.std() for a, b in parts),
                       "mean_std": [(p.mean(), p.std()) for ab in parts for p in ab]}  # fmt: skip
    return items


def longer_gan(results: dict) -> Finding:
    """Questions 1 and 4 of the report, answered from 09's numbers."""
    items, stages = longer_gan_items(results), results["stages"]
    first, last, losses = items["first"], items["last"], items["losses"]
    (g0, gs0), (g1, gs1), (d0, ds0), (d1, ds1) = losses["mean_std"]
    s0, s1, w = stages[str(first)], stages[str(last)], losses["window"]
    return _finding([
        *(f"With {n:,} labelled images, trial 3 goes from {cell(i['first'])} on the {first}-epoch discriminator to "
          f"{cell(i['last'])} on the {last}-epoch one ({i['last']['mean'] - i['first']['mean']:+.4f}). "
          + say(i["versus"], UNTESTED) + (": **no**, it does not reach it." if i["versus"].verdict == "below" else ".")
          for n, i in items["labels"].items()),
        f"The losses over {losses['epochs']} epochs: the generator's mean per epoch goes from {g0:.3f} (± {gs0:.3f} "
        f"between epochs) in the first {w} epochs to {g1:.3f} (± {gs1:.3f}) in the last {w}; the discriminator's from "
        f"{d0:.3f} (± {ds0:.3f}) to {d1:.3f} (± {ds1:.3f}). " + ("They settle: the late epochs vary less than the "
        "early ones." if losses["settle"] else "They do not settle: the late epochs vary as much or more."),
        f"Sample quality: classifier score {s0['classifier_score']:.2f} at {first} epochs, {s1['classifier_score']:.2f}"
        f" at {last}; Fréchet distance {s0['frechet_distance']:.1f} and {s1['frechet_distance']:.1f}."
        + _gan_spread(results.get("gan_spread")),
    ])  # fmt: skip


def _gan_spread(spread: dict | None) -> str:
    """09's one GAN restated against the spread of several GANs (:func:`longer_gan.spread_summary`)."""
    if not spread or not spread.get("one_gan_against_spread"):
        return ""
    from digitgan.compare import describe_difference

    n, change = max(spread["stages"][str(spread["change"]["to"])]["trial3"], key=int), spread["change"]
    gans = f"{len(spread['gan_seeds'])} GANs (seeds {', '.join(map(str, spread['gan_seeds']))})"
    text = f" Everything above is one GAN; with {gans}, trial 3 on {int(n):,} labels"
    if f"trial3_{n}" in change:
        text += (f" changes from {change['from']} to {change['to']} epochs by "
                 f"{describe_difference(change[f'trial3_{n}'])}")  # fmt: skip
    later = spread["one_gan_against_spread"]
    last = max(later, key=int)
    return text + (f"; the one GAN at {last} epochs against the {gans} at {change['to']}: "
                   f"{describe_difference(later[last][f'trial3_{n}'])}.")  # fmt: skip


# How a findings sentence names each kind of setting an explored modern recipe changed (protocols.RECIPE_DEFAULTS).
_EXPLORED_KINDS = {
    "weight_decay": "weight decay", "label_smoothing": "label smoothing", "strength": "other augmentation strengths",
    "batch_size": "other batch sizes", "dropout": "dropout",
}  # fmt: skip


def _listing(items: list[str]) -> str:
    """'a, b or c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def protocols_items(results: dict) -> dict:
    """Per model, each optimiser on the largest against the smallest training set (original protocol); the rates
    chosen at the top of their grid; the modern CNN against its aim and trial 3 against it (Welch t-tests)."""
    cells = results["runs"]
    sizes = sorted({c["n_train"] for c in cells if c["protocol"] == "original"})
    pick = {(c["model"], c["optimizer"], c["n_train"]): c for c in cells if c["protocol"] == "original"}
    modern = {c["model"]: c for c in cells if c["protocol"] == "modern"}
    return {
        "sizes": sizes, "modern": modern,
        "bigger": {model: [tested(opt, pick[model, opt, sizes[-1]], f"{sizes[0]:,} images", pick[model, opt, n])
                           for m, opt, n in pick if m == model and n == sizes[0] < sizes[-1]
                           and (model, opt, sizes[-1]) in pick] for model in ("cnn", "trial3")},
        "edge": sorted({f"{config.NAMES.get(c['model'], c['model'])} with {c['optimizer']} ({c['protocol']}) "
                        f"{c['learning_rate']:g}" for c in cells
                        if c.get("learning_rates_tried") and c["learning_rate"] == max(c["learning_rates_tried"])}),
        "cnn_target": "cnn" in modern and aim(f"With the modern protocol on {modern['cnn']['n_train']:,} images the "
                                              "CNN", modern["cnn"], MODERN_CNN_TARGET),
        "trial3_vs_cnn": {"cnn", "trial3"} <= set(modern) and tested(
            "the transferred discriminator under the same protocol", modern["trial3"], "the CNN", modern["cnn"]),
    }  # fmt: skip


def _explored(results: dict) -> str:
    """The recipes tried on the CNN alone beside the candidates, and the best of them on validation."""
    from digitgan.extensions.protocols import RECIPE_DEFAULTS as DEFAULTS

    tried = [c for c in results.get("modern_candidates", []) if c["model"] == "cnn"]
    explored = results.get("modern_explored") or []
    if not (tried and explored):
        return ""
    best = max(explored, key=lambda c: c["val_accuracy"])
    shown = ["learning_rate", "epochs"] + [k for k, v in DEFAULTS.items() if best.get(k, v) != v]
    kinds = [what for k, what in _EXPLORED_KINDS.items() if any(c.get(k, DEFAULTS[k]) != DEFAULTS[k] for c in explored)]
    kinds += ["longer schedules"] * any(c["epochs"] > max(t["epochs"] for t in tried) for c in explored)
    return (f"Also tried on the CNN alone (seed 42, validation only; not among the candidates, so that both models "
            f"choose among the same ones): {len(explored)} recipes with {_listing(kinds or ['other learning rates'])}; "
            f"the best ({', '.join(f'{k} {best[k]:g}' for k in shown)}) reached {best['val_accuracy']:.4f} on "
            f"validation, the chosen candidate {max(c['val_accuracy'] for c in tried):.4f}.")  # fmt: skip


def protocols(results: dict) -> Finding:
    """Question 2 of the report, from 10's numbers: data, optimisers, the modern protocol."""
    items, cells = protocols_items(results), results["runs"]
    n, modern = items["sizes"], items["modern"]
    longest = max((c.get("epochs") or 0 for c in results.get("modern_candidates", [])), default=0)
    ranked = {m: sorted((c for c in cells if c["model"] == m), key=lambda c: -c["mean"]) for m in ("cnn", "trial3")}
    return _finding([
        *(f"{config.NAMES[m]}: " + "; ".join(f"{c['optimizer']} ({c['protocol']}, {c['n_train']:,} images, lr "
          f"{c['learning_rate']:g}) {cell(c)}" for c in mine) + f". Best: {mine[0]['optimizer']} with "
          f"{mine[0]['n_train']:,} images." for m, mine in ranked.items() if mine),
        ". ".join(f"{config.NAMES[m]}, {n[-1]:,} images against {n[0]:,}: " + "; ".join(
            f"{v.what} {gap(v, UNTESTED)}" for v in vs) for m, vs in items["bigger"].items() if vs) + "." * any(
            items["bigger"].values()) + (f" (\"{config.N_TRAIN_FULL:,} images\" trains on the "
            f"{config.N_TRAIN_FULL - results['n_val']:,} outside the {results['n_val']:,}-image validation split.)"
            if "n_val" in results and any(items["bigger"].values()) else ""),
        " ".join(filter(None, [
            items["edge"] and "Chosen at the top of the learning rates tried, so a larger one might do better: "
            + ", ".join(items["edge"]) + ".",
            items["cnn_target"] and reach(items["cnn_target"]) + ".",
            items["trial3_vs_cnn"] and say(items["trial3_vs_cnn"], UNTESTED) + "."])),
        "cnn" in modern and " ".join([_explored(results)] + [
            f"{config.NAMES.get(m, m)}'s chosen recipe is the longest tried ({longest} epochs) and its kept epochs "
            f"({'/'.join(map(str, c['kept_epochs']))}) are near its end: a longer one might do better."
            for m, c in modern.items()
            if (c.get("recipe") or {}).get("epochs") == longest > 0 and min(c["kept_epochs"]) > 0.8 * longest]),
    ])  # fmt: skip


def worst_digit(judge: dict) -> tuple[str, dict]:
    """The digit the judge reads worst among the generated ones, and its accuracy per digit (digits drawn)."""
    digits = {d: v for d, v in judge.items() if d != "overall" and v is not None}
    return min(digits, key=digits.get), digits


def ordered_arms(arms: dict) -> dict:
    """11's arms in the study's order (``config.GENERATED_ARMS``; results.json keeps its keys sorted), any other
    after them."""
    order = [a for a in config.GENERATED_ARMS if a in arms] + [a for a in arms if a not in config.GENERATED_ARMS]
    return {a: arms[a] for a in order}


def generated_items(results: dict) -> dict:
    """The CNN trained only on generated digits against the aim, each "real + ..." arm against the real images alone
    (Welch t-tests of the seeds), and whether the digits of one class vary far less than real ones."""
    arms, spread = ordered_arms(results["arms"]), results.get("within_class_spread")
    only = {a: a.removeprefix("generated ").partition(" ") for a in arms if a.startswith("generated")}  # "10k", (how)
    real, same = arms.get("real"), results.get("same_recipe_on_real")
    return {
        "only": [aim(f"Trained only on {size} generated digits, the CNN", arms[a], GENERATED_TARGET,
                     where=" on real test digits") for a, (size, _, how) in only.items() if not how],
        "below_real": [tested(f"only {size} generated digits", arms[a], "the same CNN on the real 10k", real)
                       for a, (size, _, how) in only.items() if not how and real],
        "filtered": [tested(f"{size} generated digits filtered by a classifier trained on real digits {how}",
                            arms[a], "the same recipe on the real 10k", same)
                     for a, (size, _, how) in only.items() if how and same],
        "added": [tested(a, c, "the real images alone", arms["real"]) for a, c in arms.items()
                  if a.startswith("real +") and "real" in arms],
        "collapsed": bool(spread) and spread["generated"] / spread["real"] < COLLAPSE_SPREAD,
    }  # fmt: skip


def _probes(results: dict) -> str:
    """The mode-seeking weight's probes, and the other ways to draw or train on 10k generated digits."""
    probes, samples, text = results.get("mode_seeking_probes") or [], results.get("sample_probes") or [], ""
    if probes:
        text = (
            f"The mode-seeking weight, chosen on the real validation split after {probes[0]['gan_epochs']} GAN "
            "epochs each ("
            + "; ".join(
                f"weight {p['mode_seeking']:g}: validation {p['val_accuracy']:.4f}, "
                f"spread {p['within_class_spread']:.3f}"
                for p in probes
            )
            + f"), is {results['mode_seeking']:g}. "
        )
    if not samples:
        return text
    base = next((p for p in samples if p["probe"] == "as drawn"), samples[0])
    best = max(samples, key=lambda p: p["val_accuracy"])
    worse = [p["probe"] for p in samples if p["val_accuracy"] < base["val_accuracy"]]
    agreed = next((p for p in (best, *samples) if p.get("agreement") is not None), None)
    low = agreed and agreed.get("agreement_worst_digit")
    return text + (
        f"Other ways to draw or train on 10k generated digits (seed 42, real validation split; the study's six arms do "
        f"not use them): {base['probe']} {base['val_accuracy']:.4f}; the best, {best['probe']}, "
        f"{best['val_accuracy']:.4f}" + (f"; below {base['probe']}: {', '.join(worse)}" if worse else "")
        + (f". None reaches {GENERATED_TARGET:.0%} on validation." if best["val_accuracy"] < GENERATED_TARGET else ".")
        + (f" A CNN trained on the real 10k reads {agreed['agreement']:.1%} of the digits drawn for {agreed['probe']} "
           "as the digit asked for" + (f" (its worst digit {low:.1%})" if low is not None else "")
           + "; that probe keeps only those." if agreed else ""))  # fmt: skip


def generated_digits(results: dict) -> Finding:
    """Question 3 of the report, from 11's numbers."""
    items, judge, spread = generated_items(results), results["judge_accuracy_on_generated"], results.get(
        "within_class_spread")  # fmt: skip
    worst, digits = worst_digit(judge)
    how = ("far less than real ones: the generator has collapsed to a few styles per digit (mode collapse within each "
           "class), so its digits teach a classifier little of how real digits vary" if items["collapsed"]
           else "about as much as real ones")  # fmt: skip
    return _finding([
        f"The conditional DCGAN's digits score {results['classifier_score']:.2f} (classifier score) at a Fréchet "
        f"distance of {results['frechet_distance']:.1f}; the judge reads {judge['overall']:.2%} of them as the digit "
        f"asked for (worst: {worst}, {digits[worst]:.2%})." + (f" The digits drawn for one class differ from each "
        f"other {how} (within-class pixel spread {spread['generated']:.3f} against {spread['real']:.3f} for the real "
        "subset)." if spread else ""),
        " ".join(reach(v) + "." for v in items["only"]) + " " + " ".join(_cap(say(v, UNTESTED)) + "."
                                                                   for v in items["below_real"]),
        " ".join(_cap(say(v, UNTESTED)) + "." for v in items["filtered"]) + (" A real-data classifier chose these "
        "digits, so they carry what it learnt from real ones (close to distillation): not generated digits alone."
        if items["filtered"] else ""),
        _probes(results).strip(),
        " ".join(say(v, UNTESTED) + "." for v in items["added"]),
    ])  # fmt: skip
