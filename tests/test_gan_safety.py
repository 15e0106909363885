"""The DCGAN's files under kills and reuse: atomic epoch frames (redrawn on resume), the exported pair as one unit
(a manifest written last), training states that remember their images, XLA and precision, and clean-up that takes
only the package's own temporary files of dead writers."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from digitgan import checkpoint, config, data, fileio, frames, gan, models, store
from digitgan.fileio import DataFileError, load_weights

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def x_small(small_data):
    return small_data["x_train"][:200]  # 2 batches of 100 per epoch


def _tree(folder):
    """Every file under ``folder`` with its bytes, to prove that nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _killed_at(script: str, tmp_path: Path, *args) -> int:
    """Run ``script`` in a new Python process until it prints ``ready``, SIGKILL it there; its (now dead) pid."""
    err = tmp_path / "child.err"
    with open(err, "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        line = child.stdout.readline()
        if line.strip() != "ready":
            child.kill()
            child.wait()
            pytest.fail(f"the child did not reach its kill point: {line!r}\n{err.read_text()[-3000:]}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    return child.pid


def _train(x, folder, epochs, **kwargs):
    kwargs = {"checkpoint_every": 1, "jit_compile": False, "verbose": 0, **kwargs}
    return gan.train_gan(x, epochs=epochs, checkpoint_dir=folder, **kwargs)


# --- 1. epoch frames ----------------------------------------------------------------------------------------------

KILLED_FRAME_WRITE = """
    import io, sys, time
    from pathlib import Path
    import matplotlib.figure
    import tensorflow as tf
    from digitgan import frames, gan

    real = matplotlib.figure.Figure.savefig

    def half_then_hang(self, fname, **kwargs):  # the PNG's first half reaches the disk, then the kill comes
        buffer = io.BytesIO()
        real(self, buffer, format="png", **kwargs)
        with open(fname, "wb") as f:
            f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        print("ready", flush=True)
        time.sleep(600)

    matplotlib.figure.Figure.savefig = half_then_hang
    frames.draw_frame(lambda z, training: tf.ones([9, 28, 28, 1]), gan.fixed_noise(), Path(sys.argv[1]), 1)
"""


def test_a_frame_write_killed_midway_leaves_the_old_frame_and_no_half_png(tmp_path):
    import tensorflow as tf

    frames_dir = tmp_path / "frames"
    zeros = lambda z, training: tf.zeros([9, 28, 28, 1])  # noqa: E731
    first = frames.draw_frame(zeros, gan.fixed_noise(), frames_dir, 1)
    before = first.read_bytes()
    dead = _killed_at(KILLED_FRAME_WRITE, tmp_path, frames_dir)  # rewriting epoch 1's frame, killed half-way
    assert first.read_bytes() == before
    leftover = frames_dir / f"{fileio.TMP_PREFIX}{dead}-epoch_001.png"
    assert leftover.is_file() and leftover.stat().st_size < len(before)  # the half PNG is only the temporary file
    assert [*frames._frames_by_epoch(frames_dir).values()] == [first]  # not a frame the GIF and the figure read
    frames.make_gif(frames_dir, tmp_path / "training.gif")
    frames.repair_frames(frames_dir, 1, zeros, gan.fixed_noise())
    assert sorted(p.name for p in frames_dir.iterdir()) == ["epoch_001.png"]  # the dead writer's file is gone


def test_a_resume_draws_the_missing_restored_frame_and_drops_later_ones(x_small, tmp_path):
    frames_dir, gif, state = tmp_path / "frames", tmp_path / "training.gif", tmp_path / "state"
    _train(x_small, state, 2, frames_dir=frames_dir)
    good = frames.frame_path(frames_dir, 2).read_bytes()

    frames.frame_path(frames_dir, 2).unlink()  # killed after the final checkpoint, before its frame was in place
    _train(x_small, state, 2, frames_dir=frames_dir)  # finished: reloads, and draws the missing frame
    assert frames.frame_path(frames_dir, 2).read_bytes() == good

    shutil.copy(frames.frame_path(frames_dir, 1), frames.frame_path(frames_dir, 5))  # a longer run's frame
    gif.write_bytes(b"a GIF of the longer run")
    _, resumed = _train(x_small, state, 3, frames_dir=frames_dir, gif_path=gif)
    assert list(frames._frames_by_epoch(frames_dir)) == [1, 2, 3] and not gif.exists()  # no figure mixes two runs
    assert frames.frame_path(frames_dir, 2).read_bytes() == good
    frames.make_gif(frames_dir, gif)
    frames.plot_evolution(frames_dir)
    _, straight = _train(x_small, tmp_path / "straight", 3)
    assert resumed["g_loss"] == straight["g_loss"] and resumed["d_loss"] == straight["d_loss"]  # training unchanged


# --- 2. the exported pair -----------------------------------------------------------------------------------------


@pytest.fixture()
def exported(x_small, tmp_path):
    paths = gan.output_paths(tmp_path / "ck", tmp_path / "fig")
    model, history, reused = gan.train_or_reuse_gan(x_small, epochs=1, checkpoint_every=1, jit_compile=False, verbose=0,
                                                    **paths)  # fmt: skip
    assert not reused
    return paths, model


def _reuse(x, paths, **kwargs):
    return gan.train_or_reuse_gan(x, epochs=1, **{"jit_compile": False, "verbose": 0, **paths, **kwargs})


def test_the_manifest_is_written_last_and_vouches_for_the_pair(x_small, exported, capsys):
    paths, _ = exported
    manifest = paths["generator_path"].with_name("generator.export.json")
    record = json.loads(manifest.read_text())
    assert record["epochs"] == 1
    for role, key in (
        ("generator", "generator_path"),
        ("discriminator", "discriminator_path"),
        ("history", "history_path"),
    ):
        assert record["files"][role] == {"name": paths[key].name, "sha256": store.file_digest(paths[key], None)}
    settings = json.loads((paths["checkpoint_dir"] / "settings.json").read_text())
    assert record["settings"] == settings and settings["images"] == store.array_digest(x_small)
    assert settings["jit_compile"] is False
    _, _, reused = _reuse(x_small, paths)
    assert reused and "Reusing the DCGAN" in capsys.readouterr().out


KILLED_EXPORT = """
    import sys, time
    from pathlib import Path
    from digitgan import fileio, gan, store

    real, calls = fileio.save_weights, []

    def save(model, path):
        if calls:  # the generator is in place; the kill comes before the discriminator
            print("ready", flush=True)
            time.sleep(600)
        calls.append(path)
        return real(model, path)

    fileio.save_weights = save
    model = gan.build_dcgan(jit_compile=False)  # unseeded: other weights than the exported pair's
    history = {"g_loss": [0.0, 0.0], "d_loss": [0.0, 0.0], "epoch_seconds": [1.0], "scores": {}}
    store.export_final(model, history, *map(Path, sys.argv[1:4]))
"""


def test_a_kill_between_the_two_exports_is_never_reused_as_a_pair(x_small, exported, tmp_path, capsys):
    paths, model = exported
    files = [paths["generator_path"], paths["discriminator_path"], paths["history_path"]]
    before = {p.name: p.read_bytes() for p in files}
    _killed_at(KILLED_EXPORT, tmp_path, *files)
    assert paths["generator_path"].read_bytes() != before["generator.weights.h5"]  # a new generator ...
    assert paths["discriminator_path"].read_bytes() == before["discriminator.weights.h5"]  # ... with the old one
    assert not paths["generator_path"].with_name("generator.export.json").exists()

    # Without the training state: an error naming the manifest and the fix, and nothing written.
    alone = tmp_path / "alone"
    shutil.copytree(tmp_path / "ck", alone, ignore=shutil.ignore_patterns("dcgan"))
    moved = {k: alone / p.name for k, p in paths.items() if p in files}
    snapshot = _tree(alone)
    with pytest.raises(DataFileError, match=r"generator\.export\.json is missing.*different runs.*retrain=True"):
        _reuse(x_small, {**moved, "checkpoint_dir": alone / "dcgan"})
    assert _tree(alone) == snapshot

    # With the finished training state: exported again from it, as one unit.
    again, _, reused = _reuse(x_small, paths)
    assert reused and "Exporting the pair again" in capsys.readouterr().out
    for got, want in ((again.generator, model.generator), (again.discriminator, model.discriminator)):
        for a, b in zip(got.get_weights(), want.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    record, problem = store.verify_export(files, paths["generator_path"].with_name("generator.export.json"))
    assert problem is None and record["epochs"] == 1
    exported = load_weights(models.build_generator(), files[0], "")
    np.testing.assert_array_equal(exported.get_weights()[0], model.generator.get_weights()[0])


def test_a_replaced_file_or_other_settings_are_refused_before_anything_is_written(x_small, exported, tmp_path):
    paths, _ = exported
    snapshot = _tree(tmp_path / "ck")
    with pytest.raises(ValueError, match=r"generator\.export\.json records .*other settings.*images: exported"):
        _reuse(x_small[::-1], paths)  # other images of the same count
    with pytest.raises(ValueError, match=r"other settings.*jit_compile: exported False, asked True.*retrain=True"):
        _reuse(x_small, paths, jit_compile=True)
    with pytest.raises(ValueError, match=r"other settings.*seed: exported 42, asked 7"):
        _reuse(x_small, paths, seed=7)
    assert _tree(tmp_path / "ck") == snapshot

    gan.build_dcgan(jit_compile=False).discriminator.save_weights(paths["discriminator_path"])  # another network's
    replaced = _tree(tmp_path / "ck")
    with pytest.raises(DataFileError, match=r"discriminator\.weights\.h5 does not match .*generator\.export\.json"):
        _reuse(x_small, {**paths, "checkpoint_dir": tmp_path / "no-state"})
    assert _tree(tmp_path / "ck") == replaced and not (tmp_path / "no-state").exists()


def test_the_committed_pair_without_a_manifest_is_recognised_by_its_digests(mnist_dir, tmp_path):
    committed = [ROOT / "checkpoints" / n for n in (config.GENERATOR_FILE, config.DISCRIMINATOR_FILE,
                                                    config.GAN_HISTORY_FILE)]  # fmt: skip
    if not all(p.is_file() for p in committed):
        pytest.skip("the committed DCGAN pair is not in this checkout")
    for role, p in zip(store.EXPORT_ROLES, committed, strict=True):
        assert store.STUDY_EXPORT["files"][role] == {"name": p.name, "sha256": store.file_digest(p, None)}
    x_study = data.load_study_data(config.SUBSET_SIZE, config.SEED, source=mnist_dir)["x_train"]
    assert store.STUDY_EXPORT["settings"]["images"] == store.array_digest(x_study)

    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for p in committed:
        shutil.copy(p, folder / p.name)
    paths = gan.output_paths(folder, tmp_path / "figures")
    snapshot = _tree(folder)
    _, history, reused = gan.train_or_reuse_gan(x_study, epochs=50, verbose=0, **paths)
    assert reused and len(history["epoch_seconds"]) == 50
    assert _tree(folder) == snapshot  # accepted as it is: no manifest written beside the committed files
    with pytest.raises(ValueError, match="other settings.*images: exported 'e77f1c47f76c3963'"):
        gan.train_or_reuse_gan(x_study[::-1], epochs=50, verbose=0, **paths)

    history["g_loss"][0] += 1.0  # a pair that only looks like the committed one
    paths["history_path"].write_text(json.dumps(history))
    with pytest.raises(DataFileError, match=r"generator\.export\.json is missing.*retrain=True"):
        gan.train_or_reuse_gan(x_study, epochs=50, verbose=0, **paths)


# --- 3. training states remember their images, XLA and precision --------------------------------------------------


def test_a_state_refuses_other_images_xla_or_precision(x_small, tmp_path):
    state = tmp_path / "state"
    _train(x_small, state, 1)
    snapshot = _tree(state)
    cases = [
        (dict(x=x_small[::-1]), r"images: saved '[0-9a-f]{16}', asked"),
        (dict(jit_compile=True), r"jit_compile: saved False, asked True"),
        (dict(precision="mixed_bfloat16"), r"precision: saved 'float32', asked 'mixed_bfloat16'"),
    ]
    for change, message in cases:
        x = change.pop("x", x_small)
        with pytest.raises(ValueError, match=f"{state} holds a run with other settings.*{message}.*Delete {state}"):
            _train(x, state, 2, **change)
        assert _tree(state) == snapshot
    _, history = _train(x_small, state, 2)  # the same images and choices resume
    assert len(history["epoch_seconds"]) == 2


def test_a_state_refuses_an_edited_network_or_another_learning_rate(x_small, tmp_path, monkeypatch):
    import keras

    state = tmp_path / "state"
    _train(x_small, state, 1)
    snapshot = _tree(state)
    with pytest.raises(ValueError, match=r"other settings.*learning_rate.*saved 0\.0001, asked 0\.0002"):
        _train(x_small, state, 2, learning_rate=2e-4)
    build = models.build_discriminator

    def dropout_half():  # digitgan/models.py with Dropout(0.5) instead of 0.3: the same names and shapes
        config_ = build().get_config()
        for layer in config_["layers"]:
            if layer["class_name"] == "Dropout":
                layer["config"]["rate"] = 0.5
        return keras.Sequential.from_config(config_)

    monkeypatch.setattr(models, "build_discriminator", dropout_half)
    with pytest.raises(ValueError, match=r"other settings.*architecture"):
        _train(x_small, state, 2)
    assert _tree(state) == snapshot


def test_the_settings_of_a_state_without_checkpoints_are_those_of_its_first_run(x_small, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "settings.json").write_text(json.dumps({"batch_size": 50}))  # killed before its first checkpoint
    _train(x_small, state, 1)
    assert json.loads((state / "settings.json").read_text())["batch_size"] == 100
    _, history = _train(x_small, state, 2)  # its own settings: resumed, not refused
    assert len(history["epoch_seconds"]) == 2


# --- 4. clean-up of temporary files -------------------------------------------------------------------------------

WRITER = """
    import os, sys, time
    from digitgan import fileio

    def hang(src, dst):  # the temporary file is complete; the rename never comes
        print("ready", flush=True)
        time.sleep(600)

    os.replace = hang
    fileio.atomic_write_text(sys.argv[1], "results")
"""


def test_clean_up_takes_only_the_packages_temp_files_of_dead_writers(tmp_path):
    folder = tmp_path / "figures"
    folder.mkdir()
    dead = _killed_at(WRITER, tmp_path, folder / "results.json")
    [orphan] = folder.glob(f"{fileio.TMP_PREFIX}{dead}-results.json*")
    live = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(folder / "other.json")],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert live.stdout.readline().strip() == "ready"
        [in_use] = folder.glob(f"{fileio.TMP_PREFIX}{live.pid}-other.json*")
        users = [folder / f".tmp-{dead}-notes.txt", folder / f".tmp-{dead}-drafts", folder / ".digitgan-tmp-notes"]
        users[0].write_text("mine")
        users[1].mkdir()
        (users[1] / "a.txt").write_text("mine too")
        users[2].write_text("no pid: not a temporary file of the package")
        assert fileio.remove_stale_temp_files(folder) == [orphan]
        assert not orphan.exists() and in_use.exists() and all(p.exists() for p in users)
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait(timeout=60)
    assert fileio.remove_stale_temp_files(folder) == [in_use]  # its writer is dead now
    assert all(p.exists() for p in users) and not (folder / "results.json").exists()


def test_a_training_state_takes_only_its_own_leftovers(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    dead = _killed_at("print('ready', flush=True); import time; time.sleep(600)", tmp_path)
    ours = [
        state / f"{fileio.TMP_PREFIX}{dead}-history-0002.json.abc123",
        state / f"{fileio.TMP_PREFIX}{dead}-settings.json.k9",
        state / "ckpt-2_temp",
    ]
    kept = [state / f".tmp-{dead}-notes.txt", state / "my_template.txt"]  # a user's, whatever their age
    kept.append(state / f"{fileio.TMP_PREFIX}{os.getpid()}-history-0003.json.q1")  # a writer still running
    for p in ours[:2] + kept:
        p.write_text("x")
    (state / f".tmp-{dead}-drafts").mkdir()
    kept.append(state / f".tmp-{dead}-drafts")
    (ours[2] / "part-0").parent.mkdir()
    (ours[2] / "part-0").write_text("half")
    checkpoint.TrainingCheckpoint(state)
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in kept)
