"""docs/versions.md's table: every version scored on the test set (results.json and ``earlier_versions.json``)."""

import json
from pathlib import Path

from digitgan.tools import pages

EARLIER, _WHY = map(json.loads(Path(__file__).with_name("earlier_versions.json").read_text()).get, ("earlier", "why"))
_SEEDS = "(test mean of 3 seeds at 100 / 1,000 / 10,000 labels)"


def _means(per_label: dict) -> str:
    return " / ".join(f"{v:.4f}" for _, v in sorted(per_label.items(), key=lambda kv: int(kv[0])))


def block(results: dict) -> str:
    """The table of every version scored on the test set: result, date, version, numbers, kept or why replaced."""
    rows = [(e["result"], e["date"], e["recipe"], e["numbers"], e["why"]) for e in EARLIER]
    label_study = results["label_efficiency"]
    for v in label_study["versions_tried"]:
        why = next((_WHY[k] for k in ("50 epochs", "first training") if k in v["version"]), "reported")
        seeds = _SEEDS if len(v["test_mean"]) > 1 else "(test mean of 3 seeds, 100 labels)"
        date = "2026-11-28" if "50 epochs" in v["version"] else "2026-11-29"
        rows.append(("Semi-supervised GAN (08)", date, v["version"], f"{_means(v['test_mean'])} {seeds}", why))
    if early := label_study.get("cnn_matched_early"):
        trained, s = [r["updates_trained"] for r in early["runs"]], early["settings"]
        version = f"modern recipe, the semi-supervised GAN's budget, stopped after {s['patience']} checks without "
        version += f"progress ({min(trained):,} to {max(trained):,} of {s['updates']:,} updates trained)"
        numbers = f"{_means({n: c['mean'] for n, c in early['summary'].items()})} {_SEEDS}"
        rows.append(("Compute-matched CNN (08), stopped early", "2026-12-05", version, numbers, _WHY["stopped early"]))
    for v in results["future_work"]["protocols"]["versions_tried"]:
        r, date = v["recipe"], "2026-11-29" if v["recipe"]["dropout"] else "2026-11-28"
        version = f"{r['epochs']} epochs, learning rate {r['learning_rate']:g}, dropout {r['dropout']:g}"
        numbers, why = f"{v['test_mean']:.4f} (test mean of 3 seeds)", "reported" if v["reported"] else _WHY["modern"]
        rows.append((f"Modern recipe, {v['result']} (10)", date, version, numbers, why))
    return pages.table(("result", "date", "version", "test accuracy", "kept or why replaced"), rows)
