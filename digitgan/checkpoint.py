"""Resumable training state: a ``tf.train.Checkpoint`` of models, optimizers and the epoch counter, saved with the
run's history (JSON) and its settings every N epochs and at the last. Keras 3 creates optimizer state lazily: build
each optimizer before restoring. Seed-generator states (dropout) are not tracked through a Keras model: pass them in
(``rng_state=``) for an exact resume. :func:`gan_checkpoint` is the DCGAN's, with :func:`run_settings`."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan.disk import weights_bytes, write_error
from digitgan.fileio import DataFileError, atomic_write_text, dumps, read_json_object, remove_stale_temp_files
from digitgan.store import architecture_digest, array_digest

_TF_TMP_NAME = re.compile(r"ckpt-\d+_temp.*")  # what tf.train.Checkpoint writes before it renames
_SETTING_NOTES = {  # what a differing setting means, for the error that refuses a resume
    "images": "the digest of the training images (shape, dtype and bytes): other images, even of the same count",
    "jit_compile": "XLA (jit_compile), which changes the computed numbers",
    "precision": "the dtype policy the networks compute in",
}
_OPTIMIZER_KEYS = ("beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay", "clipnorm", "global_clipnorm")


def _remove(path: Path) -> None:
    """Delete a file, a link or a whole folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def rng_state(*models) -> list:
    """The non-trainable variables of ``models`` (seed-generator states, batch-norm statistics, ...)."""
    return [v.value for m in models for v in m.non_trainable_variables]


class TrainingCheckpoint:
    """Every object passed as a keyword, plus an epoch counter and the history, in ``directory``."""

    def __init__(self, directory: Path, max_to_keep: int = 3, settings: dict | None = None, **objects):
        """``settings``: every parameter that shapes the run but the epoch count (learning rate, batch size, seed,
        the training images' digest, XLA, ...); saved beside the checkpoints, and a resume with others is refused."""
        self.directory = Path(directory)
        self.settings = json.loads(dumps(settings or {}))
        if self.directory.is_dir():  # what a save killed half-way left: our temporary files, TensorFlow's ckpt-N_temp
            remove_stale_temp_files(self.directory)
            for tmp in sorted(self.directory.iterdir()):
                if _TF_TMP_NAME.fullmatch(tmp.name):
                    _remove(tmp)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(epoch=self.epoch, **objects)
        self._objects = objects
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory), max_to_keep=max_to_keep)
        self._settings_path = self.directory / "settings.json"

    def _fix(self) -> str:
        return (
            f"Delete {self.directory} (or pass retrain=True) to train from scratch; to keep the older "
            "checkpoints, delete only the damaged ckpt-N files and name the latest remaining one in the "
            "folder's `checkpoint` file."
        )

    def _latest(self) -> str | None:
        """The latest checkpoint's prefix; a damaged state file is an error, never a silent fresh start."""
        names = (re.fullmatch(r"ckpt-(\d+)\.index", p.name) for p in self.directory.glob("ckpt-*.index"))
        saved = sorted(int(m.group(1)) for m in names if m)
        state = self.directory / "checkpoint"
        if not saved and not state.exists():
            return None
        try:
            latest = tf.train.latest_checkpoint(str(self.directory))
        except Exception:  # noqa: BLE001 - a garbled state file makes TensorFlow raise various errors
            latest = None
        if latest is None or not Path(latest + ".index").is_file():
            what = "is missing" if not state.exists() else "is damaged or names a missing checkpoint"
            raise DataFileError(
                f"{state} {what}, but {self.directory} holds checkpoints {saved}: training would restart from "
                f"scratch and overwrite them. {self._fix()}"
            )
        return latest

    def _check_settings(self) -> None:
        """Refuse a state saved with other settings (before anything is written)."""
        if not self._settings_path.exists():
            return
        saved = read_json_object(self._settings_path, "the settings of a training run", self._fix())
        differ = [k for k in sorted(set(saved) | set(self.settings)) if saved.get(k) != self.settings.get(k)]
        if differ:
            shown = "; ".join(
                f"{k}{f' ({_SETTING_NOTES[k]})' if k in _SETTING_NOTES else ''}: saved "
                f"{repr(saved[k]) if k in saved else 'nothing'}, asked "
                f"{repr(self.settings[k]) if k in self.settings else 'nothing'}"
                for k in differ
            )
            raise ValueError(
                f"{self.directory} holds a run with other settings, so it cannot be resumed with these: {shown}. "
                f"Delete {self.directory} (or pass retrain=True) to train from scratch with these settings, or "
                "use another checkpoint folder for them."
            )

    def _history_path(self, epoch: int) -> Path:
        return self.directory / f"history-{epoch:04d}.json"

    def save(self, epoch: int, history: dict) -> None:
        """The settings (where missing or another run's: only before the first checkpoint, as :meth:`restore`
        refuses other settings), then the history, then the checkpoint: a checkpoint never lacks its history."""
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            current = json.loads(self._settings_path.read_text()) if self._settings_path.exists() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            current = None
        if current != self.settings:
            atomic_write_text(self._settings_path, dumps(self.settings, indent=1, sort_keys=True))
        atomic_write_text(self._history_path(epoch), dumps(history))
        self.epoch.assign(epoch)
        try:
            self.manager.save(checkpoint_number=epoch)
        except (tf.errors.OpError, OSError) as exc:  # no space, a read-only file system: remove what it wrote
            for tmp in self.directory.glob(f"ckpt-{epoch}_temp*"):
                _remove(tmp)
            raise write_error(self.directory / f"ckpt-{epoch}", _os_error(exc), self.needed_bytes()) from exc
        kept = {int(Path(p).name.split("-")[-1]) for p in self.manager.checkpoints}
        for old in self.directory.glob("history-*.json"):
            if int(old.stem.split("-")[1]) not in kept:
                old.unlink()

    def needed_bytes(self) -> int:
        """About the bytes one checkpoint takes (every variable it saves), for
        :func:`digitgan.disk.check_free_space` before a run starts."""
        return weights_bytes(*self._objects.values())

    def restore(self) -> tuple[int, dict] | None:
        """Restore the latest checkpoint; ``(epoch, history)``, or None if there is none."""
        latest = self._latest()
        if latest is None:
            return None
        self._check_settings()
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except (AssertionError, ValueError) as exc:
            raise DataFileError(
                f"The checkpoint {latest} does not match the models being trained ({exc}). {self._fix()}"
            ) from exc
        except Exception as exc:  # noqa: BLE001 - a truncated data file raises IndexError, OpError, ...
            raise DataFileError(
                f"The checkpoint {latest} could not be read ({type(exc).__name__}: {exc}): its files are truncated "
                f"or corrupt. {self._fix()}"
            ) from exc
        epoch = int(self.epoch.numpy())
        history = read_json_object(self._history_path(epoch), f"the history of {Path(latest).name}", self._fix())
        return epoch, history

    def resume(self, epochs: int, what: str, empty_history: dict) -> tuple[int, dict]:
        """``(start_epoch, history)`` after restoring the latest checkpoint, if any, saying what it found;
        ``start_epoch == epochs`` means the run is finished."""
        restored = self.restore()
        start, history = restored if restored else (0, empty_history)
        missing = sorted(set(empty_history) - set(history))
        if missing:
            raise DataFileError(
                f"The history saved with {self.directory.name}/ckpt-{start} lacks {missing}. {self._fix()}"
            )
        if restored:
            print(f"Restored {what} at epoch {start} from {self.directory.name}.")
        if start > epochs:
            raise ValueError(
                f"{self.directory} holds {what} trained to epoch {start}, more than the {epochs} asked for. "
                "Use another checkpoint folder for a shorter run, or pass retrain=True to replace it."
            )
        if start == epochs:
            print(f"Already trained to epoch {start}; pass retrain=True to train again.")
        return start, history


def _os_error(exc: Exception) -> OSError:
    """A TensorFlow error of a checkpoint write as the ``OSError`` it stands for (its errno from its message or its
    kind), for :func:`digitgan.disk.write_error`."""
    if isinstance(exc, OSError):
        return exc
    message = getattr(exc, "message", "") or str(exc)
    for code in (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES):
        if os.strerror(code) in message:
            return OSError(code, message)
    kinds = {tf.errors.ResourceExhaustedError: errno.ENOSPC, tf.errors.PermissionDeniedError: errno.EACCES}
    code = next((code for kind, code in kinds.items() if isinstance(exc, kind)), None)
    return OSError(code, message) if code else OSError(f"{type(exc).__name__}: {message}")


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves every ``every`` epochs, at the final epoch and when an earlier callback stops training (it must come
    after that callback)."""

    def __init__(self, ckpt: TrainingCheckpoint, history: dict, every: int, final_epoch: int):
        super().__init__()
        self.ckpt, self.history, self.every, self.final_epoch = ckpt, history, every, final_epoch

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every == 0 or done == self.final_epoch or self.model.stop_training:
            self.ckpt.save(done, self.history)


def run_settings(x_train: np.ndarray, batch_size: int, seed: int, precision: str, jit_compile: bool, gan) -> dict:
    """Everything but the epoch count that shapes a DCGAN run, which its training state and its exported pair record:
    ``images`` and ``architecture`` are digests of the training images and of ``gan``'s two networks' configs
    (:mod:`digitgan.store`); ``learning_rate`` and ``optimizer`` what ``gan``'s optimizers really use."""
    opt = gan.g_optimizer.get_config()
    return {
        "batch_size": batch_size,
        "seed": seed,
        "precision": precision,
        "learning_rate": float(f"{float(gan.g_optimizer.learning_rate.numpy()):.6g}"),  # 1e-4, not its float32
        "n_train": len(x_train),
        "images": array_digest(x_train),
        "jit_compile": bool(jit_compile),
        "architecture": architecture_digest(gan.generator, gan.discriminator),
        "optimizer": {"class": type(gan.g_optimizer).__name__, **{k: opt[k] for k in _OPTIMIZER_KEYS if k in opt}},
    }


def gan_checkpoint(gan, directory: Path, max_to_keep: int = 3, settings: dict | None = None):
    """A GAN's complete training state in ``directory``: both networks and optimizers, and dropout's seed-generator
    states, which a Keras model does not track (without them a resumed run would draw other dropout masks)."""
    return TrainingCheckpoint(
        directory,
        max_to_keep,
        settings,
        generator=gan.generator,
        discriminator=gan.discriminator,
        g_optimizer=gan.g_optimizer,
        d_optimizer=gan.d_optimizer,
        rng_state=rng_state(gan.generator, gan.discriminator),
    )


def saved_history(checkpoint_dir: Path) -> dict:
    """The loss history saved with the latest checkpoint in ``checkpoint_dir`` (without restoring any weights)."""
    saved = sorted(Path(checkpoint_dir).glob("history-*.json"))
    if not saved:
        raise DataFileError(f"{checkpoint_dir} holds no training history: train the DCGAN there first.")
    return read_json_object(saved[-1], "the DCGAN's training history", f"Delete {checkpoint_dir} to train again.")


def finished_state(state: Path, epochs: int) -> bool:
    """Whether the training state ``state`` holds a run saved at exactly ``epochs`` (to export again from)."""
    try:
        latest = tf.train.latest_checkpoint(str(state))
    except Exception:  # noqa: BLE001 - a damaged state: not one to export from
        return False
    return latest is not None and Path(latest).name == f"ckpt-{epochs}"
