"""The notebook runner (digitgan.tools.run_notebooks): private temporary files, where an executed notebook may go, what
``failed/`` keeps, and the stop signals. Every test runs tiny notebooks written into its own ``tmp_path``."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from digitgan import config, runs
from digitgan.fileio import TMP_PREFIX
from digitgan.tools import run_notebooks
from digitgan.tools.run_notebooks import FAILED, STOP_SIGNALS, Stopped, execute

ROOT = Path(__file__).resolve().parent.parent
# Runs execute() (or main(), on a one-notebook study) in its own process, as `python -m digitgan.tools.run_notebooks`
# does.
DRIVER = """
import json, sys
from pathlib import Path
from digitgan import config
from digitgan.tools import run_notebooks
args = json.loads(sys.argv[1])
notebooks = Path(args["notebooks_dir"])
if args.get("main"):
    config.NOTEBOOKS_DIR = notebooks
    run_notebooks.STUDY = [args["name"]]
    raise SystemExit(run_notebooks.main([]))
output = Path(args["output_dir"]) if args.get("output_dir") else None
run_notebooks.execute(args["name"], args.get("parameters"), output, notebooks)
"""


def write_notebook(folder: Path, name: str, cells: list[str], parameters: str = 'TAG = "none"', **kernelspec):
    """A notebook with a ``parameters``-tagged cell and code cells; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(source) for source in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python", **kernelspec}
    path = folder / name
    nbformat.write(nb, path)
    return path


def start_runner(tmp_path: Path, tag: str, env=None, **args) -> subprocess.Popen:
    """The driver in a new process; its stdout and stderr go to files (``<tag>.out``, ``<tag>.err``)."""
    args = {key: str(value) if isinstance(value, Path) else value for key, value in args.items()}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(args)],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / f"{tag}.out", "w"),  # noqa: SIM115 (the child holds it)
        stderr=open(tmp_path / f"{tag}.err", "w"),  # noqa: SIM115
    )


def code_outputs(nb) -> list[str]:
    return [o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


# 1. Every execution writes its own temporary file.


def test_concurrent_runs_of_one_notebook_each_use_a_private_file_and_both_succeed(tmp_path, handshake):
    """Both kernels meet the test twice: once both runs are executing (both temporary files exist), and once both
    have listed the output folder (neither has moved its file into place before the other looked)."""
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    barrier = """
def barrier(step, said=""):  # tell the test, then wait until it lets this kernel go on
    handshake.write(f"{TAG} {step} {said}\\n")
    handshake.flush()
    if handshake.readline() != "go\\n":
        raise RuntimeError(f"the test stopped before {step}")
"""
    write_notebook(
        notebooks,
        "pair.ipynb",
        [
            f"import json, os\n{handshake.connect()}\n{barrier}",
            f"barrier('started')\nbarrier('listed', json.dumps(sorted(os.listdir({str(out)!r}))))\nprint('tag', TAG)",
        ],
    )
    source = (notebooks / "pair.ipynb").read_bytes()
    runners = {
        tag: start_runner(
            tmp_path, tag, name="pair.ipynb", notebooks_dir=notebooks, output_dir=out, parameters={"TAG": tag}
        )
        for tag in ("a", "b")
    }
    kernels = [handshake.accept(*runners.values(), err=tmp_path / f"{tag}.err") for tag in runners]

    def meet(step: str) -> dict[str, str]:
        """Wait until every kernel has reached ``step``, then let them all go on; what each said there."""
        heard = [kernel.readline().rstrip("\n").split(" ", 2) for kernel in kernels]
        assert sorted(h[:2] for h in heard) == [[tag, step] for tag in sorted(runners)], heard
        for kernel in kernels:
            kernel.write("go\n")
            kernel.flush()
        return {tag: said for tag, _, said in heard}

    meet("started")
    listings = {tag: json.loads(said) for tag, said in meet("listed").items()}
    for tag, runner in runners.items():
        assert runner.wait(timeout=300) == 0, (tmp_path / f"{tag}.err").read_text()
    pids = {str(runner.pid) for runner in runners.values()}
    for listing in listings.values():
        temporary = [re.fullmatch(rf"{re.escape(TMP_PREFIX)}(\d+)-pair\.ipynb", name) for name in listing]
        assert len(listing) == 2 and all(temporary), listing
        assert {match[1] for match in temporary} == pids  # each runner's own, named with its pid
    executed = nbformat.read(out / "pair.ipynb", as_version=4)
    assert code_outputs(executed)[-1] in ("tag a\n", "tag b\n")  # a whole run's notebook, not a mix or a partial
    assert not (out / FAILED).exists() and not list(out.glob(f"{TMP_PREFIX}*"))
    assert (notebooks / "pair.ipynb").read_bytes() == source


def test_a_run_removes_only_dead_runners_files_and_its_own(tmp_path, capsys):
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    write_notebook(notebooks, "broken.ipynb", ["print('first')", "raise ValueError('cell two breaks')"])
    out.mkdir()
    dead = out / f"{TMP_PREFIX}999999999-broken-1.ipynb"  # above any pid_max: its runner is gone
    alive = out / f"{TMP_PREFIX}{os.getpid()}-broken-2.ipynb"  # this test's process runs
    other = out / f"{TMP_PREFIX}notes"
    for path in (dead, alive, other):
        path.write_text("{}")
    with pytest.raises(Exception, match="cell two breaks"):
        execute("broken.ipynb", output_dir=out, notebooks_dir=notebooks)
    assert sorted(p.name for p in out.glob(f"{TMP_PREFIX}*")) == sorted([alive.name, other.name])
    assert alive.read_text() == "{}"
    failed = nbformat.read(out / FAILED / "broken.ipynb", as_version=4)
    assert code_outputs(failed)[0] == "first\n" and "ValueError" in json.dumps(failed.cells[-1].outputs)
    err = capsys.readouterr().err
    assert "broken.ipynb failed (PapermillExecutionError" in err and f"the partial notebook is {out}" in err
    assert not (out / "broken.ipynb").exists()


# 2. Only the study's run replaces a committed notebook.

DCGAN_CELLS = ["from digitgan import runs\nrun = runs.start('02_dcgan', globals())\nprint('FOLDER', run.folder)"]


def dcgan_parameters() -> str:
    values = {**config.FULL_SIZE["02_dcgan"], "RETRAIN": False}
    return "\n".join(f"{key} = {value!r}" for key, value in values.items())


@pytest.fixture()
def scratch_runs(tmp_path, monkeypatch):
    """A runs folder of the test's own (for this process and the kernels), and no opt-in to write scratch runs
    into the study's folders."""
    monkeypatch.delenv(runs.STUDY_RUN_ENV, raising=False)
    monkeypatch.setenv("DIGITGAN_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(config, "RUNS_DIR", tmp_path / "runs")
    return tmp_path / "runs"


def test_other_parameters_go_to_their_run_folder_and_leave_the_committed_notebook(tmp_path, scratch_runs, capsys):
    notebooks = tmp_path / "notebooks"
    source = write_notebook(notebooks, "02_dcgan.ipynb", DCGAN_CELLS, parameters=dcgan_parameters())
    committed = source.read_bytes()
    result = execute("02_dcgan.ipynb", {"EPOCHS": 3, "RETRAIN": True}, notebooks_dir=notebooks)
    assert source.read_bytes() == committed
    full = {**config.FULL_SIZE["02_dcgan"], "EPOCHS": 3}
    assert result == scratch_runs / "02_dcgan" / runs.scratch_key(runs._normal(full)) / "02_dcgan.ipynb"
    executed = nbformat.read(result, as_version=4)
    assert f"\nFOLDER {result.parent}\n" in "".join(code_outputs(executed))  # the folder runs.start gave the kernel
    assert executed.metadata.papermill.input_path == config.shown(source)  # the runner rewrites them
    assert executed.metadata.papermill.output_path == config.shown(result)
    assert [c.id for c in executed.cells] == ["02-00", "02-01", "02-02"]  # by notebook and place (one injected)
    assert f"the executed notebook goes to {config.shown(result)}" in capsys.readouterr().out
    assert not list(result.parent.glob(f"{TMP_PREFIX}*"))


def test_the_study_run_with_an_action_flag_replaces_the_committed_notebook(tmp_path, scratch_runs):
    notebooks = tmp_path / "notebooks"
    source = write_notebook(notebooks, "02_dcgan.ipynb", DCGAN_CELLS, parameters=dcgan_parameters())
    epochs = config.FULL_SIZE["02_dcgan"]["EPOCHS"]
    result = execute("02_dcgan.ipynb", {"RETRAIN": True, "EPOCHS": epochs}, notebooks_dir=notebooks)
    assert result == source
    executed = nbformat.read(source, as_version=4)
    assert "\nFOLDER None\n" in "".join(code_outputs(executed))  # the kernel saw the study's run too
    assert executed.metadata.papermill.output_path == config.shown(source)
    assert not scratch_runs.exists()


@pytest.mark.parametrize(
    "notebook, changed",
    [
        ("01_cnn_baseline", {"EPOCHS": 2, "SUBSET_SIZE": 300}),
        ("06_comparison", {"PCA_COMPONENTS": (10, 20), "KNN_KS": [1, 3]}),
        ("10_data_and_optimizers", {"LEARNING_RATES": {"adam": [0.001]}, "EPOCHS": 2}),
        ("02_dcgan", {"RETRAIN": True, "JUDGE_EPOCHS": 1}),
    ],
)
def test_the_run_folder_is_the_one_runs_start_uses(scratch_runs, notebook, changed):
    namespace = {**config.FULL_SIZE[notebook], **changed}
    assert run_notebooks.output_folder(f"{notebook}.ipynb", changed) == runs.start(notebook, namespace).folder


def test_full_size_parameters_in_another_form_are_still_the_study_run(scratch_runs):
    copies = {"PCA_COMPONENTS": [10, 20, 30, 50, 80], "KNN_KS": (1, 3, 5, 7)}  # lists for tuples, as papermill
    assert run_notebooks.output_folder("06_comparison.ipynb", copies) == config.NOTEBOOKS_DIR
    assert run_notebooks.output_folder("02_dcgan.ipynb", {"RETRAIN": True}) == config.NOTEBOOKS_DIR


def test_parameters_that_have_no_run_folder_are_refused_before_anything_is_written(tmp_path, scratch_runs):
    notebooks = tmp_path / "notebooks"
    write_notebook(notebooks, "02_dcgan.ipynb", DCGAN_CELLS, parameters=dcgan_parameters())
    write_notebook(notebooks, "scratch.ipynb", ["print(TAG)"])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(ValueError, match=r"02_dcgan.ipynb has no parameter EPOCH; its parameters are .*EPOCHS"):
        execute("02_dcgan.ipynb", {"EPOCH": 3}, notebooks_dir=notebooks)
    with pytest.raises(ValueError, match=r"scratch.ipynb .* output_dir="):
        execute("scratch.ipynb", {"TAG": "x"}, notebooks_dir=notebooks)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


# 3. A run that ended before its first cell ran keeps nothing.


def test_a_run_failing_before_its_first_cell_says_nothing_was_executed(tmp_path, capsys):
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    write_notebook(notebooks, "cobol.ipynb", ["print(TAG)"], language="cobol")  # papermill cannot inject
    with pytest.raises(Exception, match="No parameter translator"):
        execute("cobol.ipynb", {"TAG": "x"}, output_dir=out, notebooks_dir=notebooks)
    err = capsys.readouterr().err
    assert "cobol.ipynb failed (PapermillException" in err and "before its first cell ran: nothing was executed" in err
    assert not (out / FAILED).exists() and list(out.iterdir()) == []


def test_an_unreadable_source_is_named_and_nothing_is_kept(tmp_path, capsys):
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    notebooks.mkdir()
    (notebooks / "cut.ipynb").write_text('{"cells": [')
    with pytest.raises(Exception):  # noqa: B017 (nbformat's own error)
        execute("cut.ipynb", output_dir=out, notebooks_dir=notebooks)
    assert "cut.ipynb failed" in capsys.readouterr().err and list(out.iterdir()) == []


def test_a_run_stopped_while_its_kernel_starts_keeps_nothing(tmp_path, handshake, watch_kernel):
    """A kernel that sends SIGTERM to the runner as it starts: papermill has written the output notebook, but no
    cell ran."""
    notebooks = tmp_path / "notebooks"
    source = write_notebook(notebooks, "early.ipynb", ["print('never')"])
    committed = source.read_bytes()
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    start = (  # says its pid, stops the runner, then, like ipykernel's parent poller, exits once the runner is gone
        f"{handshake.say('os.getpid()')}\nimport signal, time\nrunner = os.getppid()\nos.kill(runner, signal.SIGTERM)\n"
        "while os.getppid() == runner: time.sleep(0.1)"
    )
    kernel = {"argv": [sys.executable, "-c", start, "{connection_file}"], "display_name": "x", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    runner = start_runner(tmp_path, "early", env=env, main=True, name="early.ipynb", notebooks_dir=notebooks)
    said = handshake.accept(runner, err=tmp_path / "early.err").readline()  # the kernel started and stops the run
    started = watch_kernel(int(said))
    assert runner.wait(timeout=120) == 130
    assert started.ended(), "the kernel still runs after the runner stopped"
    err = (tmp_path / "early.err").read_text()
    assert "early.ipynb stopped by SIGTERM before its first cell ran: nothing was executed" in err
    assert source.read_bytes() == committed and not (notebooks / FAILED).exists()
    assert not list(notebooks.glob(f"{TMP_PREFIX}*"))


# 4. SIGHUP stops a run as SIGTERM (test_a_run_stopped_while_its_kernel_starts_keeps_nothing) and SIGINT do.


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_keeps_the_partial_notebook_and_main_returns_130(tmp_path, sig, handshake, watch_kernel):
    notebooks = tmp_path / "notebooks"
    source = write_notebook(
        notebooks, "slow.ipynb", ["print('first')", f"{handshake.say('os.getpid()')}\nimport time\ntime.sleep(120)"]
    )
    committed = source.read_bytes()
    runner = start_runner(tmp_path, "slow", main=True, name="slow.ipynb", notebooks_dir=notebooks)
    said = handshake.accept(runner, err=tmp_path / "slow.err").readline()
    kernel = watch_kernel(int(said))  # the second cell runs, so the first cell's outputs are saved
    runner.send_signal(sig)
    assert runner.wait(timeout=120) == 130
    assert kernel.ended(), "the kernel still runs after the runner stopped"
    err = (tmp_path / "slow.err").read_text()
    assert f"slow.ipynb stopped by {sig.name}; the partial notebook is {notebooks / FAILED / 'slow.ipynb'}" in err
    failed = nbformat.read(notebooks / FAILED / "slow.ipynb", as_version=4)
    assert code_outputs(failed)[:1] == ["first\n"]
    assert source.read_bytes() == committed and not list(notebooks.glob(f"{TMP_PREFIX}*"))


def test_the_first_stop_signal_raises_and_later_ones_wait_for_the_clean_up():
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    try:
        for sig in STOP_SIGNALS:
            signal.signal(sig, run_notebooks.stop)
        with pytest.raises(Stopped, match="stopped by SIGHUP"):
            signal.raise_signal(signal.SIGHUP)  # the handler raises before this call returns
        signal.raise_signal(signal.SIGTERM)  # during the clean-up: ignored
        assert all(signal.getsignal(sig) == signal.SIG_IGN for sig in STOP_SIGNALS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


COMMITTED_NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED_NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_are_in_the_form_jupyter_saves(path):
    """Jupyter's contents manager writes ``nbformat.writes`` and a newline: a notebook already in that form is
    saved unchanged, so opening and saving it leaves git clean (make check-jupyter-save checks JupyterLab itself)."""
    nb = nbformat.read(path, as_version=4)
    assert path.read_text() == nbformat.writes(nb) + "\n"
    assert nb.metadata.kernelspec.name == "python3"
    assert [c.id for c in nb.cells] == [f"{path.name[:2]}-{i:02d}" for i in range(len(nb.cells))]
