"""Jupyter's main workflow in a real kernel: run a notebook's cells, edit the parameters cell or a code cell, rerun.
Outside the study's runner every write goes to a scratch run's own folder, whatever the parameters or code; the
study's record stays as it was."""

import json
import os

import pytest
from jupyter_client.manager import start_new_kernel

from digitgan import config, runs

FULL = config.FULL_SIZE["03_trial1_frozen"]
PARAMETERS = "\n".join(f"{name} = {value!r}" for name, value in FULL.items())


@pytest.fixture()
def kernel(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != runs.STUDY_RUN_ENV}
    for name in ("FIGURES", "CHECKPOINT", "RUNS"):
        env[f"DIGITGAN_{name}_DIR"] = str(tmp_path / name.lower())
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    yield kc, tmp_path
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run_cell(kc, code: str) -> tuple[str, str | None]:
    """Execute one cell; returns (its printed output, the error name or None)."""
    out, error = [], None

    def collect(msg):
        nonlocal error
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            error = content["ename"]
            out.append(content["evalue"])

    kc.execute_interactive(code, output_hook=collect, timeout=120)
    return "".join(out), error


def test_no_parameters_or_code_edit_in_a_kernel_writes_the_study_record(kernel):
    kc, tmp = kernel
    study = {name: tmp / name for name in ("figures", "checkpoints")}
    for folder in study.values():
        folder.mkdir()
    (study["figures"] / "results.json").write_text('{"trial1": {"test_accuracy": 0.9058}}\n')
    before = {name: sorted((p.name, p.read_bytes()) for p in f.rglob("*")) for name, f in study.items()}
    assert run_cell(kc, "from digitgan import fileio, runs\n" + PARAMETERS)[1] is None
    out, error = run_cell(kc, 'run = runs.start("03_trial1_frozen", globals())')
    assert error is None and out.startswith("Scratch run (the study's parameters)")
    # an edited code cell with the study's parameters: its numbers are not the study's, and they stay in runs/
    out, error = run_cell(kc, 'run.save_results("trial1", {"test_accuracy": 0.2120})\n'
                              'fileio.atomic_write_text(run.checkpoint("trial1.weights.h5"), "x")\n'
                              'import matplotlib.pyplot as plt\nrun.show_fig("trial1_accuracy", plt.figure())\n'
                              'print(run.results_path)')  # fmt: skip
    assert error is None, out
    assert "metrics saved to" in out and out.strip().endswith("results.json")
    full_scratch = tmp / "runs" / "03_trial1_frozen" / runs.scratch_key(runs._params("03_trial1_frozen", FULL))
    assert json.loads((full_scratch / "results.json").read_text())["trial1"]["test_accuracy"] == 0.2120
    out, error = run_cell(kc, "TOTAL_EPOCHS = 1\nSUBSET_SIZE = 500\nrun.save_results('trial1', {'x': 1})")
    assert error is None
    edited = (
        tmp
        / "runs"
        / "03_trial1_frozen"
        / runs.scratch_key({**runs._params("03_trial1_frozen", FULL), "TOTAL_EPOCHS": 1, "SUBSET_SIZE": 500})
    )
    assert (edited / "results.json").is_file() and edited != full_scratch
    assert json.loads((edited / "params.json").read_text())["changed"] == {"TOTAL_EPOCHS": 1, "SUBSET_SIZE": 500}
    after = {name: sorted((p.name, p.read_bytes()) for p in f.rglob("*")) for name, f in study.items()}
    assert after == before


def test_a_scratch_trial_names_the_cnn_it_is_compared_with_and_counts_in_words():
    from digitgan import findings

    study_cnn = {"cnn": {"test_accuracy": 0.9638, "n_train": 10_000, "epochs": 15}}
    scratch = {"head": "dense10", "frozen_epochs": 1, "epochs": 1, "n_train": 500, "test_accuracy": 0.16,
               "train_accuracy": 0.2, "most_confused": []}  # fmt: skip
    text = findings.trial("trial1", scratch, study_cnn)
    assert "(500 images, 1 epoch), against 0.9638 for the study's CNN (10,000 images, 15 epochs)" in text
    assert "1 of 1 epoch with the transferred layers frozen" in text and "1 epochs" not in text
    assert "the GAN's features do not beat" not in text  # no claim from a comparison of unequal runs
    full = {**scratch, "frozen_epochs": 5, "epochs": 15, "n_train": 10_000, "test_accuracy": 0.95}
    text = findings.trial("trial2", full, study_cnn)
    assert "5 of 15 epochs with the transferred layers frozen" in text
    assert "(10,000 images, 15 epochs), against 0.9638 for the study's CNN (same budget)" in text
    assert "do not beat" not in text and "below it" not in text  # one run each: no claim without a test
    assert "(one run each; not tested)" in text
    cnn = {"test_accuracy": 0.5, "train_accuracy": 0.5, "epochs": 1, "n_train": 1, "seconds": 1.0,
           "history": {}, "most_confused": []}  # fmt: skip
    assert "(1 image, 1 epoch)," in findings.cnn(cnn)
