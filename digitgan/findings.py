"""Each notebook's "What we found": :class:`Versus` records worded by the templates here (07-11's in extensions)."""

from collections import namedtuple

from digitgan import config
from digitgan.utils import describe_difference, difference

LINES = 4  # a finding's lines at most; the first, its headline, stands alone
ONE_RUN_EACH = "one run each; not tested"  # a difference without seeds on both sides claims nothing
acc = "{:.4f}".format  # an accuracy as written


class Finding(str):
    def _repr_markdown_(self) -> str:  # Jupyter renders it as Markdown
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


def tested(test: dict | None, diff: float | None = None, why: str = ONE_RUN_EACH) -> str:
    """The t-test (difference, 95% CI, test, p), else the difference and why it is not tested."""
    if test and test["p"] is not None:
        return describe_difference(test, compact=True)
    return f"{test['difference'] if diff is None else diff:+.4f} ({why})"


def vs(v: Versus, why: str = ONE_RUN_EACH, reference: str | None = None) -> str:
    return f"against {reference or acc(v.reference)} for {v.against}: {tested(v.test, v.difference, why)}"


def headline(who: str, value: float, budget: str, v: Versus | None = None, **how) -> str:
    """Line 1: ``{who} reaches **{value} test accuracy** {budget}, against {reference} for …: {tested}.``"""
    return f"{who} reaches **{acc(value)} test accuracy** {budget}" + (f", {vs(v, **how)}." if v else ".")


def beside(value: float, reference: float, who: str, why: str = "not tested: a scratch run", shown=None) -> str:
    return f"Against {shown or acc(reference)} for {who}: {value - reference:+.4f} ({why})."


def reach(v: Versus) -> str:
    return f"{v.what} {'does **not** reach' if v.verdict == 'below' else 'reaches'} {v.against} ({v.shown[0]})"


def count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def listing(items: list[str]) -> str:
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _size(m: dict) -> str:
    parts = [count(m[key], word) for key, word in (("n_train", "image"), ("epochs", "epoch")) if m.get(key) is not None]
    return ", ".join(parts) or "size not recorded"


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


def _against(m: dict, name: str | None, cnn: dict | None = None) -> Versus | None:
    """``m``'s test accuracy against the study's ``cnn``, else the original report's ``name`` (None if it has none)."""
    if not cnn and name not in config.ORIGINAL_ACCURACY:
        return None
    theirs = cnn or {"n_train": config.SUBSET_SIZE, "epochs": config.TRANSFER_EPOCHS, **config.ORIGINAL_ACCURACY[name]}
    who = "the study's CNN" if cnn else f"the original report's {config.name(name).split(' (')[0]}"
    budget = "same budget" if _size(m) == _size(theirs) else _size(theirs)
    return versus("test accuracy", m["test_accuracy"], f"{who} ({budget})", theirs["test_accuracy"])


def _classifier(who: str, m: dict, name: str | None, cnn: dict | None, *more: str, run=None) -> Finding:
    """Test accuracy against the study's ``cnn`` (else the original report), then against the original report."""
    original = _against(m, name)
    head = _against(m, name, cnn) if cnn else original
    shown = original and config.original_number(name, "test_accuracy")
    line = original and beside(original.value, original.reference, original.against, ONE_RUN_EACH, shown)
    first = headline(who, m["test_accuracy"], f"({_size(m)})", head, reference=None if cnn else shown)
    return finding(first, cnn and (line or "The original report has no such trial."), *more, run=run)


def _over_seeds(name: str | None, run) -> str:
    """The study's model ``name`` over its training seeds (06's tests), for the study's own run or its results."""
    study = run if isinstance(run, dict) else run.study_results() if getattr(run, "is_study", False) else {}
    if not (s := study_of(study, "comparison", "seeds", name)):
        return ""
    o, parts = s["vs_original"], [f"against the CNN {tested(s['vs_cnn'])}"] if "vs_cnn" in s else []
    verdict = "" if o["claimed"] else ", not distinguishable"
    parts.append(f"against the original {o['difference']:+.4f} (one-sample p = {o['p']:.2g}{verdict})")
    return f"Over seeds {min(s['by_seed'])}-{max(s['by_seed'])} (06_comparison.ipynb): {'; '.join(parts)}."


def cnn(metrics: dict, run=None) -> Finding:
    m, curve, rose = metrics, metrics["history"].get("val_accuracy", [])[-2:], ""
    if len(curve) == 2 and curve[1] > curve[0]:
        rose = f"Its test accuracy still rose in the last epoch ({acc(curve[0])} → {acc(curve[1])}): "
        rose += f"{count(m['epochs'], 'epoch')} of plain SGD stop short of what it can learn."
    study = None if isinstance(run, dict) else study_of(run, "cnn")  # the record itself: nothing to compare
    return _classifier("The CNN", m, "cnn", study, rose, _over_seeds("cnn", run), run=run)


def dcgan(metrics: dict, run=None) -> Finding:
    m, study, (low, high) = metrics, study_of(run, "dcgan"), config.MODE_COLLAPSE_BOUNDS
    who = study and f"the study's DCGAN ({_size(study)})"
    collapse = "one class falls outside" if m["mode_collapse"] else "every class lies within"
    return finding(
        f"The DCGAN's digits ({_size(m)}) score **{m['classifier_score']:.2f}** with the judge (1 to 10), against "
        + (f"{study['classifier_score']:.2f} for {who} and " if study else "")
        + f"{m['real_test_classifier_score']:.2f} for real test digits ({ONE_RUN_EACH}).",
        f"Their Fréchet distance to the test set is {m['frechet_distance']:.1f}, against "
        + (f"{study['frechet_distance']:.1f} for {who} and " if study else "")
        + f"{m['real_train_frechet_distance']:.1f} for real training digits ({ONE_RUN_EACH}).",
        f"Each digit class makes {min(m['class_fractions']):.1%} to {max(m['class_fractions']):.1%} of the samples: "
        f"{collapse} {low:.0%}–{high:.0%} ({'' if m['mode_collapse'] else 'no '}mode collapse by our rule).",
        run=run,
    )


def trial(name: str, metrics: dict, run) -> Finding:
    """``run``: the notebook's :class:`digitgan.runs.Run`, or the study's results (the CNN is read from them)."""
    m, frozen, params = metrics, metrics["frozen_epochs"], config.TRIALS.get(name) and config.trial_parameters(name)
    registered = params and (m["head"], frozen) == (params["HEAD"], params["FROZEN_EPOCHS"])
    who = config.name(name) if registered else f"{name.replace('trial', 'Trial ')}, edited,"
    head = f"Its {m['head']} head trained {frozen} of {count(m['epochs'], 'epoch')} with the transferred layers frozen"
    if "fine_tune_optimizer" in m:
        head += f", then fine-tuned with {m['fine_tune_optimizer']} at {m['fine_tune_learning_rate']:g}"
    name = name if registered else None
    cnn = (run if isinstance(run, dict) else run.study_results()).get("cnn")
    return _classifier(who, m, name, cnn, head + ".", _over_seeds(name, run), run=run)


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


def _ranked(scores: dict, theirs: dict) -> tuple[list, str]:
    """The models best first, and whether those the original report ran (``theirs``) keep its order."""
    ranked, same = sorted(scores, key=scores.get, reverse=True), "the original report's order"
    ran = [k for k in ranked if k in theirs]
    return ranked, same if ran == sorted(ran, key=theirs.get, reverse=True) else f"not {same}"


def _listed(scores: dict) -> str:
    return ", ".join(f"{config.name(k).split(' (')[0]} {acc(scores[k])}" for k in _ranked(scores, {})[0])


def comparison(comparison: dict, run=None) -> Finding:
    models, small, full = comparison["models"], comparison["small"], comparison["pca_knn"].get("all 60k")
    scores = {k: m["test_accuracy"] for k, m in models.items()}
    (first, *rest), order = _ranked(scores, {k: v["test_accuracy"] for k, v in config.ORIGINAL_ACCURACY.items()})
    ours, study = (
        {k: s[k]["accuracy"] if k == "pca_knn" else s[k] for k in config.ORIGINAL_SMALL}
        for s in (small, study_of(run, "comparison", "small") or small)
    )
    keys, small_order = _ranked(ours, config.ORIGINAL_SMALL)
    seeds = comparison.get("seeds") or {}
    said = {"cnn": "the CNN", **{k: k.replace("trial", "trial ") for k in seeds if k != "cnn"}}
    tests = {said[k]: s["vs_original"] for k, s in seeds.items()}
    vs_original = ", ".join(f"{k} {t['difference']:+.4f} (p = {t['p']:.2g})" for k, t in tests.items())
    differ = [k for k, t in tests.items() if t["claimed"]] or ["none"]
    return finding(
        f"On the {config.SUBSET_SIZE:,}-image subset ({count(config.TRANSFER_EPOCHS, 'epoch')}, seed 42) "
        f"{'the ' * (first == 'cnn')}{config.name(first)} leads with **{acc(scores[first])} test accuracy**, then "
        f"{_listed({k: scores[k] for k in rest})}: {order}{_order_over_seeds(seeds, [first, *rest])}.",
        f"On {small['n_train']:,} training and {small['n_test']:,} test images: {_listed(ours)}, against the "
        f"original report's {', '.join(f'{config.ORIGINAL_SMALL[k]:g}' for k in keys)} ({ONE_RUN_EACH}): "
        + small_order
        + (f"; the study's run: {_listed(study)}." if _listed(study) != _listed(ours) else "."),
        vs_original
        and f"Against the original report's numbers over seeds {min(seeds['cnn']['by_seed'])}-"
        f"{max(seeds['cnn']['by_seed'])} (one-sample t-tests): {vs_original}; distinguishable: {', '.join(differ)}.",
        full
        and f"PCA + KNN on all 60,000 training images reaches {acc(full['accuracy'])} in "
        f"{full['fit_seconds'] + full['predict_seconds']:.1f} s; the original's KNN {config.ORIGINAL_PCA_KNN_ALL}.",
        run=run,
    )
