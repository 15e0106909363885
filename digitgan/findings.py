"""Each notebook's "What we found": :class:`Versus` records worded by :func:`say`, :func:`gap` and :func:`reach`."""

from __future__ import annotations

from collections import namedtuple
from functools import partial

from digitgan import config
from digitgan.utils import describe_difference, difference

LINES = 5  # a finding's lines at most; the first stands alone
_ONE_RUN_EACH = "one run each; not tested"  # a difference without seeds on both sides claims nothing
_TAIL = {"above": ", above it", "below": ", below it", "level": ", level with it", "not distinguishable": ""}
_NUMBER_WORDS = {3: "three", 4: "four", 5: "five", 6: "six"}
acc = "{:.4f}".format  # an accuracy as written
tested = partial(describe_difference, compact=True)  # ``+0.0461 (95% CI +0.039 to +0.053, p = …)``


class Finding(str):
    """Markdown text that Jupyter renders as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


# ``value`` against ``reference``; ``verdict``: above, below, level or "not distinguishable" by the seeds' ``test``;
# ``shown``: both numbers as written
Versus = namedtuple("Versus", "what value against reference difference verdict test shown")


def versus(what, value, against, reference, a=(), b=(), paired=False, shown=None) -> Versus:
    """With two or more per-seed values on each side (``a``, ``b``), the verdict is their t-test's."""
    test = difference(a, b, paired and len(a) == len(b)) if len(a) > 1 and len(b) > 1 else None
    diff = value - reference
    verdict = "above" if diff >= 0.00005 else "below" if diff <= -0.00005 else "level"
    verdict = verdict if not test or test["claimed"] else "not distinguishable"
    return Versus(what, value, against, reference, diff, verdict, test, shown)


def gap(v: Versus, untested: str = _ONE_RUN_EACH, tail: bool = True) -> str:
    return tested(v.test) + _TAIL[v.verdict] * tail if v.test else f"{v.difference:+.4f} ({untested})"


def say(v: Versus, untested: str = _ONE_RUN_EACH, lead: bool = True) -> str:
    """``{What}: {value} against {reference} for {against}: {gap}`` (``lead=False``: from "against" on)."""
    value, reference = v.shown if v.shown and not v.test else (acc(v.value), acc(v.reference))
    text = f"against {reference} for {v.against}: {gap(v, untested)}"
    return f"{cap(v.what)}: {value} {text}" if lead else text


def reach(v: Versus) -> str:
    return f"{v.what} {'does **not** reach' if v.verdict == 'below' else 'reaches'} {v.against} ({v.shown[0]})"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _size(n_train, epochs) -> str:
    parts = [count(n, w) for n, w in ((n_train, "image"), (epochs, "epoch")) if n is not None]
    return ", ".join(parts) or "size not recorded"


def _mistake(metrics: dict) -> str:
    if top := (metrics.get("most_confused") or [None])[0]:
        return f"its most frequent mistake is a {top['true']} read as {top['predicted']} ({top['count']} test images)"
    return "it made no mistakes on the test set"


def study_of(run, *keys) -> dict:
    """The study's results under ``keys`` (``run``: a scratch :class:`digitgan.runs.Run`, or those results), else {}."""
    found = run if run is None or isinstance(run, dict) else None if run.is_study else run.study_results()
    for key in keys:
        found = (found or {}).get(key)
    return found or {}


def finding(*lines, run=None) -> Finding:
    """The first :data:`LINES` lines that have text, then for a scratch run where its files are."""
    text = "\n".join([line for line in lines if line][:LINES])
    if (folder := getattr(run, "folder", None)) is not None:
        text += f"\n\n*Scratch run, kept in {config.shown(folder)}/: not the study's record.*"
    return Finding(text)


def _against_original(name: str, test_accuracy: float) -> Versus | None:
    if name not in config.ORIGINAL_ACCURACY:
        return None
    who = "CNN" if name == "cnn" else name.replace("trial", "trial ")
    against = f"the original report's {who} ({_size(config.SUBSET_SIZE, config.TRANSFER_EPOCHS)})"
    shown = (acc(test_accuracy), config.original_number(name, "test_accuracy"))
    return versus("test accuracy", test_accuracy, against, config.ORIGINAL_ACCURACY[name]["test_accuracy"], shown=shown)


def _against_cnn(metrics: dict, cnn: dict, scratch: bool = False, ours_said: bool = False) -> Versus:
    """A classifier's test accuracy against the study's CNN, named with its size (and, unless ``ours_said``, ours)."""
    ours, theirs = (_size(m.get("n_train"), m.get("epochs")) for m in (metrics, cnn))
    who = (
        f"the CNN trained on the same {count(cnn['n_train'], 'image')} for {count(cnn['epochs'], 'epoch')}"
        if ours == theirs and not scratch and None not in (cnn.get("n_train"), cnn.get("epochs"))
        else f"the study's CNN ({theirs}" + (f"; this run: {ours}" if ours != theirs and not ours_said else "") + ")"
    )
    return versus("test accuracy", metrics["test_accuracy"], who, cnn["test_accuracy"])


def cnn(metrics: dict, run=None) -> Finding:
    m, curve, epochs = metrics, metrics["history"].get("val_accuracy", []), count(metrics["epochs"], "epoch")
    study, original = study_of(run, "cnn"), _against_original("cnn", m["test_accuracy"])
    head = study and _against_cnn(m, study, scratch=True, ours_said=True) or original
    return finding(
        f"The CNN reaches **{acc(m['test_accuracy'])} test accuracy** after {epochs} on "
        f"{count(m['n_train'], 'image')}, {say(head, lead=False)}.",
        study and cap(say(original, lead=False)) + ".",
        f"On its training images it reaches {acc(m['train_accuracy'])} (the original: "
        f"{config.original_number('cnn', 'train_accuracy')}); {_mistake(m)}.",
        len(curve) > 1
        and curve[-1] > curve[-2]
        and f"The test accuracy still rose in the last epoch ({acc(curve[-2])} → {acc(curve[-1])}): {epochs} of "
        "plain SGD leave this network short of what it can learn.",
        "This is the baseline every transferred discriminator is compared with.",
        run=run,
    )


def dcgan(metrics: dict, run=None) -> Finding:
    m, fractions, (low, high) = metrics, metrics["class_fractions"], config.MODE_COLLAPSE_BOUNDS
    bounds, scores, distance = f"{low:.0%}–{high:.0%}", "", ""
    if study := study_of(run, "dcgan"):
        named = f"the study's DCGAN ({_size(study.get('n_train'), study.get('epochs'))})"
        scores = f"{study['classifier_score']:.2f} for {named} and "
        distance = f"; the study's DCGAN: {study['frechet_distance']:.1f}"
    collapse = f"one digit class falls outside {bounds} of the samples (mode collapse by our rule)"
    if not m["mode_collapse"]:
        collapse = f"every digit class lies within {bounds} of them (no mode collapse by our rule)"
    return finding(
        f"After {count(m['epochs'], 'epoch')} on {count(m['n_train'], 'image')} the DCGAN's digits score "
        f"**{m['classifier_score']:.2f}** with the judge, against {scores}{m['real_test_classifier_score']:.2f} for "
        "real test digits (the scale runs from 1 to 10).",
        f"They lie at a Fréchet distance of **{m['frechet_distance']:.1f}** from the test set (real training digits: "
        f"{m['real_train_frechet_distance']:.1f}{distance}).",
        f"The rarest generated digit makes {min(fractions):.1%} of the samples and the commonest "
        f"{max(fractions):.1%}: {collapse}.",
        f"The discriminator that learnt to tell them from real digits ({m['seconds'] / 60:.1f} min of training, "
        f"{'reused from the committed training' if m['reused_weights'] else 'trained in this run'}) is what "
        "notebooks 03–05 reuse.",
        run=run,
    )


def trial(name: str, metrics: dict, run) -> Finding:
    """``run``: the notebook's :class:`digitgan.runs.Run`, or the study's results (the CNN is read from them)."""
    m, frozen, total = metrics, metrics["frozen_epochs"], metrics["epochs"]
    schedule = f"{frozen} frozen and {count(total - frozen, 'fine-tuned epoch')}"
    if frozen >= total:
        schedule = f"{count(total, 'epoch')} with the transferred layers frozen"
    if "fine_tune_optimizer" in m:
        schedule += f" (fine-tuned with {m['fine_tune_optimizer']} at {m['fine_tune_learning_rate']:g})"
    results = run if isinstance(run, dict) else run.study_results()
    v = "cnn" in results and _against_cnn(m, results["cnn"], scratch=not isinstance(run, dict) and not run.is_study)
    registered = config.trial_parameters(name) if name in config.TRIALS else {}
    as_registered = (m["head"], frozen) == (registered.get("HEAD"), registered.get("FROZEN_EPOCHS"))
    original = as_registered and _against_original(name, m["test_accuracy"])
    label = config.name(name) if as_registered else f"{name.replace('trial', 'Trial ')}, edited,"
    train, against = acc(m["train_accuracy"]), say(v, lead=False) if v else f"on {_size(m['n_train'], total)}"
    return finding(
        f"{label} reaches **{acc(m['test_accuracy'])} test accuracy**, {against}.",
        cap(say(original, lead=False)) + f"; train accuracy {train} (theirs "
        f"{config.original_number(name, 'train_accuracy')})."
        if original
        else f"The original report has no such trial; train accuracy {train}.",
        f"Its {m['head']} head trained {schedule}; {_mistake(m)}.",
        as_registered
        and name in ("trial1", "trial2", "trial3")  # the trials make claims trains at seeds 43 and 44
        and "06_comparison.ipynb tests it over seeds 42-44"
        + ("; 08_label_efficiency.ipynb at 100 to 10,000 labels." if name == "trial3" else "."),
        run=run,
    )


def _rankings(comparison: dict) -> dict:
    """The models best first on the 10k subset ("full") and 1,000 images ("small"); is each order the original's?"""
    small, original = comparison["small"], {k: v["test_accuracy"] for k, v in config.ORIGINAL_ACCURACY.items()}
    ours = {"full": {k: m["test_accuracy"] for k, m in comparison["models"].items()}}
    ours["small"] = {k: small[k]["accuracy"] if k == "pca_knn" else small[k] for k in ("pca_knn", "trial3", "cnn")}
    theirs = {"full": original, "small": config.ORIGINAL_SMALL}
    ranked = {key: sorted(scores, key=scores.get, reverse=True) for key, scores in ours.items()}
    for key, scores in theirs.items():
        ran = [k for k in ranked[key] if k in scores]  # the models the original ran, in our order
        ranked[f"{key}_as_original"] = ran == sorted(ran, key=scores.get, reverse=True)
    return ranked


def _order_over_seeds(seeds: dict, ranked: list) -> str:
    """The ranking ``ranked`` tested step by step over the seeds (paired t-tests of each model against the next)."""
    if not ranked or not all(k in seeds for k in ranked):
        return " (seed 42 alone; not tested)"
    common = sorted(set.intersection(*(set(seeds[k]["by_seed"]) for k in ranked)))
    runs = {k: [seeds[k]["by_seed"][s] for s in common] for k in ranked}
    tests = [difference(runs[a], runs[b], paired=True) for a, b in zip(ranked, ranked[1:], strict=False)]
    worst, span = max(t["p"] for t in tests), f"seeds {common[0]}-{common[-1]}"
    if all(t["claimed"] and t["difference"] > 0 for t in tests):
        return f" ({span} too: paired p ≤ {worst:.2g} per step)"
    return f"; over {span} not every step holds (paired p up to {worst:.2g})"


def comparison(comparison: dict, run=None) -> Finding:
    models, small, ranked = comparison["models"], comparison["small"], _rankings(comparison)
    top, full = comparison["most_confused_pairs"][0], comparison["pca_knn"].get("all 60k")
    seeds, study = comparison.get("seeds") or {}, study_of(run, "comparison")
    (first, *rest), small_ranked = ranked["full"], ranked["small"]

    def name(k: str) -> str:
        return {"pca_knn": "PCA + KNN", "cnn": "the CNN"}.get(k, k.replace("trial", "trial "))

    def accuracies(s: dict) -> str:
        return ", ".join(f"{name(k)} {acc(s[k]['accuracy'] if k == 'pca_knn' else s[k])}" for k in small_ranked)

    def original(o: dict) -> str:
        return f"{o['difference']:+.4f} (p = {o['p']:.2g}{'' if o['claimed'] else ', not distinguishable'})"

    order = {True: "the original report's order", False: "not the original report's order"}
    then = ", ".join(f"{config.name(k)} {acc(models[k]['test_accuracy'])}" for k in rest)
    vs_cnn = ", ".join(f"{name(k)} {tested(s['vs_cnn'])}" for k, s in seeds.items() if "vs_cnn" in s)
    vs_original = ", ".join(f"{name(k)} {original(s['vs_original'])}" for k, s in seeds.items())
    return finding(
        f"On the {config.SUBSET_SIZE:,}-image subset ({count(config.TRANSFER_EPOCHS, 'epoch')}, seed 42) "
        f"{'the ' * (first == 'cnn')}{config.name(first)} leads with **{acc(models[first]['test_accuracy'])} test "
        f"accuracy**, then {then}: {order[ranked['full_as_original']]}{_order_over_seeds(seeds, ranked['full'])}.",
        "cnn" in seeds
        and f"Over training seeds {min(seeds['cnn']['by_seed'])}-{max(seeds['cnn']['by_seed'])} the CNN reaches "
        f"{acc(seeds['cnn']['mean'])} ± {seeds['cnn']['std']:.4f}; against it {vs_cnn}.",
        seeds and f"Against the original report's numbers (one-sample t-tests over those seeds): {vs_original}.",
        f"On {small['n_train']:,} training and {small['n_test']:,} test images: {accuracies(small)} (one run each; not "
        f"tested); the original report: {', '.join(f'{config.ORIGINAL_SMALL[k]:g}' for k in small_ranked)}: "
        f"{order[ranked['small_as_original']]}.",
        study
        and accuracies(study["small"]) != accuracies(small)
        and f"The study's run ({count(study['small']['n_train'], 'training image')}): {accuracies(study['small'])}.",
        full
        and f"PCA + KNN on all 60,000 training images reaches {acc(full['accuracy'])} in "
        f"{full['fit_seconds'] + full['predict_seconds']:.1f} s, where the original's own KNN did not finish at "
        f"2,000; the most confused pair over all {_NUMBER_WORDS.get(len(models), len(models))} models is a "
        f"{top['true']} read as {top['predicted']} ({top['count']} times).",
        run=run,
    )
