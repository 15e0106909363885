"""Each extension notebook's closing "What we found" (07-11): :mod:`verdicts`' records in :mod:`digitgan.findings`'
templates."""

from __future__ import annotations

from digitgan.extensions import constants, verdicts
from digitgan.findings import acc, beside, count, finding, headline, listing, reach, study_of, tested, vs
from digitgan.utils import SHORT_TESTS

_FEW = "not tested: fewer than 2 seeds a side"


def _series(triples) -> str:
    """``adam +0.0075, sgd +0.0117 (3 seeds, paired p = 0.0046, 0.0012)`` from (label, difference, test) triples."""
    names = sorted({SHORT_TESTS.get(t["test"], t["test"]) for *_, t in triples if t})
    seeds = count(min(min(t["n"]) for *_, t in triples if t), "seed") if names else ""
    ps = ", ".join(f"{t['p']:.2g}" if t and t["p"] is not None else "not tested" for *_, t in triples)
    tests = f"{seeds}, {' and '.join(names)} p = {ps}" if names else _FEW
    return ", ".join(f"{label} {difference:+.4f}".strip() for label, difference, _ in triples) + f" ({tests})"


def ssgan(metrics: dict, run=None) -> str:
    m, items, study = metrics, verdicts.ssgan_items(metrics), study_of(run, "ssgan")
    budget = study and f"{count(study['n_labels'], 'label')}, {count(study['epochs'], 'epoch')}"
    stopped = f"ran all {count(m['epochs'], 'epoch')}"
    if m.get("stopped_at"):
        stopped = f"stopped at epoch {m['stopped_at']} of {m['max_epochs']} ({count(m['patience'], 'epoch')} idle)"
    curve = f"The kept epoch is among the last {items['last']}: the curve may still be rising (more epochs might help)."
    if not items["at_end"]:
        best = acc(items["last_best"])
        curve = f"The last {items['last']} epochs (validation at most {best}) did not beat it: the curve has flattened."
    ours, after = (
        f"With {count(m['n_labels'], 'label')} the semi-supervised GAN",
        f"after {count(m['epochs'], 'epoch')}",
    )
    return finding(
        headline(ours, m["test_accuracy"], after, items["paper"], why="not tested: one run; 08 tests three seeds"),
        study and beside(m["test_accuracy"], study["test_accuracy"], f"the study's semi-supervised GAN ({budget})"),
        f"Learning rate {m['learning_rate']:g}, chosen on {m['n_val']:,} validation images; the run {stopped} in "
        f"{m['seconds'] / 60:.1f} min and kept epoch {m['kept_epoch']}, {m['kept_weights']} weights (validation "
        f"{acc(m['val_accuracy'])}).",
        curve,
        run=run,
    )


def label_efficiency(metrics: dict, run=None) -> str:
    items, names = verdicts.label_efficiency_items(metrics), constants.LABEL_EFFICIENCY_NAMES
    (n0, first), *more = items["counts"].items()
    key = next((k for k in ("matched", "ssgan", "trial3") if k in first), None)
    (lead, best), *rest = first["ranked"]
    method = {"matched": "ssgan", None: lead}.get(key, key)
    cell, head = dict(first["ranked"])[method], key and first[key]
    study = study_of(run, "label_efficiency", "summary", method, str(n0))
    who = study and f"the study's {names.get(method, method)} ({count(n0, 'label')}, {count(study['runs'], 'seed')})"
    others = [(count(n, "label"), i[key]) for n, i in more if key in i]
    others = [
        f"{n}: {acc(v.value)} against {acc(v.reference)}, {tested(v.test, v.difference, _FEW)}" for n, v in others
    ]
    test, paper = items["paper"], constants.SSGAN_PAPER
    epochs = metrics.get("settings", {}).get("ssgan", {}).get("epochs")
    ours = test and count(test["n"][0], "seed") + (f", {count(epochs, 'epoch')}" if epochs else "")
    labels, ranked = f"With {count(n0, 'label')}", ", ".join(f"{names.get(m, m)} {acc(c['mean'])}" for m, c in rest)
    return finding(
        headline(f"{labels} {head.what}", head.value, f"({count(cell['runs'], 'seed')})", head, why=_FEW)
        if head
        else f"{labels} {names.get(lead, lead)} has the highest mean, **{acc(best['mean'])} test "
        f"accuracy** ({count(best['runs'], 'seed')}); {ranked or 'nothing else ran'} (not tested).",
        study and beside(cell["mean"], study["mean"], who),
        head and others and "Against that CNN with " + "; with ".join(others) + ".",
        test
        and f"Against Salimans et al. ({paper['test_accuracy']:.4f} ± {paper['std']:.4f}: 100 labels, "
        f"{count(paper['epochs'], 'epoch')}, {count(paper['seeds'], 'seed')}), ours ({ours}): {tested(test)}.",
        run=run,
    )


def longer_gan(results: dict, run=None) -> str:
    items, stages = verdicts.longer_gan_items(results), results["stages"]
    first, last, losses = items["first"], items["last"], items["losses"]
    (g0, g1), (d0, d1) = losses["std"]
    (n, top), *others = items["labels"].items()
    v, study = top["versus"], study_of(run, "future_work", "longer_gan")
    study = study and verdicts.longer_gan_items(study)["labels"].get(n)  # the study's best stage on validation
    theirs = study and f"the study's trial 3 ({count(n, 'label')}, {study['best']} GAN epochs)"
    brings = {"below": "does **not** bring trial 3 to", "above": "brings trial 3 past", "level": "brings trial 3 to"}
    brings = brings.get(v.verdict, "leaves trial 3 not distinguishable from")
    seeds = count(stages[str(top["best"])]["trial3"][str(n)]["runs"], "classifier seed")
    gains = _series([(count(m, "label"), i["gain"]["difference"], i["gain"]) for m, i in items["labels"].items()])
    spread = f"± {g0:.3f} / ± {d0:.3f} → ± {g1:.3f} / ± {d1:.3f}, generator / discriminator"
    return finding(
        f"Longer GAN training {brings} the CNN: with {count(n, 'label')}, one GAN at {top['best']} epochs (on "
        f"validation; {seeds}): **{acc(v.value)}**, {vs(v, _FEW)}.",
        study and beside(v.value, study["versus"].value, theirs),
        " ".join(
            f"With {count(m, 'label')}: {acc(i['versus'].value)} at {i['best']} GAN epochs, {vs(i['versus'], _FEW)}."
            for m, i in others
        ),
        f"Trial 3's gain, {first} to {last} epochs of one GAN: {gains}; losses "
        f"{'settle' if losses['settle'] else 'do not settle'} (per-epoch spread {spread}, first → last "
        f"{losses['window']} of {losses['epochs']} epochs).",
        _gan_spread(results.get("gan_spread")),
        run=run,
    )


def _gan_spread(spread: dict | None) -> str:
    if not spread or not spread.get("one_gan_against_spread"):
        return ""
    change, later = spread["change"], spread["one_gan_against_spread"]
    n, last = max(spread["stages"][str(change["to"])]["trial3"], key=int), max(later, key=int)
    key = f"trial3_{n}"
    changed = key in change and f", {change['from']} → {change['to']} epochs: {tested(change[key], why=_FEW)}"
    return (
        f"{count(len(spread['gan_seeds']), 'GAN')}, trial 3 ({count(int(n), 'label')}){changed or ''}; this GAN at "
        f"{last} against them at {change['to']}: {tested(later[last][key], why=_FEW)}."
    )


def protocols(results: dict, run=None) -> str:
    items, name = verdicts.protocols_items(results), verdicts.short_name
    sizes, modern, v, target = items["sizes"] or [0], items["modern"], items["trial3_vs_cnn"], items["cnn_target"]
    longest = max((c.get("epochs") or 0 for c in results.get("modern_candidates") or []), default=0)
    theirs = {(c["model"], c["protocol"]): c for c in study_of(run, "future_work", "protocols").get("runs", [])}
    theirs = theirs.get(("trial3", "modern"))
    bigger = [(name(m), [(x.what, x.difference, x.test) for x in records]) for m, records in items["bigger"].items()]
    bigger = [f"{m} {_series(triples)}" for m, triples in bigger if triples]
    longer = [
        f"{name(m)} (kept epochs {'/'.join(map(str, c['kept_epochs']))})"
        for m, c in modern.items()
        if (c.get("recipe") or {}).get("epochs") == longest > 0 and min(c["kept_epochs"]) > 0.8 * longest
    ]
    caveats = [
        items["edge"] and f"larger learning rates for {', '.join(items['edge'])} (each the largest tried)",
        longer and f"a recipe longer than {count(longest, 'epoch')} for {listing(longer)}",
    ]
    best = max((c for c in results["runs"] if c["model"] in ("cnn", "trial3")), key=lambda c: c["mean"])
    head = f"The best cell reaches **{acc(best['mean'])} test accuracy**: {name(best['model'])}, {best['optimizer']}, "
    head += f"{best['protocol']} protocol, {count(best['n_train'], 'image')}, {count(best['runs'], 'seed')}."
    if v:
        epochs = (modern["cnn"].get("recipe") or {}).get("epochs")
        v = v._replace(against=v.against + (f" (at most {count(epochs, 'epoch')})" if epochs else ""))
        who = f"Under the modern protocol on {count(modern['trial3']['n_train'], 'image')} trial 3"
        head = headline(who, v.value, f"({count(modern['trial3']['runs'], 'seed')})", v, why=_FEW)
    who = theirs and f"the study's trial 3 (modern, {count(theirs['n_train'], 'image')})"
    return finding(
        head,
        v and theirs and beside(v.value, theirs["mean"], who),
        bigger and f"From {sizes[0]:,} to {sizes[-1]:,} images (same epochs, so more updates): {'; '.join(bigger)}.",
        target and reach(target) + ".",
        any(caveats) and "Might do better: " + "; ".join(filter(None, caveats)) + ".",
        run=run,
    )


def generated_digits(results: dict, run=None) -> str:
    items, judge = verdicts.generated_items(results), results["judge_accuracy_on_generated"]
    worst, digits = verdicts.worst_digit(judge)
    only, real, filtered, added, sizes = (items[k] for k in ("only", "below_real", "filtered", "added", "sizes"))
    arm, study = f"generated {sizes[0]}", study_of(run, "future_work", "generated_digits", "arms")
    aims = {True: [], False: []}  # missed, reached
    for size, o in zip(sizes, only, strict=True):
        aims[o.verdict == "below"].append(f"{size} ({acc(o.value)})")
    aims = " and ".join(f"{'**not** ' * missed}reached by {listing(a)}" for missed, a in aims.items() if a)
    differ = [a.what.removeprefix("real + ") for a in added if a.verdict in ("above", "below")]
    judged = f"The judge reads {judge['overall']:.1%} of the generated digits as the digit asked for (the {worst}s "
    judged += f"least often: {digits[worst]:.1%})"
    if spread := results.get("within_class_spread"):
        how = "far less than" if items["collapsed"] else "about as much as"
        judged += f"; within a class they vary {how} real ones ({spread['generated']:.3f} against {spread['real']:.3f})"
        judged += ": mode collapse within each class" if items["collapsed"] else ""
    budget = "on real digits" + ("" if real else f" ({count(results['arms'][arm]['runs'], 'seed')})")
    return finding(
        headline(f"Trained only on {sizes[0]} generated digits, the CNN", only[0].value, budget, *real[:1], why=_FEW),
        arm in study and beside(only[0].value, study[arm]["mean"], f"the study's CNN on {sizes[0]} generated digits"),
        f"Our aim of {verdicts.GENERATED_TARGET:.0%} is {aims}. {judged}.",
        added
        and f"Added to the real images ({acc(added[0].reference)} alone): "
        + _series([(a.what.removeprefix("real + "), a.difference, a.test) for a in added])
        + (f"; only {listing(differ)} differ{'s' * (len(differ) == 1)}." if differ else "; none differs."),
        filtered
        and (
            "Filtered by a classifier trained on real digits (so not generated digits alone), "
            if items["filters"]
            else "Drawn as the best probe says, "
        )
        + listing([f"{s} {acc(f.value)}" for s, f in zip(items["filtered_sizes"], filtered, strict=True)])
        + f", against {acc(filtered[0].reference)} for the same recipe on the real 10k: "
        + _series([("", f.difference, f.test) for f in filtered])
        + ".",
        run=run,
    )
