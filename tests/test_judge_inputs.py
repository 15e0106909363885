"""The judge's inputs (quality.train_judge): checked like the classifiers' before anything trains or is written, and
a saved judge reused only when the record beside it names what it was asked to be made from."""

import hashlib
import json
import re

import keras
import numpy as np
import pytest

from digitgan import config, data, fileio, quality, store


@pytest.fixture(scope="module")
def arrays(small_data):
    return (
        small_data["x_train"][:100],
        small_data["y_train"][:100],
        small_data["x_test"][:100],
        small_data["y_test"][:100],
    )


def _refused(tmp_path, x, y, x_test, y_test, message):
    path = tmp_path / "judge.weights.h5"
    with pytest.raises(ValueError, match=message):
        quality.train_judge(x, y, x_test, y_test, epochs=1, path=path, verbose=0)
    assert list(tmp_path.iterdir()) == []  # nothing trained or written


def test_uint8_images_are_refused_before_training(arrays, mnist, tmp_path):
    x, y, x_test, y_test = arrays
    raw = mnist[0][0][:100, :, :, None]  # 0-255 uint8, the channel axis added
    _refused(tmp_path, raw, y, x_test, y_test, r"x_train holds uint8 values.*digitgan\.data\.scale_images")
    _refused(tmp_path, raw.astype(np.float32), y, x_test, y_test, r"x_train holds values in \[0, 255\].*scale_images")
    _refused(tmp_path, x, y, raw, y_test, r"x_test holds uint8 values.*scale_images")


def test_a_nan_image_is_refused_before_training(arrays, tmp_path):
    x, y, x_test, y_test = arrays
    bad = x.copy()
    bad[7, 3, 3, 0] = np.nan
    _refused(tmp_path, bad, y, x_test, y_test, r"x_train holds NaN or infinite values in 1 image\(s\).*index 7")


def test_bad_labels_are_named(arrays, tmp_path):
    x, y, x_test, y_test = arrays
    ten = y.copy()
    ten[5] = 10
    _refused(tmp_path, x, ten, x_test, y_test, r"y_train holds labels from 0 to 10; they must be digits 0-9")
    _refused(tmp_path, x, y[:50], x_test, y_test, r"y_train holds 50 labels for 100 images in x_train")
    _refused(tmp_path, x, y.astype(np.float32), x_test, y_test, r"y_train must be .*integer labels, got float32")
    _refused(tmp_path, x, keras.utils.to_categorical(y, 10), x_test, y_test, r"y_train must be a .*one-hot")
    _refused(tmp_path, x, y, x_test, y_test[:10], r"y_test holds 10 labels for 100 images in x_test")


class FitCount:
    """Counts the judge's trainings (the real fit runs)."""

    def __init__(self, monkeypatch):
        self.calls, real = 0, keras.Model.fit

        def counted(model, *args, **kwargs):
            self.calls += 1
            return real(model, *args, **kwargs)

        monkeypatch.setattr(keras.Model, "fit", counted)


class _Stopped(Exception):
    """Raised where the judge would start training anew."""


def test_a_saved_judge_is_reused_only_for_what_made_it(arrays, tmp_path, monkeypatch, capsys):
    x, y, x_test, y_test = arrays
    path = tmp_path / "judge.weights.h5"
    record_path = tmp_path / "judge.inputs.json"
    fits = FitCount(monkeypatch)

    def judge(**kwargs):
        args = {"x_train": x, "y_train": y, "epochs": 1, "batch_size": 50, "seed": 1, **kwargs}
        quality.train_judge(args.pop("x_train"), args.pop("y_train"), x_test, y_test, path=path, verbose=0, **args)
        return capsys.readouterr().out

    judge()
    record = json.loads(record_path.read_text())
    assert fits.calls == 1 and record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    expected = {"epochs": 1, "batch_size": 50, "seed": 1, "n_train": 100}
    assert {k: record[k] for k in expected} == expected
    assert "Loaded the judge" in judge() and fits.calls == 1  # the same inputs: reused

    out = judge(epochs=2)  # another input: trained anew, and its record then names it
    anew = (
        r"Training the judge anew: .*judge\.weights\.h5 was not made from these inputs \(.*epochs: made with 1, asked 2"
    )
    assert re.search(anew, out) and fits.calls == 2
    assert out.count("\n") == 2 and out.splitlines()[1] == f"judge saved to {path}"  # why, and where it went

    def stop(path):
        raise _Stopped

    def stopped(**kwargs):
        with pytest.raises(_Stopped):
            judge(epochs=2, **kwargs)
        return capsys.readouterr().out

    with monkeypatch.context() as patched:  # every other input is compared too: stopped where it would train
        patched.setattr(fileio, "guard_record", stop)
        out = stopped(batch_size=25, seed=2, x_train=x[::-1].copy(), y_train=(y + 1) % 10)
        for differs in (
            r"batch_size: made with 50, asked 25",
            r"seed: made with 1, asked 2",
            r"images: made with '\w+', asked '\w+'",
            r"labels: made with '\w+', asked '\w+'",
        ):
            assert re.search(rf"not made from these inputs \(.*{differs}", out)
        assert "epochs" not in out  # the record names the judge trained last
        path.write_bytes(path.read_bytes() + b"\0")  # the file replaced behind the record's back
        assert "its SHA-256 differs" in stopped()
        record_path.unlink()  # nothing says what made it
        assert "the record of what made it cannot be read" in stopped()
    assert fits.calls == 2


def test_the_study_reuses_the_committed_judge(mnist_dir, monkeypatch, capsys):
    """The study's call (notebooks 02, 09 and 11, longer_gan) finds the committed judge made from its inputs."""
    committed = config.PROJ_ROOT / "checkpoints" / config.JUDGE_FILE
    if not quality._judge_record_path(committed).is_file():
        pytest.fail(f"{quality._judge_record_path(committed)} is missing: commit the record of the study's judge")

    def no_training(*args, **kwargs):
        raise AssertionError("the committed judge would be trained anew (and replaced)")

    monkeypatch.setattr(keras.Model, "fit", no_training)
    full = data.load_study_data(config.N_TRAIN_FULL, config.SEED, source=mnist_dir)
    xy = (full["x_train"], full["y_train"], full["x_test"], full["y_test"])  # the test set of every subset
    _, accuracy = quality.train_judge(*xy, epochs=config.JUDGE_EPOCHS, path=committed, verbose=0)
    assert "Loaded the judge from checkpoints/judge.weights.h5." in capsys.readouterr().out
    recorded = json.loads(config.COMMITTED_RESULTS_PATH.read_text())["dcgan"]["judge_test_accuracy"]
    assert abs(accuracy - recorded) <= 3e-4  # the judge the study's numbers were scored with


def test_a_scratch_run_saves_a_new_judge_in_its_own_folder_and_a_damaged_committed_one_is_named(
    arrays, tmp_path, monkeypatch, capsys
):
    x, y, x_test, y_test = arrays
    study, scratch = tmp_path / "checkpoints" / "judge.weights.h5", tmp_path / "runs" / "judge.weights.h5"
    quality.train_judge(x, y, x_test, y_test, epochs=1, batch_size=50, path=study, verbose=0)
    before = study.read_bytes()
    monkeypatch.setattr(config, "COMMITTED_DIRS", (tmp_path / "figures", tmp_path / "checkpoints"))
    monkeypatch.delenv(config.STUDY_RUN_ENV, raising=False)
    quality.train_judge(x, y, x_test, y_test, epochs=2, batch_size=50, path=study, save_to=scratch, verbose=0)
    assert study.read_bytes() == before and scratch.is_file()  # the study's judge untouched
    with pytest.raises(fileio.StudyRecordError):  # no save_to: the study's judge is refused before training
        quality.train_judge(x, y, x_test, y_test, epochs=3, batch_size=50, path=study, verbose=0)
    monkeypatch.setattr(store, "committed_sha256", lambda p: "0" * 64 if p == study else None)
    for epochs in (1, 2):  # made from these inputs or not: a damaged committed judge is named, never trained over
        with pytest.raises(fileio.DataFileError, match=r"is not the committed judge.*git checkout"):
            quality.train_judge(x, y, x_test, y_test, epochs=epochs, batch_size=50, path=study, save_to=scratch)
