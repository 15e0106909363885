"""Faults a user meets: bad parameters, damaged files, concurrent writers, kills. Each must give a clear error
(naming the file or parameter and the fix) before anything is written, or recover, and never lose results."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

import digitgan
from digitgan import config, data, fileio, gan, models, training, transfer
from digitgan.extensions import label_efficiency
from digitgan.fileio import DataFileError


@pytest.fixture(scope="module")
def x_small(small_data):
    return small_data["x_train"][:200]  # 2 batches of 100 per epoch


def _tree(folder):
    """Every file under ``folder`` with its bytes, to prove that nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- results.json and caches ---------------------------------------------------------------------------------------


def test_two_processes_writing_results_lose_nothing(tmp_path):
    path = tmp_path / "results.json"
    script = textwrap.dedent(
        """
        import sys
        from digitgan import fileio
        for i in range(300):
            fileio.save_results(f"{sys.argv[1]}-{i}", {"i": i}, sys.argv[2])
        """
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, name, str(path)]) for name in ("a", "b")]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    results = json.loads(path.read_text())
    assert len(results) == 600 and results["a-299"] == {"i": 299} and results["b-0"] == {"i": 0}
    assert not list(tmp_path.glob("*.tmp"))


def test_nan_and_inf_are_stored_as_null_in_strict_json(tmp_path):
    path = tmp_path / "results.json"
    fileio.save_results("x", {"loss": float("nan"), "best": np.float32("inf"), "curve": [1.0, float("-inf")]}, path)

    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    stored = json.loads(path.read_text(), parse_constant=refuse)
    assert stored == {"x": {"loss": None, "best": None, "curve": [1.0, None]}}


@pytest.mark.parametrize("content", ["[]", "{trunc", '"text"'])
def test_a_damaged_results_file_is_named_and_never_replaced(tmp_path, content):
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(DataFileError, match=r"results\.json.*(not valid JSON|not an object).*Move it aside") as err:
        fileio.save_results("cnn", {"test_accuracy": 0.9}, path)
    assert "git" not in str(err.value)  # outside the repository: git cannot restore it
    assert path.read_text() == content  # the other notebooks' keys are not thrown away


def test_the_git_recovery_hint_works_from_the_repository_root():
    """Inside the repository the hint names the path relative to its root, which git finds there."""
    hint = fileio._results_fix(config.COMMITTED_RESULTS_PATH)
    assert "`git checkout -- figures/results.json`" in hint
    if not (shutil.which("git") and (config.PROJ_ROOT / ".git").exists()):
        pytest.skip("not a git checkout: the path cannot be looked up")
    path = hint.split("`git checkout -- ")[1].split("`")[0]
    found = subprocess.run(["git", "ls-files", "--error-unmatch", path], cwd=config.PROJ_ROOT, capture_output=True)
    assert found.returncode == 0, found.stderr  # the path the command would restore is known to git from the root


def test_a_symlinked_results_file_is_updated_through_the_link(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "results.json"
    target.write_text('{"old": 1}\n')
    link = tmp_path / "figures" / "results.json"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "store" / "results.json")  # a relative link, as a checkout would hold
    fileio.save_results("cnn", {"test_accuracy": 0.9}, link)
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "store" / "results.json")
    assert json.loads(target.read_text()) == {"old": 1, "cnn": {"test_accuracy": 0.9}}
    assert fileio.load_results(link) == fileio.load_results(target)
    assert sorted(p.name for p in link.parent.iterdir()) == ["results.json"]  # no temp or lock file beside the link


def test_a_read_only_results_file_is_refused_not_replaced(tmp_path):
    path = tmp_path / "results.json"
    path.write_text('{"old": 1}\n')
    os.chmod(path, 0o444)
    shown = re.escape(str(path))
    with pytest.raises(PermissionError, match=rf"{shown} is read-only: `chmod u\+w {shown}`"):
        fileio.save_results("cnn", {"test_accuracy": 0.9}, path)
    assert path.read_text() == '{"old": 1}\n' and oct(path.stat().st_mode & 0o777) == "0o444"
    assert list(tmp_path.iterdir()) == [path]  # nothing written beside it, not even the lock file


def test_a_folder_named_like_the_results_file_is_a_clear_error(tmp_path):
    path = tmp_path / "results.json"
    path.mkdir()
    shown = re.escape(str(path))
    with pytest.raises(IsADirectoryError, match=rf"{shown} is a folder, not a file.*move the folder aside"):
        fileio.save_results("cnn", {"test_accuracy": 0.9}, path)
    with pytest.raises(DataFileError, match=rf"{shown} \(a results file\) is a folder, not a JSON file"):
        fileio.load_results(path)
    assert list(path.iterdir()) == [] and list(tmp_path.iterdir()) == [path]


def _as_another_user(top: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    """``python -c script args`` as uid 65534 when root (root ignores permissions), else as this user, with
    digitgan imported from a world-readable copy in ``top`` (a clone in a private folder cannot be read by that
    user). Skips when that user cannot run Python with the package's dependencies."""
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    pkg = top / "pkg"
    shutil.copytree(Path(digitgan.__file__).parent, pkg / "digitgan", ignore=shutil.ignore_patterns("__pycache__"))
    for folder, _, files in os.walk(pkg):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(Path(folder) / name, 0o644)
    env = {**os.environ, "HOME": str(top)}
    # The interpreter as invoked (a venv's); else the real one with the venv's packages (a venv in a private folder
    # reached through a link): whichever that user can run and that imports the copy.
    site_dirs = [os.path.realpath(p) for p in sys.path if p.endswith("-packages") and os.path.isdir(p)]
    candidates = [(sys.executable, [str(pkg)]), (os.path.realpath(sys.executable), [str(pkg), *site_dirs])]
    probe = "import digitgan.utils; print(digitgan.utils.__file__)"
    tried = []
    for exe, path in candidates:
        env["PYTHONPATH"] = os.pathsep.join(path)
        done = subprocess.run([*prefix, exe, "-c", probe], capture_output=True, text=True, env=env, cwd=top)
        if done.returncode == 0 and done.stdout.strip().startswith(str(pkg)):
            return subprocess.run([*prefix, exe, "-c", script, *args], capture_output=True, text=True, env=env, cwd=top)
        tried.append(f"{exe}: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    pytest.skip(f"the other user cannot import digitgan and its dependencies: {tried}")


def test_a_folder_that_cannot_be_entered_is_named():
    """Run as an unprivileged user (root ignores permissions): the error names the folder, not a temp file."""
    top = Path(tempfile.mkdtemp())  # pytest's own folders are closed to other users
    os.chmod(top, 0o755)
    folder = top / "figures"
    folder.mkdir()
    script = "from digitgan import fileio; fileio.save_results('k', {}, __import__('sys').argv[1])"
    try:
        os.chmod(folder, 0o666)  # no execute bit: files inside cannot be created
        done = _as_another_user(top, script, str(folder / "results.json"))
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(top)
    assert done.returncode != 0
    assert f"PermissionError: Cannot write {folder / 'results.json'}: Permission denied" in done.stderr
    assert "chmod" in done.stderr


def test_another_users_results_file_is_not_replaced():
    """A file the writer may not write, in a folder it may write (rename would replace it), is refused."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a file of another user")
    top = Path(tempfile.mkdtemp())
    os.chmod(top, 0o755)
    folder = top / "figures"
    folder.mkdir()
    os.chmod(folder, 0o777)
    path = folder / "results.json"
    path.write_text('{"old": 1}\n')
    os.chmod(path, 0o644)  # root's, writable by root only
    script = "from digitgan import fileio; fileio.save_results('k', {}, __import__('sys').argv[1])"
    try:
        done = _as_another_user(top, script, str(path))
        after = (path.read_text(), path.stat().st_uid, sorted(p.name for p in folder.iterdir()))
    finally:
        shutil.rmtree(top)
    assert done.returncode != 0
    assert f"PermissionError: {path} is read-only" in done.stderr
    assert after == ('{"old": 1}\n', 0, ["results.json"])


# --- parameters checked before anything is touched ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, r"epochs must be in \[1, ∞\], got 0"),
        ({"epochs": -3}, r"epochs must be in \[1, ∞\], got -3"),
        ({"batch_size": 500}, r"batch_size must be in \[1, 200\], got 500"),
        ({"batch_size": 0}, r"batch_size must be in \[1, 200\]"),
        ({"checkpoint_every": 0}, r"checkpoint_every must be in \[1, ∞\]"),
        ({"precision": "float16"}, r"precision must be one of"),
    ],
)
def test_train_gan_checks_its_parameters_first(x_small, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        gan.train_gan(x_small, checkpoint_dir=tmp_path / "ck", frames_dir=tmp_path / "frames", verbose=0, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_classifier_and_data_parameters_are_checked(small_data):
    model = models.build_cnn()
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, ∞\], got 0"):
        training.train_classifier(model, small_data, epochs=1, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match=r"epochs must be in \[1"):
        training.train_classifier(model, small_data, epochs=0, verbose=0)
    with pytest.raises(ValueError, match=r"frozen_epochs must be in \[0, 3\], got 5"):
        transfer.train_schedule(model, small_data, 5, 3, verbose=0)
    with pytest.raises(ValueError, match=r"subset_size must be in \[1, 60,000\], got 0"):
        data.load_study_data(subset_size=0)


def test_study_parameters_are_checked(tmp_path):
    cache = tmp_path / "cache.json"
    with pytest.raises(ValueError, match=r"methods holds \['knn'\]"):
        label_efficiency.run_study((100,), (1,), ["knn"], cache_path=cache)
    with pytest.raises(ValueError, match=r"label_counts entry must be in \[10, 60,000\], got 0"):
        label_efficiency.run_study((0,), (1,), cache_path=cache)
    with pytest.raises(ValueError, match=r"ssgan_epochs must be in \[1"):
        label_efficiency.run_study((100,), (1,), ["ssgan"], 0, cache_path=cache)
    with pytest.raises(ValueError, match=r"n_val must be in \[10"):
        label_efficiency.run_study((100,), (1,), ["cnn"], n_val=0, cache_path=cache)
    assert not cache.exists()


# --- exported weights, histories and training checkpoints ---------------------------------------------------------


@pytest.fixture(scope="module")
def trained(x_small, tmp_path_factory):
    """One DCGAN epoch, trained and exported once; each test gets its own copy."""
    top = tmp_path_factory.mktemp("exported")
    paths = gan.output_paths(top / "checkpoints", top / "figures")
    gan.train_or_reuse_gan(x_small, epochs=1, checkpoint_every=1, jit_compile=False, verbose=0, **paths)
    return top


@pytest.fixture()
def exported(trained, tmp_path):
    for name in ("checkpoints", "figures"):
        shutil.copytree(trained / name, tmp_path / name)
    return gan.output_paths(tmp_path / "checkpoints", tmp_path / "figures")


def test_final_weights_are_not_overwritten_by_another_epoch_count(x_small, exported, tmp_path):
    before = _tree(tmp_path / "checkpoints")
    with pytest.raises(ValueError, match=r"epochs must be in \[1"):
        gan.train_or_reuse_gan(x_small, epochs=0, jit_compile=False, verbose=0, **exported)
    with pytest.raises(ValueError, match=r"other settings \(epochs: exported 1, asked 2\).*retrain=True"):
        gan.train_or_reuse_gan(x_small, epochs=2, jit_compile=False, verbose=0, **exported)
    assert _tree(tmp_path / "checkpoints") == before


@pytest.mark.parametrize(
    "name, damage",
    [
        ("generator_path", lambda p: p.write_bytes(p.read_bytes()[:1000])),
        ("history_path", lambda p: p.write_text(p.read_text()[:50])),
        ("history_path", lambda p: p.write_text("{}")),
    ],
)
def test_damaged_exports_are_named_and_exported_again_from_a_finished_state(x_small, exported, name, damage, capsys):
    damage(exported[name])
    gan.train_or_reuse_gan(x_small, epochs=1, jit_compile=False, verbose=0, **exported)
    assert f"{exported[name].name} does not match" in capsys.readouterr().out
    gan.train_or_reuse_gan(x_small, epochs=1, jit_compile=False, verbose=0, **exported)
    assert capsys.readouterr().out.startswith("Reusing the DCGAN")  # the finished state exported the pair again
    damage(exported[name])
    shutil.rmtree(exported["checkpoint_dir"])
    before = _tree(exported[name].parent)
    with pytest.raises(DataFileError, match=f"{exported[name].name} does not match.*retrain=True"):
        gan.train_or_reuse_gan(x_small, epochs=1, jit_compile=False, verbose=0, **exported)
    assert _tree(exported[name].parent) == before


def _state(exported):
    return exported["checkpoint_dir"]


def test_garbage_checkpoint_state_is_an_error_not_a_fresh_start(x_small, exported):
    state = _state(exported)
    (state / "checkpoint").write_text("this is not a checkpoint state\n")
    before = _tree(state)
    with pytest.raises(DataFileError, match=r"checkpoint is missing or damaged.*restart from scratch.*retrain=True"):
        gan.train_gan(x_small, epochs=2, checkpoint_dir=state, jit_compile=False, verbose=0)
    assert _tree(state) == before


def test_truncated_checkpoint_data_is_named(x_small, exported):
    state = _state(exported)
    data_file = next(state.glob("ckpt-1.data-*"))
    data_file.write_bytes(data_file.read_bytes()[:100])
    with pytest.raises(DataFileError, match=r"ckpt-1 could not be read.*truncated, corrupt.*Delete"):
        gan.train_gan(x_small, epochs=2, checkpoint_dir=state, jit_compile=False, verbose=0)


def test_other_settings_or_a_longer_run_are_refused(x_small, exported):
    state = _state(exported)
    with pytest.raises(ValueError, match="other settings.*batch_size.*another checkpoint folder"):
        gan.train_gan(x_small, epochs=2, batch_size=50, checkpoint_dir=state, jit_compile=False, verbose=0)
    gan.train_gan(x_small, epochs=2, checkpoint_dir=state, checkpoint_every=1, jit_compile=False, verbose=0)
    with pytest.raises(ValueError, match="trained to epoch 2, more than the 1 asked for"):
        gan.train_gan(x_small, epochs=1, checkpoint_dir=state, jit_compile=False, verbose=0)


def test_temp_files_of_killed_writes_are_cleaned_on_the_next_start(x_small, exported):
    state = _state(exported)
    dead = 999_999_999  # no such process
    leftovers = [state / f"{fileio.TMP_PREFIX}{dead}-history-0002.json.x1y2", state / "ckpt-2_temp" / "part-0"]
    leftovers.append(state / f"{fileio.TMP_PREFIX}{dead}-g.weights.h5")
    in_use = state / f"{fileio.TMP_PREFIX}{os.getpid()}-g.weights.h5"  # a writer that is still alive
    for p in [*leftovers, in_use]:
        p.parent.mkdir(exist_ok=True)
        p.write_text("half")
    gan.train_gan(x_small, epochs=1, checkpoint_dir=state, jit_compile=False, verbose=0)  # finished: reloads
    assert not any(p.exists() for p in leftovers) and in_use.exists()


def test_a_run_from_scratch_clears_old_frames_and_gif(x_small, tmp_path):
    frames, gif = tmp_path / "frames", tmp_path / "training.gif"
    frames.mkdir()
    for epoch in (1, 2, 40):
        (frames / f"epoch_{epoch:03d}.png").write_bytes(b"old run")
    gif.write_bytes(b"old gif")
    gan.train_gan(
        x_small, epochs=1, checkpoint_dir=tmp_path / "ck", frames_dir=frames, gif_path=gif, jit_compile=False, verbose=0
    )
    assert sorted(p.name for p in frames.iterdir()) == ["epoch_001.png"] and not gif.exists()
    assert (frames / "epoch_001.png").read_bytes() != b"old run"


# --- the label-efficiency cache ------------------------------------------------------------------------------------


def test_cache_keys_hold_every_setting(tmp_path, monkeypatch):
    calls = []

    def fake(d, seed, run_settings, test=True, root=None, log_dir=None):
        calls.append(run_settings["epochs"])
        return {"test_accuracy": 0.9 + run_settings["epochs"] / 1000, "val_accuracy": 0.5, "seconds": 1.0}

    def fake_data(n, seed, source=None, n_val=0):
        return {"y_train": np.zeros(n), "x_unlabelled": []}

    monkeypatch.setattr(label_efficiency, "RUNNERS", {"ssgan": fake})
    monkeypatch.setattr(data, "load_label_efficiency_data", fake_data)
    cache = tmp_path / "cache.json"
    args = dict(methods=["ssgan"], ssgan_learning_rate=0.001, cache_path=cache)
    first = label_efficiency.run_study((100,), (1,), ssgan_epochs=22, **args)
    longer = label_efficiency.run_study((100,), (1,), ssgan_epochs=300, **args)
    again = label_efficiency.run_study((100,), (1,), ssgan_epochs=300, **args)
    assert calls == [22, 300]  # 300 epochs trained anew, then reused; never the 22-epoch result
    assert first["test_accuracy"][0] == 0.922 and longer["test_accuracy"][0] == again["test_accuracy"][0] == 1.2
    entries = json.loads(cache.read_text())
    assert len(entries) == 2 and {e["inputs"]["settings"]["epochs"] for e in entries.values()} == {22, 300}
