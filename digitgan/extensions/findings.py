"""Each extension notebook's closing "What we found" (07-11), worded from :mod:`digitgan.extensions.verdicts`."""

from __future__ import annotations

from digitgan import config
from digitgan.extensions import constants, verdicts
from digitgan.findings import Finding, acc, cap, count, finding, gap, reach, say, study_of, tested
from digitgan.utils import SHORT_TESTS

_UNTESTED = "not tested: fewer than 2 recorded seeds on a side"
_BRINGS = dict(below="does **not** bring trial 3 to", above="brings trial 3 past", level="brings trial 3 level with")


def _beside_study(value: float, reference: float, who: str) -> str:
    return f"Against {acc(reference)} for the study's {who}: {value - reference:+.4f} (not tested)."


def _series(triples, named: bool = True) -> str:
    """``adam +0.0075, sgd +0.0117 (paired t-tests, every p ≤ 0.0019)`` from (label, difference, test) triples."""
    text = ", ".join(f"{label} {difference:+.4f}".strip() for label, difference, _ in triples)
    names = sorted({SHORT_TESTS.get(t["test"], t["test"]) for *_, t in triples if t})
    tests = f"{' and '.join(names)} t-tests, " if names and named else ""
    if all(t and t["claimed"] for *_, t in triples):
        return f"{text} ({tests}every p ≤ {max(t['p'] for *_, t in triples):.2g})"
    ps = [_p(t) for *_, t in triples]
    return f"{text} (" + ("not tested" if {*ps} == {"not tested"} else f"{tests}p = " + ", ".join(ps)) + ")"


def _p(t: dict | None, lead: str = "", untested: str = "not tested") -> str:
    return f"{lead}{t['p']:.2g}" if t and t["p"] is not None else untested


def _listing(items: list[str], last: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def ssgan(metrics: dict, run=None) -> Finding:
    m, items, choice = metrics, verdicts.ssgan_items(metrics), metrics.get("learning_rate_choice") or []
    study, budgets = study_of(run, "ssgan"), sorted({c["max_epochs"] for c in choice if c.get("max_epochs")})
    who = study and f"semi-supervised GAN ({count(study['n_labels'], 'label')}, {count(study['epochs'], 'epoch')})"
    rates = "; ".join(f"{c['learning_rate']:g}: {acc(c['val_accuracy'])}" for c in choice)
    stopped = f"ran all {count(m['epochs'], 'epoch')}"
    if m.get("stopped_at"):
        better = f"no better validation accuracy for {count(m['patience'], 'epoch')}"
        stopped = f"stopped at epoch {m['stopped_at']} of {m['max_epochs']} ({better})"
    return finding(
        f"With {count(m['n_labels'], 'label')} the semi-supervised GAN reaches **{acc(m['test_accuracy'])} test "
        f"accuracy** after {count(m['epochs'], 'epoch')}, {say(items['paper'], 'one run against their mean', False)}.",
        study and _beside_study(m["test_accuracy"], study["test_accuracy"], who),
        f"It trained {m['epochs'] / constants.SSGAN_PAPER['epochs']:.0%} of the paper's epochs; "
        "08_label_efficiency.ipynb tests three seeds against the paper's ten.",
        f"The learning rate {m['learning_rate']:g} was chosen on {m['n_val']:,} validation images (best validation "
        f"accuracy per candidate{f' in runs of at most {budgets[0]} epochs' if len(budgets) == 1 else ''}: {rates}).",
        f"The run {stopped} in {m['seconds'] / 60:.1f} min and kept epoch {m['kept_epoch']}, {m['kept_weights']} "
        f"weights (validation {acc(m['val_accuracy'])}).",
        f"The kept epoch is among the last {items['last']}, so the curve may still be rising: more epochs might help."
        if items["at_end"]
        else f"The last {items['last']} epochs (validation at most {acc(items['last_best'])}) did not beat epoch "
        f"{m['kept_epoch']}: within this budget the curve has flattened.",
        run=run,
    )


def label_efficiency(metrics: dict, run=None) -> Finding:
    items, names = verdicts.label_efficiency_items(metrics), constants.LABEL_EFFICIENCY_NAMES
    counts = items["counts"]
    n0 = min(counts)
    first, cells = counts[n0], dict(counts[n0]["ranked"])
    key = next((k for k in ("matched", "ssgan", "trial3") if k in first), None)
    method = "trial3" if key == "trial3" else "ssgan"
    head, (lead, best) = key and first[key], first["ranked"][0]
    matched = [(n, i["matched"]) for n, i in counts.items() if "matched" in i]
    study = study_of(run, "label_efficiency", "summary", method, str(n0))
    who = study and f"{names.get(method, method)} ({count(n0, 'label')}, {count(study['runs'], 'seed')})"
    above, rest = ([f"{n:,}" for n, v in matched if (v.verdict == "above") == side] for side in (True, False))
    by_method = ([i[k] for i in counts.values() if k in i] for k in ("ssgan", "trial3"))
    original = "; ".join(  # not the headline again
        f"{vs[0].what} {_series([('', v.difference, v.test) for v in vs])}" for vs in by_method if vs and vs != [head]
    )
    others = "; with ".join(f"{count(n, 'label')}: {gap(v, _UNTESTED)}" for n, v in matched[1:])
    test, paper, ssgan = items["paper"], constants.SSGAN_PAPER, metrics.get("settings", {}).get("ssgan", {})
    epochs = f", {count(ssgan['epochs'], 'epoch')}" if ssgan.get("epochs") else ""
    ours = test and count(test["n"][0], "seed") + epochs
    side = test and test["claimed"] and f", {'above' if test['difference'] > 0 else 'below'} it" or ""
    return finding(
        f"With {count(n0, 'label')} {head.what} reaches **{acc(head.value)} test accuracy** ("
        f"{count(cells[method]['runs'], 'seed')}), {say(head, _UNTESTED, False)}."
        if head
        else f"With {count(n0, 'label')} {names.get(lead, lead)} leads with **{acc(best['mean'])} test accuracy** ("
        f"{count(best['runs'], 'seed')}), ahead of "
        + _listing([f"{names.get(m, m)} {acc(c['mean'])}" for m, c in first["ranked"][1:]] or ["nothing else"])
        + ".",
        study and _beside_study(cells[method]["mean"], study["mean"], who),
        others and f"Against that CNN with {others}.",
        _budgets(metrics.get("transfer_vs_scratch") or {})
        or original
        and f"Against the CNN of the original protocol at {' / '.join(f'{n:,}' for n in counts)} labels: {original}.",
        test
        and f"Against Salimans et al. ({paper['test_accuracy']:.4f} ± {paper['std']:.4f}: 100 labels, "
        f"{count(paper['epochs'], 'epoch')}, {count(paper['seeds'], 'seed')}), ours ({ours}): {tested(test)}{side}.",
        matched
        and "In plain words: the unlabelled images beat a CNN given as much compute "
        + (f"with {_listing(above, 'or')} labels" if above else "at no label count")
        + (f", not with {_listing(rest, 'or')}." if above and rest else "."),
        run=run,
    )


def _budgets(budgets: dict) -> str:
    if len(budgets := {budget: per for budget, per in budgets.items() if per}) < 2:  # one seed: no tests
        return ""
    parts = []
    for budget, per in sorted(budgets.items(), key=lambda item: sum(d["n_updates"] for d in item[1].values())):
        updates = [f"{d['n_updates']:,}" for d in per.values()]
        shown = "" if len(set(updates)) == 1 else f" ({' / '.join(updates)} updates)"
        parts.append(f"at {budget}{shown} " + _series([("", d["difference"], d) for d in per.values()], named=False))
    signs = {d["difference"] > 0 for per in budgets.values() for d in per.values() if d["claimed"]}
    labels = " / ".join(f"{int(n):,}" for n in next(iter(budgets.values())))
    depends = ": which is ahead depends on the budget." if len(signs) > 1 else "."
    return f"Trial 3 minus the CNN (paired) with {labels} labels: " + "; ".join(parts) + depends


def longer_gan(results: dict, run=None) -> Finding:
    items, stages = verdicts.longer_gan_items(results), results["stages"]
    first, last, losses = items["first"], items["last"], items["losses"]
    (gs0, gs1), (ds0, ds1) = losses["std"]
    s0, s1, (n, top), *others = stages[str(first)], stages[str(last)], *items["labels"].items()
    v, theirs = top["versus"], study_of(run, "future_work", "longer_gan", "stages")
    ref = max(theirs.items(), key=lambda e: e[1]["trial3"].get(str(n), {}).get("val_mean", -1), default=(0, {}))
    better = s1["classifier_score"] > s0["classifier_score"] and s1["frechet_distance"] < s0["frechet_distance"]
    same = "the same in every seed; not tested"
    gains = [(m, i["gain"]) for m, i in items["labels"].items()]
    gains = [f"{t['difference']:+.4f} ({count(m, 'label')}, {_p(t, 'paired p = ', same)})" for m, t in gains]
    who, at_ref = f"trial 3 ({count(n, 'label')}, {ref[0]} GAN epochs)", ref[1].get("trial3", {})
    brings = _BRINGS.get(v.verdict, "brings trial 3 level (by the test) with")
    return finding(
        f"Longer GAN training {brings} the CNN: with {count(n, 'label')}, one GAN at {top['best']} "
        f"epochs (on validation; 3 classifier seeds): **{acc(v.value)}**, against {acc(v.reference)} for "
        f"{v.against}: {gap(v, _UNTESTED, tail=False)}.",
        str(n) in at_ref and _beside_study(v.value, at_ref[str(n)]["mean"], who),
        " ".join(
            f"With {count(m, 'label')}: {acc(i['versus'].value)} at {i['best']} GAN epochs "
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
    if not spread or not spread.get("one_gan_against_spread"):
        return ""
    change, later = spread["change"], spread["one_gan_against_spread"]
    n, last = max(spread["stages"][str(change["to"])]["trial3"], key=int), max(later, key=int)
    key = f"trial3_{n}"
    changed = f"from {change['from']} to {change['to']} epochs: {tested(change[key])}; " if key in change else ""
    return (
        f"Over {count(len(spread['gan_seeds']), 'GAN')}, trial 3 ({count(int(n), 'label')}) {changed}this GAN at "
        f"{last} epochs against their mean at {change['to']}: {tested(later[last][key])}."
    )


def protocols(results: dict, run=None) -> Finding:
    items, cells = verdicts.protocols_items(results), results["runs"]
    sizes, modern, v = items["sizes"] or [0], items["modern"], items["trial3_vs_cnn"]
    longest = max((c.get("epochs") or 0 for c in results.get("modern_candidates", [])), default=0)
    by_model = {m: [c for c in cells if c["model"] == m] for m in ("cnn", "trial3")}
    best = {m: max(cs, key=lambda c: c["mean"]) for m, cs in by_model.items() if cs}
    epochs = v and (modern["cnn"].get("recipe") or {}).get("epochs")
    theirs = study_of(run, "future_work", "protocols").get("runs", [])
    theirs = {c["model"]: c for c in theirs if c["protocol"] == "modern"}
    at_most = f" (at most {count(epochs, 'epoch')})" if epochs else ""
    who = "trial3" in theirs and f"trial 3 (modern protocol, {count(theirs['trial3']['n_train'], 'image')})"
    tried = [c["val_accuracy"] for c in results.get("modern_candidates", []) if c["model"] == "cnn"]
    explored = [c["val_accuracy"] for c in results.get("modern_explored") or []]
    best_explored, chosen = max(explored, default=0), max(tried, default=0)
    explored = (tried and explored) and (
        f"{'none' if best_explored <= chosen else 'at least one'} of {count(len(explored), 'other recipe')} tried on "
        f"the CNN alone did better on validation (best {best_explored:.4f}, chosen {chosen:.4f})"
    )
    bigger = "; ".join(
        f"{config.NAMES[m]} {_series([(x.what, x.difference, x.test) for x in vs])}"
        for m, vs in items["bigger"].items()
        if vs
    )
    return finding(
        f"Under the modern protocol on {count(modern['trial3']['n_train'], 'image')} trial 3 reaches **"
        f"{acc(v.value)} test accuracy** ({count(modern['trial3']['runs'], 'seed')}), against {acc(v.reference)} "
        f"for the CNN with the same protocol{at_most}: {gap(v, _UNTESTED)}."
        if v
        else " ".join(
            f"{config.NAMES[m]}'s best: **{acc(c['mean'])} test accuracy** ({c['optimizer']}, {c['protocol']} "
            f"protocol, {count(c['n_train'], 'image')})."
            for m, c in best.items()
        ),
        v and who and _beside_study(v.value, theirs["trial3"]["mean"], who),
        bigger and f"More images help: from {sizes[0]:,} to {sizes[-1]:,} images, {bigger}.",
        "; ".join(filter(None, [items["cnn_target"] and reach(items["cnn_target"]), explored])) + ".",
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


def generated_digits(results: dict, run=None) -> Finding:
    items, judge = verdicts.generated_items(results), results["judge_accuracy_on_generated"]
    worst, digits = verdicts.worst_digit(judge)
    only, real, filtered, added, sizes = (items[k] for k in ("only", "below_real", "filtered", "added", "sizes"))
    study = study_of(run, "future_work", "generated_digits", "arms")
    arm = sizes and f"generated {sizes[0]}"
    reached = [size for size, v in zip(sizes, only, strict=True) if v.verdict != "below"]
    differ = [f"{v.what.removeprefix('real + ')} ({v.verdict})" for v in added if v.verdict in ("above", "below")]
    helps = any(v.verdict == "above" and "generated" in v.what for v in added)
    seeds = min((min(v.test["n"]) if v.test else 1 for v in added), default=1)
    each = ", ".join(f"{v.what.removeprefix('real + ')} {v.difference:+.4f} ({_p(v.test, 'p = ')})" for v in added)
    effect = "help" if helps else "make no difference the test can tell"
    differs = f"only {_listing(differ)} differ" + "s" * (len(differ) == 1) if differ else "none differs"
    more = [f"{cap(v.what)}: {acc(v.value)}, {gap(v, _UNTESTED)}." for v in real[1:]]
    who = {1: "It does **not** reach", 2: "Neither reaches"}.get(len(only), "None reaches")
    who = _listing(reached) + (" reach" if len(reached) > 1 else " reaches") if reached else who
    aims = [f"{who} {verdicts.GENERATED_TARGET:.0%}."] if real else [reach(v) + "." for v in only[1:]]
    within = ""
    if spread := results.get("within_class_spread"):
        how = "far less than" if items["collapsed"] else "about as much as"
        within = f" Within a class they vary {how} real ones ({spread['generated']:.3f} against {spread['real']:.3f})"
        within += ": mode collapse within each class." if items["collapsed"] else "."
    return finding(
        f"Trained only on {sizes[0]} generated digits, the CNN reaches **{acc(real[0].value)} test accuracy** on "
        f"real digits, against {acc(real[0].reference)} for the same CNN on the real 10,000 images: "
        f"{gap(real[0], _UNTESTED)}."
        if real
        else only and f"{reach(only[0])}.",
        study
        and arm in study
        and _beside_study(only[0].value, study[arm]["mean"], f"CNN on {sizes[0]} generated digits"),
        " ".join(more + aims),
        filtered
        and f"Filtered by a classifier trained on real digits (so not generated digits alone), "
        f"{_listing(items['filtered_sizes'])} reach {_listing([acc(v.value) for v in filtered])}, against "
        f"{acc(filtered[0].reference)} for the same recipe on the real 10k: "
        f"{_series([('', v.difference, v.test) for v in filtered])}.",
        added
        and f"Added to the real images, generated digits {effect}: {each}; {differs} with {count(seeds, 'seed')}.",
        f"The conditional DCGAN's digits: classifier score {results['classifier_score']:.2f}, Fréchet distance "
        f"{results['frechet_distance']:.1f}; the judge reads {judge['overall']:.1%} as the digit asked for (the "
        f"{worst}s least often: {digits[worst]:.1%}).{within}",
        run=run,
    )
