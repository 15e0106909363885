"""Each extension notebook's closing "What we found" (07-11): :class:`digitgan.findings.Versus` records tested across
seeds, worded in at most five lines: the headline, the published result where there is one, the tests and what they
mean. The full tables (every arm, label count and optimiser) are the notebooks' and ``figures/results.json``."""

from __future__ import annotations

import numpy as np

from digitgan import config
from digitgan.findings import Finding, Versus, _acc, _cap, _count, _finding, gap, reach, say, study_of, tested, versus
from digitgan.utils import difference, difference_from_summary

COLLAPSE_SPREAD = 0.6  # generated digits vary "far less" than real ones below this fraction of the real spread
GENERATED_TARGET = 0.97  # our aim for a CNN trained only on generated digits (a public study: 98.4%)
_MODERN_CNN_TARGET = 0.99  # well-trained small CNNs on 10k MNIST images with augmentation and Adam
_UNTESTED = "not tested: fewer than 2 recorded seeds on a side"
_BRINGS = {
    "below": "does **not** bring trial 3 to",
    "above": "brings trial 3 past",
    "level": "brings trial 3 level with",
    "not distinguishable": "brings trial 3 level (by the test) with",
}


def cell(c: dict) -> str:
    """``mean ± std (n = k)``, or the mean and "(one run)"."""
    return _acc(c["mean"]) + (f" ± {c['std']:.4f} (n = {c['runs']})" if c["runs"] > 1 else " (one run)")


def _beside_study(value: float, reference: float, who: str) -> str:
    """A scratch run's test accuracy against the study's: ``Against 0.9867 for the study's … (…): -0.1, below it.``"""
    return _cap(say(versus("test accuracy", value, f"the study's {who}", reference), "not tested", lead=False)) + "."


def _seeded(what: str, c: dict, against: str, ref: dict) -> Versus:
    """Cell ``c`` against cell ``ref`` by the t-test of their seeds: paired where both ran the same seeds (the seed
    draws the labelled images, the initial weights and the batch order of both), Welch's otherwise."""
    a, b = c.get("by_seed") or {}, ref.get("by_seed") or {}
    seeds = [a[k] for k in sorted(a)], [b[k] for k in sorted(b)]
    return versus(what, c["mean"], against, ref["mean"], *seeds, sorted(a) == sorted(b), (cell(c), cell(ref)))


def aim(what: str, c: dict, target: float, where: str = "") -> Versus:
    """A cell's mean against an aim, written as a percentage, then ``where``."""
    mean, n = c["mean"], c["runs"]
    over = f"mean {mean:.4f} ± {c['std']:.4f} over {n} seeds" if n > 1 else f"{mean:.4f}, one run"
    return versus(what, mean, f"{target * 100:g}%{where}", target, shown=(over, ""))


def _series(triples) -> str:
    """``adam +0.0075, sgd +0.0117 (every p ≤ 0.0019)``: (label, difference, t-test record or None) triples."""
    text = ", ".join(f"{label} {difference:+.4f}".strip() for label, difference, _ in triples)
    if all(t and t["claimed"] for *_, t in triples):
        return f"{text} (every p ≤ {max(t['p'] for *_, t in triples):.2g})"
    ps = [_p(t) for *_, t in triples]
    return f"{text} (" + ("not tested" if {*ps} == {"not tested"} else "p = " + ", ".join(ps)) + ")"


def _p(t: dict | None, lead: str = "") -> str:
    """A t-test record's p as written (after ``lead``), or "not tested"."""
    return f"{lead}{t['p']:.2g}" if t and t["p"] is not None else "not tested"


def _listing(items: list[str], last: str = "and") -> str:
    """'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def ssgan_items(metrics: dict) -> dict:
    """The kept test accuracy against the paper's; whether the kept epoch is among the last five (the curve may still
    rise) and the best validation accuracy of those five (each epoch's better weights)."""
    history, paper = metrics["history"], config.SSGAN_PAPER
    raw = history.get("val_accuracy_raw") or history["val_accuracy"]
    last = [max(a, r) for a, r in zip(history["val_accuracy"][-5:], raw[-5:], strict=True)]
    theirs = f"{_count(paper['epochs'], 'epoch')}, mean of {_count(paper['seeds'], 'seed')}"
    against = f"Salimans et al. ({_count(metrics['n_labels'], 'label')}, {theirs})"
    return {
        "paper": versus("test accuracy", metrics["test_accuracy"], against, paper["test_accuracy"]),
        "at_end": metrics["kept_epoch"] > metrics["epochs"] - len(last),
        "last": len(last),
        "last_best": max(last),
    }


def ssgan(metrics: dict, run=None) -> Finding:
    m, items, choice = metrics, ssgan_items(metrics), metrics.get("learning_rate_choice") or []
    study, budgets = study_of(run, "ssgan"), sorted({c["max_epochs"] for c in choice if c.get("max_epochs")})
    who = study and f"semi-supervised GAN ({_count(study['n_labels'], 'label')}, {_count(study['epochs'], 'epoch')})"
    stopped = (
        f"stopped at epoch {m['stopped_at']} of {m['max_epochs']} (no better validation accuracy for "
        f"{_count(m['patience'], 'epoch')})"
        if m.get("stopped_at")
        else f"ran all {_count(m['epochs'], 'epoch')}"
    )
    return _finding(
        f"With {_count(m['n_labels'], 'label')} the semi-supervised GAN reaches **{_acc(m['test_accuracy'])} test "
        f"accuracy** after {_count(m['epochs'], 'epoch')}, {say(items['paper'], 'one run against their mean', False)}.",
        study and _beside_study(m["test_accuracy"], study["test_accuracy"], who),
        f"It trained {m['epochs'] / config.SSGAN_PAPER['epochs']:.0%} of the paper's epochs; "
        "08_label_efficiency.ipynb tests three seeds against the paper's ten.",
        f"The learning rate {m['learning_rate']:g} was chosen on {m['n_val']:,} validation images (best validation "
        f"accuracy per candidate{f' in runs of at most {budgets[0]} epochs' if len(budgets) == 1 else ''}: "
        + "; ".join(f"{c['learning_rate']:g}: {_acc(c['val_accuracy'])}" for c in choice)
        + ").",
        f"The run {stopped} in {m['seconds'] / 60:.1f} min and kept epoch {m['kept_epoch']}, {m['kept_weights']} "
        f"weights (validation {_acc(m['val_accuracy'])}).",
        f"The kept epoch is among the last {items['last']}, so the curve may still be rising: more epochs might help."
        if items["at_end"]
        else f"The last {items['last']} epochs (validation at most {_acc(items['last_best'])}) did not beat epoch "
        f"{m['kept_epoch']}: within this budget the curve has flattened.",
        run=run,
    )


def _name(method: str) -> str:
    return config.LABEL_EFFICIENCY_NAMES.get(method, method)


def label_efficiency_items(metrics: dict) -> dict:
    """Per label count: the methods from best to worst; the semi-supervised GAN ("ssgan") and trial 3 ("trial3")
    each against the CNN of the original protocol, and the GAN against the CNN given its updates ("matched"): paired
    t-tests of the seeds in ``metrics["runs"]``."""
    summary = {
        m: {n: {**c, "by_seed": dict(c.get("by_seed") or {})} for n, c in per.items()}
        for m, per in metrics["summary"].items()
        if m in config.LABEL_EFFICIENCY_NAMES
    }
    matched = metrics.get("cnn_matched") or {}
    summary["matched"] = {n: {**c, "by_seed": {}} for n, c in (matched.get("summary") or {}).items()}
    for r in [*(metrics.get("runs") or []), *({**r, "method": "matched"} for r in matched.get("runs") or [])]:
        summary[r["method"]][str(r["n_labels"])]["by_seed"][str(r["seed"])] = r["test_accuracy"]
    items = {}
    for n in sorted({int(n) for m, per in summary.items() if m != "matched" for n in per}):
        cells = {m: per[str(n)] for m, per in summary.items() if str(n) in per}
        updates = "cnn" in cells and cells["cnn"].get("n_updates")
        cnn = "the CNN of the original protocol" + (f" ({_count(updates, 'update')})" if updates else "")
        ranked = sorted(set(cells) - {"matched"}, key=lambda m: -cells[m]["mean"])
        items[n] = {"ranked": [(m, cells[m]) for m in ranked]}
        for m, what in (("ssgan", "the semi-supervised GAN"), ("trial3", "trial 3")):
            if {m, "cnn"} <= set(cells):
                items[n][m] = _seeded(what, cells[m], cnn, cells["cnn"])
        if {"ssgan", "matched"} <= set(cells):
            given = f"a CNN given the same labels and {_count(cells['matched']['n_updates'], 'update')} (modern recipe)"
            items[n]["matched"] = _seeded("the semi-supervised GAN", cells["ssgan"], given, cells["matched"])
    return {"counts": items}


def label_efficiency(metrics: dict, run=None) -> Finding:
    counts = label_efficiency_items(metrics)["counts"]
    n0 = min(counts)
    first, cells = counts[n0], dict(counts[n0]["ranked"])
    key = next((k for k in ("matched", "ssgan", "trial3") if k in first), None)
    method = "trial3" if key == "trial3" else "ssgan"
    head, (lead, best) = key and first[key], first["ranked"][0]
    matched = [(n, i["matched"]) for n, i in counts.items() if "matched" in i]
    study = study_of(run, "label_efficiency", "summary", method, str(n0))
    who = study and f"{_name(method)} ({_count(n0, 'label')}, {_count(study['runs'], 'seed')})"
    above, rest = ([f"{n:,}" for n, v in matched if (v.verdict == "above") == side] for side in (True, False))
    by_method = ([i[k] for i in counts.values() if k in i] for k in ("ssgan", "trial3"))
    original = [vs for vs in by_method if vs and vs != [head]]  # not the headline again
    return _finding(
        f"With {_count(n0, 'label')} {head.what} reaches **{_acc(head.value)} test accuracy** ("
        f"{_count(cells[method]['runs'], 'seed')}), {say(head, _UNTESTED, False)}."
        if head
        else f"With {_count(n0, 'label')} {_name(lead)} leads with **{_acc(best['mean'])} test accuracy** ("
        f"{_count(best['runs'], 'seed')}), ahead of "
        + _listing([f"{_name(m)} {_acc(c['mean'])}" for m, c in first["ranked"][1:]] or ["nothing else"])
        + ".",
        study and _beside_study(cells[method]["mean"], study["mean"], who),
        len(matched) > 1
        and "Against that CNN with "
        + "; with ".join(f"{_count(n, 'label')}: {gap(v, _UNTESTED)}" for n, v in matched[1:])
        + ".",
        _budgets(metrics.get("transfer_vs_scratch") or {})
        or original
        and f"Against the CNN of the original protocol at {' / '.join(f'{n:,}' for n in counts)} labels: "
        + "; ".join(f"{vs[0].what} {_series([('', v.difference, v.test) for v in vs])}" for vs in original)
        + ".",
        _salimans(metrics),
        matched
        and "In plain words: the unlabelled images beat a CNN given as much compute "
        + (f"with {_listing(above, 'or')} labels" if above else "at no label count")
        + (f", not with {_listing(rest, 'or')}." if above and rest else "."),
        run=run,
    )


def _budgets(budgets: dict) -> str:
    """Trial 3 against the CNN at each budget (paired t-tests by seed), and whether the verdict depends on it."""
    if len(budgets) < 2:
        return ""
    parts = []
    for budget, per in sorted(budgets.items(), key=lambda item: sum(d["n_updates"] for d in item[1].values())):
        updates = [f"{d['n_updates']:,}" for d in per.values()]
        shown = "" if len(set(updates)) == 1 else f" ({' / '.join(updates)} updates)"
        parts.append(f"at {budget}{shown} " + _series([("", d["difference"], d) for d in per.values()]))
    signs = {d["difference"] > 0 for per in budgets.values() for d in per.values() if d["claimed"]}
    labels = " / ".join(f"{int(n):,}" for n in next(iter(budgets.values())))
    depends = ": which is ahead depends on the budget." if len(signs) > 1 else "."
    return f"Trial 3 minus the CNN (paired) with {labels} labels: " + "; ".join(parts) + depends


def _salimans(metrics: dict) -> str:
    """The 100-label SSGAN's seeds against Salimans et al.'s mean and spread over their 10 seeds (Welch)."""
    runs = sorted(metrics.get("runs") or [], key=lambda r: r["seed"])
    runs = [r["test_accuracy"] for r in runs if r["method"] == "ssgan" and r["n_labels"] == 100]
    paper, epochs = config.SSGAN_PAPER, ((metrics.get("settings") or {}).get("ssgan") or {}).get("epochs")
    if len(runs) < 2:
        return ""
    test = difference_from_summary(runs, paper["test_accuracy"], paper["std"], paper["seeds"])
    ours = _count(len(runs), "seed") + (f", {_count(epochs, 'epoch')}" if epochs else "")
    side = f", {'above' if test['difference'] > 0 else 'below'} it" if test["claimed"] else ""
    return (
        f"Against Salimans et al. ({paper['test_accuracy']:.4f} ± {paper['std']:.4f}: 100 labels, "
        f"{_count(paper['epochs'], 'epoch')}, {_count(paper['seeds'], 'seed')}), ours ({ours}): {tested(test)}{side}."
    )


def longer_gan_items(results: dict) -> dict:
    """Per label count: trial 3 on the first and last stage's discriminator, and on the stage best on the validation
    splits against the CNN (same images, budget and rule; paired by seed); whether the losses settle."""
    stages = {int(e): v for e, v in results["stages"].items()}
    first, last, runs = min(stages), max(stages), results.get("runs") or []
    updates = next((r["n_updates"] for r in runs if r.get("model") == "cnn" and r.get("n_updates")), None)
    budget = f"same images, {_count(updates, 'update')}" if updates else "same images and budget"
    items = {"first": first, "last": last, "labels": {}}
    for n in sorted({int(n) for v in stages.values() for n in v["trial3"]}, reverse=True):
        cells = {e: v["trial3"][str(n)] for e, v in stages.items()}
        best = max(cells, key=lambda e: cells[e]["val_mean"])  # named on the validation splits, not the test set
        v = _seeded(f"trial 3 at {best} GAN epochs", cells[best], f"the CNN ({budget})", results["cnn"][str(n)])
        items["labels"][n] = {"first": cells[first], "last": cells[last], "best": best, "versus": v}
    g, d = (np.asarray(results["epoch_losses"][k]) for k in ("g_loss", "d_loss"))
    w = min(25, len(g) // 2) or 1
    stds = [(x[:w].std(), x[-w:].std()) for x in (g, d)]  # the first and the last window's
    items["losses"] = {"epochs": len(g), "window": w, "settle": all(b < a for a, b in stds), "std": stds}
    return items


def _gain(last: dict, first: dict, where: str) -> str:
    """``+0.0169 (10,000 labels, paired p = 0.01)``: the change between two stages, tested over the classifier seeds."""
    seeds = sorted(set(last["by_seed"]) & set(first["by_seed"]))
    t = difference([last["by_seed"][s] for s in seeds], [first["by_seed"][s] for s in seeds], paired=True)
    how = "the same in every seed; not tested" if t["p"] is None else f"paired p = {t['p']:.2g}"
    return f"{t['difference']:+.4f} ({where}, {how})"


def longer_gan(results: dict, run=None) -> Finding:
    """Questions 1 and 4 of the report, answered from 09's numbers."""
    items, stages, theirs = longer_gan_items(results), results["stages"], study_of(run, "future_work", "longer_gan")
    first, last, losses = items["first"], items["last"], items["losses"]
    (gs0, gs1), (ds0, ds1) = losses["std"]
    s0, s1, (n, top), *others = stages[str(first)], stages[str(last)], *items["labels"].items()
    v, theirs = top["versus"], theirs.get("stages", {})
    ref = max(theirs.items(), key=lambda e: e[1]["trial3"].get(str(n), {}).get("val_mean", -1), default=(0, {}))
    better = s1["classifier_score"] > s0["classifier_score"] and s1["frechet_distance"] < s0["frechet_distance"]
    gains = [_gain(i["last"], i["first"], _count(m, "label")) for m, i in items["labels"].items()]
    who, at_ref = f"trial 3 ({_count(n, 'label')}, {ref[0]} GAN epochs)", ref[1].get("trial3", {})
    return _finding(
        f"Longer GAN training {_BRINGS[v.verdict]} the CNN: with {_count(n, 'label')}, one GAN at {top['best']} "
        f"epochs (on validation; 3 classifier seeds): **{_acc(v.value)}**, against {_acc(v.reference)} for "
        f"{v.against}: {gap(v, _UNTESTED, tail=False)}.",
        str(n) in at_ref and _beside_study(v.value, at_ref[str(n)]["mean"], who),
        " ".join(
            f"With {_count(m, 'label')}: {_acc(i['versus'].value)} at {i['best']} GAN epochs "
            f"{say(i['versus'], _UNTESTED, lead=False)}."
            for m, i in others
        ),
        f"From {first} to {last} GAN epochs trial 3 gains {_listing(gains)} and the samples "
        f"{'improve' if better else 'change'}: classifier score {s0['classifier_score']:.2f} → "
        f"{s1['classifier_score']:.2f}, Fréchet distance {s0['frechet_distance']:.1f} → {s1['frechet_distance']:.1f}.",
        f"The losses {'settle' if losses['settle'] else 'do not settle'}: the per-epoch means vary ± {gs1:.3f} "
        f"(generator) and ± {ds1:.3f} (discriminator) in the last {losses['window']} of {losses['epochs']} epochs, "
        f"against ± {gs0:.3f} and ± {ds0:.3f} in the first {losses['window']}.",
        _gan_spread(results.get("gan_spread")),
        run=run,
    )


def _gan_spread(spread: dict | None) -> str:
    """09's one GAN restated against the spread of several GANs (:func:`longer_gan.spread_summary`)."""
    if not spread or not spread.get("one_gan_against_spread"):
        return ""
    change, later = spread["change"], spread["one_gan_against_spread"]
    n, last = max(spread["stages"][str(change["to"])]["trial3"], key=int), max(later, key=int)
    key = f"trial3_{n}"
    changed = f"from {change['from']} to {change['to']} epochs: {tested(change[key])}; " if key in change else ""
    return (
        f"Over {_count(len(spread['gan_seeds']), 'GAN')}, trial 3 ({_count(int(n), 'label')}) {changed}this GAN at "
        f"{last} epochs against their mean at {change['to']}: {tested(later[last][key])}."
    )


def protocols_items(results: dict) -> dict:
    """Per model, each optimiser on the largest against the smallest training set (original protocol); the rates
    chosen at the top of their grid; the modern CNN against its aim and trial 3 against it (Welch t-tests)."""
    cells = results["runs"]
    pick = {(c["model"], c["optimizer"], c["n_train"]): c for c in cells if c["protocol"] == "original"}
    sizes, modern = sorted({n for *_, n in pick}), {c["model"]: c for c in cells if c["protocol"] == "modern"}
    small, large, bigger = min(sizes, default=0), max(sizes, default=0), {"cnn": [], "trial3": []}
    for m, opt, n in pick:
        if m in bigger and n == small < large and (m, opt, large) in pick:
            bigger[m].append(_seeded(opt, pick[m, opt, large], f"{small:,} images", pick[m, opt, n]))
    edge = {
        f"{config.NAMES.get(c['model'], c['model'])} with {c['optimizer']} ({c['protocol']}) {c['learning_rate']:g}"
        for c in cells
        if c.get("learning_rates_tried") and c["learning_rate"] == max(c["learning_rates_tried"])
    }
    cnn = modern.get("cnn", {})
    return {
        "sizes": sizes,
        "modern": modern,
        "bigger": bigger,
        "edge": sorted(edge),
        "cnn_target": "cnn" in modern
        and aim(f"With the modern protocol on {cnn['n_train']:,} images the CNN", cnn, _MODERN_CNN_TARGET),
        "trial3_vs_cnn": {"cnn", "trial3"} <= set(modern)
        and _seeded("trial 3", modern["trial3"], "the CNN with the same protocol", modern["cnn"]),
    }


def _explored(results: dict) -> str:
    """Whether any recipe tried on the CNN alone beat the chosen candidate on validation."""
    tried = [c["val_accuracy"] for c in results.get("modern_candidates", []) if c["model"] == "cnn"]
    explored = [c["val_accuracy"] for c in results.get("modern_explored") or []]
    if not (tried and explored):
        return ""
    best, chosen = max(explored), max(tried)
    return (
        f"{'none' if best <= chosen else 'at least one'} of {_count(len(explored), 'other recipe')} tried on the "
        f"CNN alone did better on validation (best {best:.4f}, chosen {chosen:.4f})"
    )


def protocols(results: dict, run=None) -> Finding:
    """Question 2 of the report, from 10's numbers: data, optimisers, the modern protocol."""
    items, cells = protocols_items(results), results["runs"]
    sizes, modern, v = items["sizes"] or [0], items["modern"], items["trial3_vs_cnn"]
    longest = max((c.get("epochs") or 0 for c in results.get("modern_candidates", [])), default=0)
    by_model = {m: [c for c in cells if c["model"] == m] for m in ("cnn", "trial3")}
    best = {m: max(cs, key=lambda c: c["mean"]) for m, cs in by_model.items() if cs}
    epochs = v and (modern["cnn"].get("recipe") or {}).get("epochs")
    theirs = study_of(run, "future_work", "protocols").get("runs", [])
    theirs = {c["model"]: c for c in theirs if c["protocol"] == "modern"}
    at_most = f" (at most {_count(epochs, 'epoch')})" if epochs else ""
    who = "trial3" in theirs and f"trial 3 (modern protocol, {_count(theirs['trial3']['n_train'], 'image')})"
    return _finding(
        f"Under the modern protocol on {_count(modern['trial3']['n_train'], 'image')} trial 3 reaches **"
        f"{_acc(v.value)} test accuracy** ({_count(modern['trial3']['runs'], 'seed')}), against {_acc(v.reference)} "
        f"for the CNN with the same protocol{at_most}: {gap(v, _UNTESTED)}."
        if v
        else " ".join(
            f"{config.NAMES[m]}'s best: **{_acc(c['mean'])} test accuracy** ({c['optimizer']}, {c['protocol']} "
            f"protocol, {_count(c['n_train'], 'image')})."
            for m, c in best.items()
        ),
        v and who and _beside_study(v.value, theirs["trial3"]["mean"], who),
        any(items["bigger"].values())
        and f"More images help: from {sizes[0]:,} to {sizes[-1]:,} images, "
        + "; ".join(
            f"{config.NAMES[m]} " + _series([(x.what, x.difference, x.test) for x in vs])
            for m, vs in items["bigger"].items()
            if vs
        )
        + ".",
        "; ".join(filter(None, [items["cnn_target"] and reach(items["cnn_target"]), _explored(results)])) + ".",
        items["edge"]
        and "Chosen at the top of the learning rates tried, so a larger one might do better: "
        f"{', '.join(items['edge'])}.",
        " ".join(
            f"{config.NAMES.get(m, m)}'s chosen recipe is the longest tried ({longest} epochs) and its kept "
            f"epochs ({'/'.join(map(str, c['kept_epochs']))}) are near its end: a longer one might do better."
            for m, c in modern.items()
            if (c.get("recipe") or {}).get("epochs") == longest > 0 and min(c["kept_epochs"]) > 0.8 * longest
        ),
        run=run,
    )


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
    (Welch t-tests of the seeds), and whether the digits of one class vary far less than real ones; "sizes" and
    "filtered_sizes": the generated arms' sizes ("10k"), unfiltered and filtered by a classifier."""
    arms, spread = ordered_arms(results["arms"]), results.get("within_class_spread")
    real, same, by = (
        arms.get("real"),
        results.get("same_recipe_on_real"),
        "filtered by a classifier trained on real digits",
    )
    generated = {a: a.removeprefix("generated ").partition(" ")[::2] for a in arms if a.startswith("generated")}
    only = {a: size for a, (size, how) in generated.items() if not how}
    filtered = {a: (size, how) for a, (size, how) in generated.items() if how}
    return {
        "only": [
            aim(f"Trained only on {s} generated digits, the CNN", arms[a], GENERATED_TARGET, " on real test digits")
            for a, s in only.items()
        ],
        "below_real": [
            _seeded(f"only {s} generated digits", arms[a], "the same CNN on the real 10k", real)
            for a, s in only.items()
            if real
        ],
        "filtered": [
            _seeded(f"{size} generated digits {by} {how}", arms[a], "the same recipe on the real 10k", same)
            for a, (size, how) in filtered.items()
            if same
        ],
        "added": [
            _seeded(a, c, "the real images alone", real)
            for a, c in arms.items()
            if a.startswith("real +") and "real" in arms
        ],
        "collapsed": bool(spread) and spread["generated"] / spread["real"] < COLLAPSE_SPREAD,
        "sizes": list(only.values()),
        "filtered_sizes": [size for size, _ in filtered.values()],
    }


def _aim(reached: list[str], arms: int) -> str:
    """Who reaches the aim: "Neither reaches", "It does **not** reach", "10k and 60k reach"."""
    if reached:
        return _listing(reached) + (" reach" if len(reached) > 1 else " reaches")
    return "It does **not** reach" if arms == 1 else "Neither reaches" if arms == 2 else "None reaches"


def generated_digits(results: dict, run=None) -> Finding:
    """Question 3 of the report, from 11's numbers."""
    items, judge = generated_items(results), results["judge_accuracy_on_generated"]
    worst, digits = worst_digit(judge)
    only, real, filtered, added, sizes = (items[k] for k in ("only", "below_real", "filtered", "added", "sizes"))
    study = study_of(run, "future_work", "generated_digits", "arms")
    arm = sizes and f"generated {sizes[0]}"
    reached = [size for size, v in zip(sizes, only, strict=True) if v.verdict != "below"]
    differ = [f"{v.what.removeprefix('real + ')} ({v.verdict})" for v in added if v.verdict in ("above", "below")]
    helps = any(v.verdict == "above" and "generated" in v.what for v in added)
    seeds = min((min(v.test["n"]) if v.test else 1 for v in added), default=1)
    each = ", ".join(f"{v.what.removeprefix('real + ')} {v.difference:+.4f} ({_p(v.test, 'p = ')})" for v in added)
    effect = "help" if helps else "make no difference the test can tell"
    verdicts = f"only {_listing(differ)} differ" + "s" * (len(differ) == 1) if differ else "none differs"
    more = [f"{_cap(v.what)}: {_acc(v.value)}, {gap(v, _UNTESTED)}." for v in real[1:]]
    aims = [f"{_aim(reached, len(only))} {GENERATED_TARGET:.0%}."] if real else [reach(v) + "." for v in only[1:]]
    within = ""
    if spread := results.get("within_class_spread"):
        how = "far less than" if items["collapsed"] else "about as much as"
        within = f" Within a class they vary {how} real ones ({spread['generated']:.3f} against {spread['real']:.3f})"
        within += ": mode collapse within each class." if items["collapsed"] else "."
    return _finding(
        f"Trained only on {sizes[0]} generated digits, the CNN reaches **{_acc(real[0].value)} test accuracy** on "
        f"real digits, against {_acc(real[0].reference)} for the same CNN on the real 10,000 images: "
        f"{gap(real[0], _UNTESTED)}."
        if real
        else only and f"{reach(only[0])}.",
        study
        and arm in study
        and _beside_study(only[0].value, study[arm]["mean"], f"CNN on {sizes[0]} generated digits"),
        " ".join(more + aims),
        filtered
        and f"Filtered by a classifier trained on real digits (so not generated digits alone), "
        f"{_listing(items['filtered_sizes'])} reach {_listing([_acc(v.value) for v in filtered])}, against "
        f"{_acc(filtered[0].reference)} for the same recipe on the real 10k: "
        f"{_series([('', v.difference, v.test) for v in filtered])}.",
        added
        and f"Added to the real images, generated digits {effect}: {each}; {verdicts} with {_count(seeds, 'seed')}.",
        f"The conditional DCGAN's digits: classifier score {results['classifier_score']:.2f}, Fréchet distance "
        f"{results['frechet_distance']:.1f}; the judge reads {judge['overall']:.1%} as the digit asked for (the "
        f"{worst}s least often: {digits[worst]:.1%}).{within}",
        run=run,
    )
