"""Jupyter's main workflow in a real kernel: run a notebook's cells at full size, edit the parameters cell, rerun it
and the cells below. Every write after the edit goes to the parameter set's own folder; the study's stay as they
were, and with the full-size values back the kernel is refused the study's folders until it restarts."""

import json
import os

import pytest
from jupyter_client.manager import start_new_kernel

from digitgan import config, runs

FULL = config.FULL_SIZE["03_trial1_frozen"]
PARAMETERS = "\n".join(f"{name} = {value!r}" for name, value in FULL.items())


@pytest.fixture()
def kernel(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != runs.WRITE_STUDY_ENV}
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


def test_a_rerun_parameters_cell_sends_every_later_write_to_its_own_folder(kernel):
    kc, tmp = kernel
    study_results = tmp / "figures" / "results.json"
    assert run_cell(kc, "from digitgan import runs, utils\n" + PARAMETERS)[1] is None
    out, error = run_cell(kc, 'run = runs.start("03_trial1_frozen", globals())')
    assert error is None and out.startswith("Run: full-size")
    run_cell(kc, 'run.save_results("trial1", {"test_accuracy": 0.97})')
    before = study_results.read_bytes()

    out, error = run_cell(kc, "TOTAL_EPOCHS = 1\nSUBSET_SIZE = 500")  # the edited parameters cell, rerun
    assert error is None and "Parameters changed (TOTAL_EPOCHS=1, SUBSET_SIZE=500)" in out
    out, error = run_cell(kc, 'run.save_results("trial1", {"test_accuracy": 0.16})\n'
                              'utils.atomic_write_text(run.checkpoint("trial1.weights.h5"), "x")\n'
                              'run.save_fig("trial1_accuracy")\nprint(run.results_path)')  # fmt: skip
    assert error is None, out
    scratch = tmp / "runs" / "03_trial1_frozen" / runs.params_hash({**FULL, "TOTAL_EPOCHS": 1, "SUBSET_SIZE": 500})
    assert out.strip().endswith(str(scratch / "results.json"))
    assert json.loads((scratch / "results.json").read_text())["trial1"]["test_accuracy"] == 0.16
    assert (scratch / "checkpoints" / "trial1.weights.h5").is_file() and (scratch / "figures").is_dir()
    assert study_results.read_bytes() == before
    assert not (tmp / "checkpoints" / "trial1.weights.h5").exists()
    assert not (tmp / "figures" / "trial1_accuracy.png").exists()

    out, error = run_cell(kc, PARAMETERS)  # the full-size values back, without a restart
    assert error is None and "restart the kernel" in out
    out, error = run_cell(kc, 'run.save_results("trial1", {"test_accuracy": 0.5})')
    assert error == "StudyWriteRefused" and "TOTAL_EPOCHS=1" in out
    out, error = run_cell(kc, 'run = runs.start("03_trial1_frozen", globals())\nrun.checkpoint("x")')
    assert error == "StudyWriteRefused" and "untouched" in out
    assert study_results.read_bytes() == before


def test_a_scratch_trial_names_the_cnn_it_is_compared_with_and_counts_in_words():
    from digitgan import findings

    study_cnn = {"cnn": {"test_accuracy": 0.9638, "n_train": 10_000, "epochs": 15}}
    scratch = {"head": "dense10", "frozen_epochs": 1, "epochs": 1, "n_train": 500, "test_accuracy": 0.16,
               "train_accuracy": 0.2, "most_confused": []}  # fmt: skip
    text = findings.trial("trial1", scratch, study_cnn)
    assert "0.9638 for the study's CNN (10,000 images, 15 epochs; this run: 500 images, 1 epoch)" in text
    assert "1 epoch with the transferred layers frozen" in text and "1 epochs" not in text
    assert "the GAN's features do not beat" not in text  # no claim from a comparison of unequal runs
    full = {**scratch, "frozen_epochs": 5, "epochs": 15, "n_train": 10_000, "test_accuracy": 0.95}
    text = findings.trial("trial2", full, study_cnn)
    assert "5 frozen and 10 fine-tuned epochs" in text
    assert "0.9638 for the CNN trained on the same 10,000 images for 15 epochs" in text
    assert "the GAN's features do not beat a CNN trained from scratch" in text
    cnn = {"test_accuracy": 0.5, "train_accuracy": 0.5, "epochs": 1, "n_train": 1, "seconds": 1.0,
           "history": {}, "most_confused": []}  # fmt: skip
    assert "after 1 epoch on 1 image," in findings.cnn(cnn)
