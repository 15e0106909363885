"""The study's runs and scratch runs: a notebook run with other parameters never touches the study's results."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import nbformat
import pytest

from digitgan import config, models, runs, utils
from digitgan.tools.run_notebooks import execute

FULL = config.FULL_SIZE["01_cnn_baseline"]


@pytest.fixture()
def scratch(tmp_path, monkeypatch):
    """Study folders and a runs folder of their own, and no opt-in to write scratch runs into the study's."""
    monkeypatch.delenv(runs.WRITE_STUDY_ENV, raising=False)
    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "runs")
    return tmp_path


def test_full_size_parameters_are_the_study_run(scratch, capsys):
    run = runs.start("01_cnn_baseline", dict(FULL))
    assert run.is_study and run.results_path == config.RESULTS_PATH and run.figures_dir == config.FIGURES_DIR
    assert capsys.readouterr().out.startswith("Run: full-size; results go to the study's folders")
    assert not (scratch / "runs").exists()


def test_other_parameters_get_their_own_folder_reused_for_the_same_parameters(scratch, capsys):
    run = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2, "SUBSET_SIZE": 300})
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("Scratch run (EPOCHS=2, SUBSET_SIZE=300)") and "untouched" in first_line
    assert run.folder.parent == scratch / "runs" / "01_cnn_baseline"
    assert run.results_path == run.folder / "results.json" and run.figure("x") == run.folder / "figures" / "x.png"
    record = json.loads((run.folder / "params.json").read_text())
    assert record["changed"] == {"EPOCHS": 2, "SUBSET_SIZE": 300} and record["parameters"]["BATCH_SIZE"] == 100
    same = runs.start("01_cnn_baseline", {**FULL, "SUBSET_SIZE": 300, "EPOCHS": 2})
    other = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 3, "SUBSET_SIZE": 300})
    assert same.folder == run.folder and other.folder != run.folder


def test_papermill_copies_of_the_defaults_are_still_full_size(scratch):
    params = {**config.FULL_SIZE["08_label_efficiency"], "SSGAN_LEARNING_RATES": [0.003, 0.001]}
    assert runs.start("08_label_efficiency", params).is_study
    assert runs.start("06_comparison", {**config.FULL_SIZE["06_comparison"], "KNN_KS": [1, 3, 5, 7]}).is_study


def test_the_opt_in_writes_a_small_run_into_the_study_folders(scratch, monkeypatch, capsys):
    monkeypatch.setenv(runs.WRITE_STUDY_ENV, "1")
    run = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 1})
    assert run.is_study and "DIGITGAN_WRITE_STUDY=1" in capsys.readouterr().out


def test_inputs_come_from_the_study_unless_the_run_made_its_own(scratch, monkeypatch):
    study_ck = scratch / "study_checkpoints"
    study_ck.mkdir()
    monkeypatch.setattr(config, "CHECKPOINT_DIR", study_ck)
    (study_ck / "judge.weights.h5").write_bytes(b"study judge")
    run = runs.start("02_dcgan", {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 2})
    assert run.input("judge.weights.h5", depends_on=("JUDGE_EPOCHS",)) == study_ck / "judge.weights.h5"
    assert run.input("discriminator.weights.h5") == run.checkpoint("discriminator.weights.h5")  # none in the study
    changed_judge = runs.start("02_dcgan", {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 2, "JUDGE_EPOCHS": 1})
    assert changed_judge.input("judge.weights.h5", ("JUDGE_EPOCHS",)) == changed_judge.checkpoint("judge.weights.h5")
    run.checkpoint("judge.weights.h5").parent.mkdir(parents=True)
    run.checkpoint("judge.weights.h5").write_bytes(b"own judge")
    assert run.input("judge.weights.h5", ("JUDGE_EPOCHS",)) == run.checkpoint("judge.weights.h5")


def test_list_runs_shows_parameters_and_headline_numbers(scratch):
    a = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2})
    a.save_results("cnn", {"test_accuracy": 0.91, "history": {"accuracy": [0.5]}})
    runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 3})
    table = runs.list_runs("01_cnn_baseline")
    assert len(table) == 2 and set(table["changed"]) == {"EPOCHS=2", "EPOCHS=3"}
    assert table.set_index("changed").loc["EPOCHS=2", "cnn.test_accuracy"] == 0.91
    assert "cnn.history" not in table


def test_unknown_notebook_or_missing_parameter_is_named():
    with pytest.raises(ValueError, match="notebook must be one of"):
        runs.start("99_nothing", {})
    with pytest.raises(ValueError, match=r"lacks \['SEED'\]"):
        runs.start("01_cnn_baseline", {k: v for k, v in FULL.items() if k != "SEED"})


def test_a_scratch_notebook_run_leaves_the_study_untouched(tmp_path, monkeypatch, mnist_dir):
    """03 with one epoch on 300 images, twice: the study's folders are byte-identical afterwards, and both runs
    share one run folder holding the figures, weights, metrics and parameters."""
    study = {name: tmp_path / name for name in ("figures", "checkpoints")}
    for env, folder in zip(("DIGITGAN_FIGURES_DIR", "DIGITGAN_CHECKPOINT_DIR"), study.values(), strict=True):
        monkeypatch.setenv(env, str(folder))
        folder.mkdir()
    models.build_discriminator().save_weights(study["checkpoints"] / config.DISCRIMINATOR_FILE)
    (study["figures"] / "results.json").write_text('{"cnn": {"test_accuracy": 0.96}}\n')
    monkeypatch.setenv("DIGITGAN_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv(runs.WRITE_STUDY_ENV, raising=False)
    before = {name: sorted((p.name, p.read_bytes()) for p in folder.rglob("*")) for name, folder in study.items()}
    params = {"SUBSET_SIZE": 300, "FROZEN_EPOCHS": 1, "TOTAL_EPOCHS": 1}
    for _ in range(2):
        execute("03_trial1_frozen.ipynb", params, output_dir=tmp_path / "executed")
    after = {name: sorted((p.name, p.read_bytes()) for p in folder.rglob("*")) for name, folder in study.items()}
    assert after == before
    [folder] = (tmp_path / "runs" / "03_trial1_frozen").iterdir()
    assert {p.name for p in folder.rglob("*") if p.is_file()} >= {
        "params.json",
        "results.json",
        "trial1.weights.h5",
        "trial1_accuracy.png",
        "trial1_confusion_matrix.png",
    }
    nb = nbformat.read(tmp_path / "executed" / "03_trial1_frozen.ipynb", as_version=4)
    first = next(o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("text"))
    assert first.startswith("Scratch run (FROZEN_EPOCHS=1, TOTAL_EPOCHS=1, SUBSET_SIZE=300)")


def test_the_runner_on_sigterm_stops_the_kernel_and_keeps_the_partial_notebook(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    pid_file = tmp_path / "kernel.pid"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\nprint('first')"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(120)"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "slow.ipynb")
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from digitgan.tools.run_notebooks import execute
        execute("slow.ipynb", notebooks_dir=Path({str(notebooks)!r}))
        """
    )
    runner = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not pid_file.exists() or not pid_file.read_text():
        assert time.time() < deadline and runner.poll() is None, "the kernel never started"
        time.sleep(0.5)
    time.sleep(2)  # the first cell's output is saved
    runner.send_signal(signal.SIGTERM)
    _, stderr = runner.communicate(timeout=60)
    assert runner.returncode != 0
    assert "slow.ipynb stopped by SIGTERM; the partial notebook is" in stderr
    failed = nbformat.read(notebooks / "failed" / "slow.ipynb", as_version=4)
    assert failed.cells[0].outputs[0]["text"] == "first\n"
    assert not (notebooks / ".executing").exists() and not (notebooks / "slow.ipynb.executed").exists()
    kernel = int(pid_file.read_text())
    for _ in range(20):
        if not os.path.exists(f"/proc/{kernel}") or "Z" in open(f"/proc/{kernel}/stat").read().split()[2]:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the kernel (pid {kernel}) still runs after the runner stopped")


def test_saved_figures_are_written_whole(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from digitgan import plots

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    path = plots.save_fig(tmp_path / "x.png", fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and [p.name for p in tmp_path.iterdir()] == ["x.png"]
    plt.close(fig)


def test_a_run_starting_again_removes_what_killed_writes_left(scratch):
    run = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2})
    run.figures_dir.mkdir(parents=True)
    half = run.figures_dir / f"{utils.TMP_PREFIX}999999999-cnn_accuracy.png"  # its writer is gone
    half.write_bytes(b"half a png")
    runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2})
    assert not half.exists()
    assert utils.remove_stale_temp_files(run.figures_dir) == []
