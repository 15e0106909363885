"""The study's runs and scratch runs: a notebook run with other parameters never touches the study's results."""

import json
import shutil
import signal
import subprocess
import sys
import textwrap

import nbformat
import pytest

from digitgan import config, fileio, runs
from digitgan.tools.run_notebooks import execute

FULL = config.FULL_SIZE["01_cnn_baseline"]


@pytest.fixture()
def scratch(tmp_path, monkeypatch):
    """Study folders and a runs folder of their own, and not the study runner's kernel."""
    monkeypatch.delenv(runs.STUDY_RUN_ENV, raising=False)
    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "runs")
    return tmp_path


def test_full_size_parameters_outside_the_runner_are_a_scratch_run(scratch, capsys):
    run = runs.start("01_cnn_baseline", dict(FULL))
    assert not run.is_study and run.results_path == run.folder / "results.json"
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Scratch run (the study's parameters): everything it writes goes to")
    assert "untouched" in first
    assert run.folder.parent == scratch / "runs" / "01_cnn_baseline"


def test_only_the_runner_flag_makes_the_study_run(scratch, monkeypatch, capsys):
    monkeypatch.setenv(runs.STUDY_RUN_ENV, "1")
    run = runs.start("01_cnn_baseline", dict(FULL))
    assert run.is_study and run.results_path == config.RESULTS_PATH and run.figures_dir == config.FIGURES_DIR
    assert capsys.readouterr().out.startswith("Study run (the study's parameters): results go to the study's record")
    assert not (scratch / "runs").exists()
    monkeypatch.setenv(runs.STUDY_RUN_ENV, "0")
    assert not runs.start("01_cnn_baseline", dict(FULL)).is_study


def test_a_scratch_folder_is_keyed_by_parameters_and_package_code(scratch, monkeypatch, capsys):
    run = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2, "SUBSET_SIZE": 300})
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("Scratch run (EPOCHS=2, SUBSET_SIZE=300)") and "untouched" in first_line
    assert run.folder.parent == scratch / "runs" / "01_cnn_baseline"
    assert run.results_path == run.folder / "results.json" and run.figures_dir == run.folder / "figures"
    record = json.loads((run.folder / "params.json").read_text())
    assert record["changed"] == {"EPOCHS": 2, "SUBSET_SIZE": 300} and record["parameters"]["BATCH_SIZE"] == 100
    assert record["code"] == runs._code_digest()
    same = runs.start("01_cnn_baseline", {**FULL, "SUBSET_SIZE": 300, "EPOCHS": 2})
    other = runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 3, "SUBSET_SIZE": 300})
    assert same.folder == run.folder and other.folder != run.folder
    assert not runs.Run("01_cnn_baseline", {**FULL, "EPOCHS": 9}).folder.exists()  # reading .folder writes nothing
    namespace = {**FULL, "SUBSET_SIZE": 300, "EPOCHS": 2}
    edited = runs.start("01_cnn_baseline", namespace)
    namespace["EPOCHS"] = 4  # edited in the kernel after start(): the next path handed out names its parameters
    assert json.loads((edited.figures_dir.parent / "params.json").read_text())["changed"]["EPOCHS"] == 4
    first = run.folder
    monkeypatch.setattr(runs, "_code_digest", lambda: "edited models")  # an edited digitgan/models.py
    assert runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2, "SUBSET_SIZE": 300}).folder != first


def test_the_code_digest_changes_with_any_package_file(tmp_path):
    import shutil

    same, edited = tmp_path / "same" / "digitgan", tmp_path / "edited" / "digitgan"
    for copy in (same, edited):
        shutil.copytree(config.PROJ_ROOT / "digitgan", copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert runs._code_digest(same) == runs._code_digest()
    models_py = edited / "models.py"
    models_py.write_text(models_py.read_text().replace("Dropout(0.3, ", "Dropout(0.5, "))
    assert "Dropout(0.5, " in models_py.read_text() and runs._code_digest(edited) != runs._code_digest()


def test_papermill_copies_of_the_defaults_are_the_study_run_under_the_runner():
    from digitgan.tools import run_notebooks

    params = {**config.FULL_SIZE["08_label_efficiency"], "SSGAN_LEARNING_RATES": [0.003, 0.001]}
    assert run_notebooks.output_folder("08_label_efficiency.ipynb", params) == config.NOTEBOOKS_DIR
    copies = {**config.FULL_SIZE["06_comparison"], "KNN_KS": [1, 3, 5, 7]}
    assert run_notebooks.output_folder("06_comparison.ipynb", copies) == config.NOTEBOOKS_DIR


def test_inputs_come_from_the_matching_scratch_run_else_the_study(scratch, monkeypatch, capsys):
    study_ck = scratch / "study_checkpoints"
    study_ck.mkdir()
    monkeypatch.setattr(config, "CHECKPOINT_DIR", study_ck)
    (study_ck / "judge.weights.h5").write_bytes(b"study judge")
    (study_ck / config.DISCRIMINATOR_FILE).write_bytes(b"study discriminator")
    run = runs.start("02_dcgan", {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 2})
    assert run.input("judge.weights.h5", depends_on=("JUDGE_EPOCHS",)) == study_ck / "judge.weights.h5"
    assert "Reading judge.weights.h5 from the study's committed file" in capsys.readouterr().out
    changed_judge = runs.start("02_dcgan", {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 2, "JUDGE_EPOCHS": 1})
    assert changed_judge.input("judge.weights.h5", ("JUDGE_EPOCHS",)) == changed_judge.checkpoint("judge.weights.h5")
    trial = runs.start("03_trial1_frozen", {**config.FULL_SIZE["03_trial1_frozen"], "SUBSET_SIZE": 500})
    assert trial.input(config.DISCRIMINATOR_FILE) == study_ck / config.DISCRIMINATOR_FILE  # no 02 run made one
    dcgan = runs.start("02_dcgan", {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 1, "SUBSET_SIZE": 500})
    made = dcgan.checkpoint(config.DISCRIMINATOR_FILE)
    made.parent.mkdir(parents=True, exist_ok=True)
    made.write_bytes(b"scratch discriminator")
    capsys.readouterr()
    trial = runs.start("03_trial1_frozen", {**config.FULL_SIZE["03_trial1_frozen"], "SUBSET_SIZE": 500})
    assert trial.input(config.DISCRIMINATOR_FILE) == made  # 02 -> 03 chain as in the study
    assert "from the scratch run of 02_dcgan with the same shared parameters" in capsys.readouterr().out
    other = runs.start("03_trial1_frozen", {**config.FULL_SIZE["03_trial1_frozen"], "SUBSET_SIZE": 300})
    assert other.input(config.DISCRIMINATOR_FILE) == study_ck / config.DISCRIMINATOR_FILE  # shared SUBSET_SIZE differs
    quick = runs.start("02_dcgan", {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 1, "JUDGE_EPOCHS": 1})
    quick.checkpoint(config.JUDGE_FILE).parent.mkdir(parents=True, exist_ok=True)
    quick.checkpoint(config.JUDGE_FILE).write_bytes(b"a one-epoch judge")
    later = runs.start("09_longer_gan", {**config.FULL_SIZE["09_longer_gan"]})  # asks for the 6-epoch judge
    assert later.input(config.JUDGE_FILE) == study_ck / config.JUDGE_FILE


def test_unknown_notebook_or_missing_parameter_is_named():
    with pytest.raises(ValueError, match="notebook must be one of"):
        runs.start("99_nothing", {})
    with pytest.raises(ValueError, match=r"lacks \['SEED'\]"):
        runs.start("01_cnn_baseline", {k: v for k, v in FULL.items() if k != "SEED"})


@pytest.fixture
def study_folders(tmp_path, monkeypatch):
    """The study's figures/ and checkpoints/ in a temporary folder (the committed discriminator, a results.json),
    scratch runs under ``tmp_path / "runs"``, outside the study's runner; yields the two folders' contents getter."""
    study = {name: tmp_path / name for name in ("figures", "checkpoints")}
    for env, folder in zip(("DIGITGAN_FIGURES_DIR", "DIGITGAN_CHECKPOINT_DIR"), study.values(), strict=True):
        monkeypatch.setenv(env, str(folder))
        folder.mkdir()
    shutil.copy(config.PROJ_ROOT / "checkpoints" / config.DISCRIMINATOR_FILE, study["checkpoints"])  # the committed
    (study["figures"] / "results.json").write_text('{"cnn": {"test_accuracy": 0.96}}\n')
    monkeypatch.setenv("DIGITGAN_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv(runs.STUDY_RUN_ENV, raising=False)
    return lambda: {name: sorted((p.name, p.read_bytes()) for p in folder.rglob("*")) for name, folder in study.items()}


def _scratch_folder_holds_its_outputs(tmp_path):
    [folder] = list((tmp_path / "runs" / "03_trial1_frozen").iterdir())
    assert {p.name for p in folder.rglob("*") if p.is_file()} >= {
        "params.json", "results.json", "trial1.weights.h5", "trial1_accuracy.png", "trial1_confusion_matrix.png",
    }  # fmt: skip


def test_a_scratch_notebook_run_leaves_the_study_untouched(study_folders, tmp_path, mnist_dir):
    """03 outside the study's runner with one epoch on 100 images: the study's folders are byte-identical
    afterwards, and the run's folder holds its figures, weights, metrics and parameters (an edited code cell with the
    study's parameters is a scratch run too: tests/test_rerun.py)."""
    before = study_folders()
    execute("03_trial1_frozen.ipynb", {"SUBSET_SIZE": 100, "FROZEN_EPOCHS": 1, "TOTAL_EPOCHS": 1},
            output_dir=tmp_path / "executed")  # fmt: skip
    assert study_folders() == before
    _scratch_folder_holds_its_outputs(tmp_path)
    nb = nbformat.read(tmp_path / "executed" / "03_trial1_frozen.ipynb", as_version=4)
    first = next(o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("text"))
    assert first.startswith("Scratch run (FROZEN_EPOCHS=1, TOTAL_EPOCHS=1, SUBSET_SIZE=100)")
    texts = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "weights saved to " in texts and "metrics saved to " in texts


def test_the_runner_on_sigterm_stops_the_kernel_and_keeps_the_partial_notebook(tmp_path, handshake, watch_kernel):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("print('first')"),
        nbformat.v4.new_code_cell(f"{handshake.say('os.getpid()')}\nimport time\ntime.sleep(120)"),
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
    err = tmp_path / "runner.err"
    with open(err, "w") as stderr:
        runner = subprocess.Popen([sys.executable, "-c", script], stderr=stderr)
    kernel = watch_kernel(int(handshake.accept(runner, err=err).readline()))  # the first cell's output is saved
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=60) != 0
    assert "slow.ipynb stopped by SIGTERM; the partial notebook is" in err.read_text()
    failed = nbformat.read(notebooks / "failed" / "slow.ipynb", as_version=4)
    assert failed.cells[0].outputs[0]["text"] == "first\n"
    assert sorted(p.name for p in notebooks.iterdir()) == ["failed", "slow.ipynb"]  # no temporary file left
    assert kernel.ended(), "the kernel still runs after the runner stopped"


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
    run.figures_dir.mkdir(parents=True, exist_ok=True)
    half = run.figures_dir / f"{fileio.TMP_PREFIX}999999999-cnn_accuracy.png"  # its writer is gone
    half.write_bytes(b"half a png")
    runs.start("01_cnn_baseline", {**FULL, "EPOCHS": 2})
    assert not half.exists()
    assert fileio.remove_stale_temp_files(run.figures_dir) == []


@pytest.mark.parametrize("name,value,message", [
    ("SMALL_N_TEST", 0, r"SMALL_N_TEST must be in \[1, 10,000\], got 0"),
    ("SUBSET_SIZE", 70_000, r"SUBSET_SIZE must be in \[1, 60,000\], got 70,000"),
    ("SMALL_EPOCHS", 1.5, "SMALL_EPOCHS must be an integer, got 1.5"),
    ("RUN_FULL_PCA_KNN", "no", "RUN_FULL_PCA_KNN must be True or False"),
    ("KNN_KS", [], "KNN_KS must be a non-empty list"),
])  # fmt: skip
def test_a_bad_parameter_is_named_before_anything_is_written(scratch, name, value, message):
    with pytest.raises(ValueError, match=message):
        runs.start("06_comparison", {**config.FULL_SIZE["06_comparison"], name: value})
    assert not (scratch / "runs").exists()
