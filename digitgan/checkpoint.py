"""Resumable training state: models, optimizers, seed-generator states and epoch, saved with history and settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, fileio
from digitgan.fileio import DataFileError, read_json_object
from digitgan.store import architecture_digest, array_digest

_OPTIMIZER_KEYS = ("beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay", "clipnorm", "global_clipnorm")


def rng_state(*models) -> list:
    """The non-trainable variables of ``models`` (seed-generator states, batch-norm statistics, ...)."""
    return [v.value for m in models for v in m.non_trainable_variables]


def latest_checkpoint(directory: Path) -> str | None:
    """The latest checkpoint TensorFlow's state file in ``directory`` names; None for none or a garbled file."""
    try:
        return tf.train.latest_checkpoint(str(directory))
    except Exception:  # noqa: BLE001 - a garbled state file makes TensorFlow raise various errors
        return None


class TrainingCheckpoint:
    """The keyword objects, epoch and history in ``directory``; a resume with other ``settings`` is refused."""

    def __init__(self, directory: Path, max_to_keep: int = 3, settings: dict | None = None, **objects):
        self.directory = Path(directory)
        self.settings = json.loads(fileio.dumps(settings or {}))
        fileio.remove_stale_temp_files(self.directory)  # what a killed save left: ours, and TensorFlow's
        self._remove_temp("*")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(epoch=self.epoch, **objects)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory), max_to_keep=max_to_keep)
        self._settings_path = self.directory / "settings.json"
        self._fix = f"Delete {self.directory} (or pass retrain=True) to train from scratch."
        self._history_path = lambda epoch: self.directory / f"history-{epoch:04d}.json"

    def _remove_temp(self, epoch) -> None:
        for tmp in self.directory.glob(f"ckpt-{epoch}_temp*"):
            shutil.rmtree(tmp, ignore_errors=True)

    def save(self, epoch: int, history: dict) -> None:
        """The settings, the history, then the checkpoint: a checkpoint never lacks its history."""
        fileio.atomic_write_text(self._settings_path, fileio.dumps(self.settings, indent=1, sort_keys=True))
        fileio.atomic_write_text(self._history_path(epoch), fileio.dumps(history))
        self.epoch.assign(epoch)
        try:
            self.manager.save(checkpoint_number=epoch)
        except (tf.errors.OpError, OSError) as exc:  # no space, a read-only file system: remove what it wrote
            self._remove_temp(epoch)
            raise fileio.write_error(self.directory / f"ckpt-{epoch}", exc) from exc
        kept = {self._history_path(int(p.rsplit("-", 1)[1])) for p in self.manager.checkpoints}
        for old in set(self.directory.glob("history-*.json")) - kept:
            old.unlink()

    def restore(self) -> tuple[int, dict] | None:
        """``(epoch, history)`` of the latest checkpoint, or None; a damaged state is an error, never a fresh start."""
        if not any(self.directory.glob("ckpt-*.index")) and not (self.directory / "checkpoint").exists():
            return None
        if (latest := latest_checkpoint(self.directory)) is None or not Path(latest + ".index").is_file():
            raise DataFileError(
                f"{self.directory / 'checkpoint'} is missing or damaged (a restart from scratch). {self._fix}"
            )
        path = self._settings_path
        saved = read_json_object(path, "a run's settings", self._fix) if path.exists() else self.settings
        fix = f"{self._fix[:-1]}, or use another checkpoint folder."
        checks.same_settings(f"{self.directory} holds a run", saved, self.settings, fix)
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except Exception as exc:  # noqa: BLE001 - a truncated data file raises IndexError, OpError, ...
            raise DataFileError(
                f"{latest} could not be read ({type(exc).__name__}): truncated, corrupt or of other models. {self._fix}"
            ) from exc
        epoch = int(self.epoch.numpy())
        return epoch, read_json_object(self._history_path(epoch), f"the history of {Path(latest).name}", self._fix)

    def resume(self, epochs: int, what: str, empty_history: dict) -> tuple[int, dict]:
        """``(start_epoch, history)`` after restoring the latest checkpoint, if any (``epochs``: finished)."""
        restored = self.restore()
        start, history = restored or (0, empty_history)
        if missing := sorted(set(empty_history) - set(history)):
            raise DataFileError(f"The history saved in {self.directory.name}/ckpt-{start} lacks {missing}. {self._fix}")
        if restored:
            print(f"Restored {what} at epoch {start} from {self.directory.name}.")
        if start > epochs:
            raise ValueError(
                f"{self.directory} holds {what} trained to epoch {start}, more than the {epochs} asked for: "
                "use another checkpoint folder or retrain=True"
            )
        if start == epochs:
            print(f"Already trained to epoch {start}; pass retrain=True to train again.")
        return start, history


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves every ``every`` epochs, at the final epoch and when an earlier callback stops training."""

    def __init__(self, ckpt: TrainingCheckpoint, history: dict, every: int, final_epoch: int):
        super().__init__()
        self.ckpt, self.history, self.every, self.final_epoch = ckpt, history, every, final_epoch

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.final_epoch or self.model.stop_training:
            self.ckpt.save(epoch + 1, self.history)


def run_settings(x_train: np.ndarray, batch_size: int, seed: int, precision: str, jit_compile: bool, gan) -> dict:
    """Everything but the epoch count that shapes a DCGAN run: its arguments, optimizer and digests."""
    opt = gan.g_optimizer.get_config()
    settings = {"batch_size": batch_size, "seed": seed, "precision": precision, "n_train": len(x_train)}
    settings["learning_rate"] = float(f"{float(gan.g_optimizer.learning_rate.numpy()):.6g}")  # 1e-4, not its float32
    settings |= {"images": array_digest(x_train), "jit_compile": bool(jit_compile)}
    settings["architecture"] = architecture_digest(gan.generator, gan.discriminator)
    optimizer = {k: opt[k] for k in _OPTIMIZER_KEYS if k in opt}
    return settings | {"optimizer": {"class": type(gan.g_optimizer).__name__, **optimizer}}


def gan_checkpoint(gan, directory: Path, max_to_keep: int = 3, settings: dict | None = None):
    """A GAN's complete training state: both networks and optimizers, and dropout's seed-generator states."""
    objects = {name: getattr(gan, name) for name in ("generator", "discriminator", "g_optimizer", "d_optimizer")}
    state = rng_state(gan.generator, gan.discriminator)
    return TrainingCheckpoint(directory, max_to_keep, settings, **objects, rng_state=state)
