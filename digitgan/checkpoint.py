"""Resumable training state: a ``tf.train.Checkpoint`` of models, optimizers and the epoch counter,
saved together with the run's history (JSON), every N epochs and at the final one.

Keras 3 creates optimizer state lazily: build each optimizer (``opt.build(vars)``) before restoring,
or the restore silently skips its moments. Seed-generator states (dropout, Gaussian noise) are not
tracked through a Keras model: pass them in explicitly (``rng_state=[...]``) for an exact resume.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import tensorflow as tf

from digitgan.utils import atomic_write_text


def rng_state(*models) -> list:
    """The non-trainable variables of ``models`` (seed-generator states, batch-norm statistics, ...)."""
    return [v.value for m in models for v in m.non_trainable_variables]


class TrainingCheckpoint:
    """Every object passed as a keyword, plus an epoch counter and the history, in ``directory``."""

    def __init__(self, directory: Path, max_to_keep: int = 3, **objects):
        self.directory = Path(directory)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(epoch=self.epoch, **objects)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory), max_to_keep=max_to_keep)

    def _history_path(self, epoch: int) -> Path:
        return self.directory / f"history-{epoch:04d}.json"

    def save(self, epoch: int, history: dict) -> None:
        """History first, then the checkpoint: a checkpoint never exists without its history."""
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self._history_path(epoch), json.dumps(history))
        self.epoch.assign(epoch)
        self.manager.save(checkpoint_number=epoch)
        kept = {int(Path(p).name.split("-")[-1]) for p in self.manager.checkpoints}
        for old in self.directory.glob("history-*.json"):
            if int(old.stem.split("-")[1]) not in kept:
                old.unlink()

    def restore(self) -> tuple[int, dict] | None:
        """Restore the latest checkpoint; returns ``(epoch, history)`` or None if there is none."""
        latest = self.manager.latest_checkpoint
        if latest is None:
            return None
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as exc:
            raise ValueError(
                f"The checkpoint {latest} does not match the models being trained ({exc}). "
                f"Delete {self.directory} (or pass retrain=True) to train from scratch."
            ) from exc
        epoch = int(self.epoch.numpy())
        path = self._history_path(epoch)
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: the checkpoint {latest} has no history. "
                f"Delete {self.directory} (or pass retrain=True) to train from scratch."
            )
        return epoch, json.loads(path.read_text())

    def resume(self, epochs: int, what: str, empty_history: dict) -> tuple[int, dict]:
        """``(start_epoch, history)`` after restoring the latest checkpoint, if any; says what it found.

        ``start_epoch >= epochs`` means the run is finished and needs no training.
        """
        restored = self.restore()
        start, history = restored if restored else (0, empty_history)
        if restored:
            print(f"Restored {what} at epoch {start} from {self.directory.name}.")
        if start >= epochs:
            print(f"Already trained to epoch {start} (asked for {epochs}); pass retrain=True to train again.")
        return start, history


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves every ``every`` epochs and at the final epoch (every-15 alone would stop at 45)."""

    def __init__(self, ckpt: TrainingCheckpoint, history: dict, every: int, final_epoch: int):
        super().__init__()
        self.ckpt, self.history, self.every, self.final_epoch = ckpt, history, every, final_epoch

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every == 0 or done == self.final_epoch:
            self.ckpt.save(done, self.history)
