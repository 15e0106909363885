"""What a reader of the notebooks gets: findings written from the numbers, live TensorBoard logs, the HTML
report, figures that explain themselves, a light package import and a pinned environment."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from digitgan import config, findings, frames, plots, utils
from digitgan.extensions import charts, constants, verdicts
from digitgan.extensions import findings as extension_findings
from digitgan.tools import export

COMMITTED = json.loads(config.COMMITTED_RESULTS_PATH.read_text())
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
OUTSIDE_WORDS = re.compile(r"\bSPEC\b|\bissue\b|\bsession\b|\.\./shared|latest session", re.I)


# --- "What we found", from the numbers -------------------------------------------------------------------------


def test_findings_state_the_measured_numbers():
    cnn = COMMITTED["cnn"]
    text = findings.cnn(cnn)
    assert f"{cnn['test_accuracy']:.4f}" in text and "0.9597" in text
    assert f"{COMMITTED['dcgan']['classifier_score']:.2f}" in findings.dcgan(COMMITTED["dcgan"])
    for key in ("trial1", "trial2", "trial3"):
        text = findings.trial(key, COMMITTED[key], COMMITTED)
        assert f"{COMMITTED[key]['test_accuracy']:.4f}" in text and f"{cnn['test_accuracy']:.4f}" in text
    ssgan_metrics = {
        "n_labels": 100, "n_val": 1000, "n_unlabelled": 60_000, "learning_rate": 0.001, "epochs": 12, "max_epochs": 50,
        "stopped_at": 12, "patience": 10, "seconds": 600.0, "kept_epoch": 2, "kept_weights": "raw",
        "val_accuracy": 0.951, "test_accuracy": 0.9523, "most_confused": [],
        "history": {"val_accuracy": [0.9, 0.95, 0.949, 0.95, 0.9495, 0.95], "val_accuracy_raw": [0.9] * 6},
        "learning_rate_choice": [
            {"learning_rate": 0.003, "val_accuracy": 0.93}, {"learning_rate": 0.001, "val_accuracy": 0.951},
        ],
    }  # fmt: skip
    text = extension_findings.ssgan(ssgan_metrics)
    assert "0.9523 test accuracy" in text and "stopped at epoch 12 of 50 (10 epochs idle)" in text
    assert "kept epoch 2, raw" in text and "at most 0.9500) did not beat it: the curve has flattened" in text
    end = extension_findings.ssgan({**ssgan_metrics, "kept_epoch": 12})  # the best epoch is at the end
    assert "may still be rising" in end and "flattened" not in end
    whole = {**ssgan_metrics, "stopped_at": None, "epochs": 90, "max_epochs": 90}
    assert "ran all 90 epochs" in extension_findings.ssgan(whole)
    assert "PCA + KNN" in findings.comparison(COMMITTED["comparison"])


def test_findings_follow_other_numbers():
    """The text is computed: another run's numbers give another text, and a single run is never a ± spread."""
    worse = {**COMMITTED["cnn"], "test_accuracy": 0.5}
    assert "0.5000" in findings.cnn(worse) and "-0.4597" in findings.cnn(worse)
    better, cnn = {**COMMITTED["trial3"], "test_accuracy": 0.99}, COMMITTED["cnn"]["test_accuracy"]
    assert f"{0.99 - cnn:+.4f} (one run each; not tested)" in findings.trial("trial3", better, COMMITTED)  # no verdict
    ours = COMMITTED["trial3"]["test_accuracy"] - cnn
    assert f"{ours:+.4f} (one run each; not tested)" in findings.trial("trial3", COMMITTED["trial3"], COMMITTED)
    one = {"std": None, "runs": 1}
    summary = {"cnn": {"100": {"mean": 0.3, **one}}, "ssgan": {"100": {"mean": 0.9, **one}}}
    text = extension_findings.label_efficiency({"summary": summary})
    assert "±" not in text and "+0.6000 (not tested: fewer than 2 seeds a side)" in text
    # the seeds' values come from the runs: a difference is claimed by their t-test, never by the spreads
    runs = [{"method": m, "n_labels": 100, "seed": s, "test_accuracy": v + d}
            for m, v in (("cnn", 0.3), ("ssgan", 0.9)) for s, d in ((42, -0.01), (43, 0.0), (44, 0.012))]  # fmt: skip
    summary = {m: {"100": {"mean": v, "std": 0.01, "runs": 3}} for m, v in (("cnn", 0.3), ("ssgan", 0.9))}
    text = extension_findings.label_efficiency({"summary": summary, "runs": runs})
    assert "against 0.3000 for the CNN of the original protocol: +0.6000 (95% CI" in text
    assert "ours (3 seeds): -0.0900 (95% CI" in text and "Welch p =" in text  # against the paper's mean and spread
    close = {
        m: {"100": {"mean": v, "std": 0.02, "runs": 3, "n_updates": 1500}} for m, v in (("cnn", 0.8), ("trial3", 0.81))
    }
    runs = [
        {"method": m, "n_labels": 100, "seed": 42 + i, "test_accuracy": v + d}
        for m, v, s in (("cnn", 0.8, 1), ("trial3", 0.81, -1))
        for i, d in enumerate((0.02 * s, -0.02 * s, 0))
    ]
    text = extension_findings.label_efficiency({"summary": close, "n_val": 1000, "runs": runs})
    assert "not distinguishable with 3 seeds" in text and "CNN of the original protocol (1,500 updates)" in text
    ssgan = {"100": {"mean": 0.98, "std": 0.001, "runs": 3, "n_updates": 54_000}}
    text = extension_findings.label_efficiency({"summary": {**close, "ssgan": ssgan}, "n_val": 1000, "runs": runs})
    assert "98.5%" not in text and "not tested: fewer than 2" in text  # no aim without a source; no seeds: no test
    assert verdicts.cell({"mean": 0.5, "std": None, "runs": 1}) == "0.5000 (one run)"
    assert verdicts.cell({"mean": 0.6, "std": 0.1, "runs": 3}) == "0.6000 ± 0.1000 (n = 3)"


def test_findings_render_as_markdown():
    assert findings.cnn(COMMITTED["cnn"])._repr_markdown_().startswith("The CNN reaches **")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name[:2] for p in NOTEBOOKS])
def test_committed_notebook_ends_with_what_we_found(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    heading, last = "".join(cells[-2]["source"]), cells[-1]
    assert heading.startswith("## What we found")
    assert "findings." in "".join(last["source"])
    shown = [o for o in last["outputs"] if "text/markdown" in o.get("data", {})]
    assert shown, "the findings cell was not executed"
    assert re.search(r"\d\.\d{2}", "".join(shown[0]["data"]["text/markdown"]))  # numbers, filled in


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name[:2] for p in NOTEBOOKS])
def test_committed_notebook_is_clean_and_self_contained(path):
    text = path.read_text()
    nb = json.loads(text)
    outputs = [o for cell in nb["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("name") == "stderr"], "stderr in a committed notebook"
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert "/work/" not in text and "/home/" not in text and "/tmp/" not in text  # no absolute paths
    words = [m.group(0) for cell in nb["cells"] for m in OUTSIDE_WORDS.finditer("".join(cell["source"]))]
    assert not words, f"words pointing outside the repository: {words}"
    assert "…" not in "".join(t for o in outputs for t in o.get("data", {}).get("text/plain", []))


# --- live training view ----------------------------------------------------------------------------------------


def test_gan_trainings_write_tensorboard_logs_when_given_a_log_dir(small_data, tmp_path):
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from digitgan import gan
    from digitgan.extensions import ssgan

    gan.train_gan(small_data["x_train"][:200], epochs=1, checkpoint_dir=tmp_path / "ckpt", jit_compile=False,
                  verbose=0, log_dir=tmp_path / "dcgan")  # fmt: skip
    rng = np.random.default_rng(0)
    d = {
        "x_train": rng.uniform(-1, 1, (20, 28, 28, 1)).astype("float32"),
        "y_train": np.arange(20) % 10,
        "x_unlabelled": rng.uniform(-1, 1, (200, 28, 28, 1)).astype("float32"),
        "x_val": rng.uniform(-1, 1, (50, 28, 28, 1)).astype("float32"),
        "y_val": np.arange(50) % 10,
    }
    ssgan.train_ssgan(d, epochs=1, checkpoint_dir=tmp_path / "ssgan_ckpt", jit_compile=False, verbose=0,
                      log_dir=tmp_path / "ssgan")  # fmt: skip
    scalars = {}
    for name in ("dcgan", "ssgan"):
        for events in (tmp_path / name).rglob("events.out.tfevents.*"):
            log = EventAccumulator(str(events.parent))
            log.Reload()
            for tag in log.Tags()["tensors"]:
                value = float(tf.make_ndarray(log.Tensors(tag)[-1].tensor_proto))
                scalars[name, events.parent.name, tag] = value
    assert {("dcgan", "train", "epoch_d_loss"), ("ssgan", "train", "epoch_loss_unl")} <= set(scalars)
    assert scalars["dcgan", "train", "epoch_learning_rate"] == pytest.approx(1e-4)  # the GAN's Adam, not a default
    assert ("ssgan", "validation", "epoch_accuracy") in scalars  # the averaged weights' validation accuracy
    assert not list((tmp_path / "ckpt").rglob("events.out.tfevents.*"))


# --- the HTML report -------------------------------------------------------------------------------------------


def test_report_check_finds_what_is_not_embedded():
    html = '<img src="figures/x.png"> <pre>&lt;IPython.core.display.Image object&gt;</pre>'
    assert len(export.problems(html)) == 2


# --- figures ---------------------------------------------------------------------------------------------------


def test_gif_is_at_least_400_pixels_wide(tmp_path):
    from PIL import Image

    frames_dir = tmp_path / "frames"
    for epoch in (1, 2):
        frames.draw_frame(lambda noise, training: np.zeros((9, 28, 28, 1)), None, frames_dir, epoch)
    gif = frames.make_gif(frames_dir, tmp_path / "x.gif")
    image = Image.open(gif)
    assert image.size[0] >= frames.GIF_MIN_WIDTH and image.n_frames == 2
    assert Image.open(config.PROJ_ROOT / "figures" / config.GAN_GIF_FILE).size[0] >= frames.GIF_MIN_WIDTH


def test_reference_lines_are_labelled():
    import matplotlib.pyplot as plt

    ax = plots.class_histogram_figure([0.1] * 10, "title").axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("uniform" in t for t in labels) and any("mode-collapse" in t for t in labels)

    history = {"val_accuracy": [0.9, 0.95], "val_accuracy_raw": [0.9, 0.94], "train_error": [0.1, 0.05]}
    fig = charts.ssgan_curves_figure(history, "SSGAN", references=(constants.SSGAN_PAPER,))
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("Salimans et al. 2016" in t and t.endswith("99.07% (test)") for t in texts)
    plt.close("all")


# --- the package and its environment ---------------------------------------------------------------------------


def test_import_digitgan_does_not_load_tensorflow():
    code = "import sys, digitgan.tools.report, digitgan.tools.export, digitgan.findings\n"
    code += "print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lock_file_pins_every_requirement():
    lock = (config.PROJ_ROOT / "requirements.lock").read_text()
    pinned = {line.split("==")[0].lower() for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    for req in ("requirements.txt", "requirements-notebooks.txt", "requirements-dev.txt"):
        for line in (config.PROJ_ROOT / req).read_text().splitlines():
            name = re.split(r"[<>=~!\[ ]", line.split("#")[0].strip())[0].lower()
            if name and not name.startswith("-"):
                assert name in pinned, f"{name} ({req}) is not pinned in requirements.lock: run make lock"
    assert "file://" not in lock and "/opt/" not in lock  # nothing of this machine


def test_versions_line_names_every_package_that_shapes_results():
    line = utils.versions()
    for name in utils.VERSIONED:
        assert f"{name} " in line and f"{name} not installed" not in line


def test_tensorflow_retracing_warning_is_dropped_and_nothing_else():
    import logging

    import tensorflow as tf  # noqa: F401

    logger = logging.getLogger("tensorflow")
    make = logging.LogRecord
    retracing = make("tensorflow", logging.WARNING, "", 0, "5 out of the last 9 calls to <f> triggered tf.function "
                     "retracing. Tracing is expensive", None, None)  # fmt: skip
    other = make("tensorflow", logging.WARNING, "", 0, "something else went wrong", None, None)
    assert not logger.filter(retracing) and logger.filter(other)
