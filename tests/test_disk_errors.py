"""A full disk and a read-only file system, on real small mounts (tmpfs; skipped where mounting is not allowed):
every write names the final file (never its temporary one), the folder and the fix, and leaves no temporary file.
Also: what killed writes leave is ignored by git."""

import errno
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest

from digitgan import checkpoint, config, fileio, frames, models


def _mount(folder: Path, size: str = "1m") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): needs root")


@pytest.fixture()
def small_disk(tmp_path):
    """A 1 MB file system."""
    folder = tmp_path / "disk"
    _mount(folder)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture()
def read_only_disk(tmp_path):
    """A file system remounted read-only, holding ``old.json``."""
    folder = tmp_path / "ro"
    _mount(folder)
    (folder / "old.json").write_text('{"old": 1}\n')
    done = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        pytest.skip(f"cannot remount read-only here: {done.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _judge(optimizer: bool = True):
    """A network whose weights file (1.3 MB, 3.8 MB with its Adam state) cannot fit in 1 MB."""
    judge = models.build_judge()
    if optimizer:
        judge.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
        judge.optimizer.build(judge.trainable_variables)
    return judge


def _cannot_write(path: Path, cause: str) -> str:
    return rf"Cannot write {re.escape(str(path))}: {cause}.*Free space there or make it writable"


def test_save_weights_on_a_full_disk_names_the_file_and_leaves_no_temporary_file(small_disk):
    path = small_disk / "judge.weights.h5"
    with pytest.raises(OSError, match=_cannot_write(path, "No space left on device")) as err:
        fileio.save_weights(_judge(), path)
    assert err.value.errno == errno.ENOSPC and fileio.TMP_PREFIX not in str(err.value)
    assert list(small_disk.iterdir()) == []
    assert shutil.disk_usage(small_disk).used < 100_000  # h5py's open file is closed: its blocks are free again


def test_atomic_write_on_a_full_disk_keeps_the_old_file(small_disk):
    path = small_disk / "results.json"
    path.write_text('{"old": 1}\n')
    with pytest.raises(OSError, match=_cannot_write(path, "No space left on device")) as err:
        fileio.atomic_write_text(path, "x" * 2_000_000)
    assert err.value.errno == errno.ENOSPC and fileio.TMP_PREFIX not in str(err.value)
    assert path.read_text() == '{"old": 1}\n' and [p.name for p in small_disk.iterdir()] == ["results.json"]


def test_a_checkpoint_on_a_full_disk_names_it_and_leaves_no_temp_folder(small_disk):
    judge = _judge()
    state = checkpoint.TrainingCheckpoint(small_disk / "state", judge=judge, optimizer=judge.optimizer)
    ckpt = small_disk / "state" / "ckpt-1"
    with pytest.raises(OSError, match=_cannot_write(ckpt, "No space left on device")) as err:
        state.save(1, {"loss": [1.0]})
    assert err.value.errno == errno.ENOSPC
    assert not list((small_disk / "state").glob("ckpt-1*"))  # no ckpt-1_temp/ left


def test_a_read_only_file_system_is_named(read_only_disk):
    folder = read_only_disk
    cases = [
        (lambda: fileio.writable_folder(folder), folder),
        (lambda: fileio.writable_folder(folder / "sub"), folder / "sub"),
        (lambda: fileio.atomic_write_text(folder / "new.json", "{}"), folder / "new.json"),
        (lambda: fileio.save_weights(_judge(False), folder / "j.weights.h5"), folder / "j.weights.h5"),
        (lambda: fileio.atomic_write_text(folder / "old.json", "{}"), folder / "old.json"),
    ]
    for write, named in cases:
        with pytest.raises(OSError, match=_cannot_write(named, "Read-only file system")) as err:
            write()
        assert err.value.errno == errno.EROFS
    assert sorted(p.name for p in folder.iterdir()) == ["old.json"]


def test_h5py_and_tensorflow_errors_give_their_errno():
    """h5py and TensorFlow give the cause in their messages only, in the system's words."""
    path = Path(tempfile.gettempdir()) / "x.weights.h5"
    exc = OSError("Can't write data (file write failed: ..., errno = 28, error message = 'No space left on device')")
    assert fileio.write_error(path, exc).errno == errno.ENOSPC
    assert fileio.write_error(path, RuntimeError("... : Read-only file system")).errno == errno.EROFS


# --- what killed writes leave is ignored by git ------------------------------------------------------------------


def _ignored(paths) -> set[str]:
    if not (shutil.which("git") and (config.PROJ_ROOT / ".git").exists()):
        pytest.skip("not a git checkout")
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        input="\n".join(paths),
        cwd=config.PROJ_ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: none ignored
    return set(done.stdout.splitlines())


def test_the_temporary_files_of_killed_writes_are_ignored_by_git():
    root = config.PROJ_ROOT
    pid = 12345
    temporary = [
        fileio.temp_path(root / "figures" / "dcgan_epochs" / "epoch_007.png"),  # a frame, the GIF, weights
        fileio.temp_path(root / "checkpoints" / "judge.weights.h5"),
        root / "figures" / f"{fileio.TMP_PREFIX}{pid}-results.json.k2j4h1",  # atomic_write_text's mkstemp name
        root / "checkpoints" / "label_study" / f"{fileio.TMP_PREFIX}{pid}-probe.abc",  # writable_folder's probe
        root / f"{fileio.TMP_PREFIX}{pid}-notes.json.x",
        root / "checkpoints" / "dcgan" / "ckpt-15_temp" / "part-00000-of-00001.data-00000-of-00001",  # TensorFlow's
        root / "checkpoints" / "label_study" / "state" / "ckpt-3_temp" / "part-00000-of-00001.index",
    ]
    kept = [
        root / "figures" / "results.json",
        root / "figures" / "dcgan_epochs" / "epoch_007.png",
        root / "checkpoints" / "judge.weights.h5",
        root / "checkpoints" / "judge.inputs.json",
        root / "checkpoints" / "label_study" / "runs.json",
        root / "figures" / ".tmp-12345-mine.json",  # a user's own file, never the package's
    ]
    shown = [str(p.relative_to(root)) for p in temporary + kept]
    ignored = _ignored(shown)
    assert ignored == set(shown[: len(temporary)])


# --- a truncated sample frame names itself ------------------------------------------------------------------------


def test_a_truncated_frame_is_named_with_the_fix(tmp_path):
    import tensorflow as tf

    from digitgan import gan
    from digitgan.fileio import DataFileError

    frames_dir = tmp_path / "frames"
    grey = lambda z, training: tf.zeros([9, 28, 28, 1])  # noqa: E731
    for epoch in (1, 2):
        frames.draw_frame(grey, gan.fixed_noise(), frames_dir, epoch)
    cut = frames.frame_path(frames_dir, 2)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # what a kill or a full disk left
    message = rf"{re.escape(str(cut))} cannot be read \(image file is truncated.*: delete it"
    for read in (lambda: frames.make_gif(frames_dir, tmp_path / "x.gif"), lambda: frames.plot_evolution(frames_dir)):
        with pytest.raises(DataFileError, match=message):
            read()
    assert not (tmp_path / "x.gif").exists()
    cut.unlink()  # the fix it names
    frames.make_gif(frames_dir, tmp_path / "x.gif")
    assert np.asarray(frames._open_frame(frames.frame_path(frames_dir, 1))).shape[2] == 3


def test_reusing_the_exported_dcgan_draws_its_missing_frame(small_data, tmp_path, capsys):
    from digitgan import gan

    x = small_data["x_train"][:200]
    paths = gan.output_paths(tmp_path / "checkpoints", tmp_path / "figures")
    kwargs = {"epochs": 2, "checkpoint_every": 1, "jit_compile": False, "verbose": 0, **paths}
    gan.train_or_reuse_gan(x, **kwargs)
    final = frames.frame_path(paths["frames_dir"], 2)
    good = final.read_bytes()
    final.unlink()  # killed before the final frame was in place
    paths["gif_path"].write_bytes(b"a GIF without the final frame")
    capsys.readouterr()
    _, _, reused = gan.train_or_reuse_gan(x, **kwargs)
    assert reused and "Reusing the DCGAN" in capsys.readouterr().out
    assert final.read_bytes() == good and not paths["gif_path"].exists()  # drawn again by the exported generator
