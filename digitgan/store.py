"""The run store: where every cached or recorded result is kept, with one key scheme, one write and one lock.

A result is stored under the hash of its *inputs*: a JSON-able dict of everything that changes it (the settings,
the digests of the images and weight files it reads, XLA and precision). The same inputs find the same result;
different inputs are a different record. That is the only invalidation rule: nothing is overwritten in place.

A store is one JSON file, ``{key: {"inputs": ..., "result": ...}}``. Every write takes the file's lock
(``filelock``), rereads the file, sets its one key and replaces the file atomically, so concurrent writers lose
nothing and a kill leaves the old file or the new one, never a half one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from digitgan import utils

KEY_LENGTH = 16  # hex digits of the inputs' SHA-256
STORE_FILE = "runs.json"  # a store's file name in the folder of the runs it holds


def file_digest(path) -> str:
    """The SHA-256 of a file (first ``KEY_LENGTH`` hex digits); the error names a missing file. The one digest of a
    file that a result depends on (weights it starts from), wherever it enters a store's inputs."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: it is an input of this result; train or restore it first.")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:KEY_LENGTH]


def array_digest(*arrays: np.ndarray) -> str:
    """The SHA-256 of arrays' shapes, dtypes and bytes (the images or labels a result was trained on)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:KEY_LENGTH]


def weights_digest(model) -> str:
    """The digest of a model's weights as they are in memory (a generator that draws a result's images)."""
    return array_digest(*model.get_weights())


def key(inputs: dict) -> str:
    """The record key of ``inputs``: the hash of their canonical JSON (sorted keys; tuples as lists)."""
    if not isinstance(inputs, dict) or not inputs:
        raise ValueError(f"inputs must be a non-empty dict of what changes the result, got {inputs!r}")
    return hashlib.sha256(utils.dumps(inputs, sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


class Store:
    """One store file. ``get`` and ``put`` take the inputs, never a key made elsewhere."""

    def __init__(self, path, also_read=()):
        """``also_read``: other stores whose records this one finds too (a scratch run reads the study's); writes go
        to ``path`` only."""
        self.path, self.also_read = Path(path), tuple(Path(p) for p in also_read)

    def records(self) -> dict:
        """Every record, ``{key: {"inputs": ..., "result": ...}}`` (``{}`` before the first write); this store's
        own records win over those of ``also_read``."""
        out = {}
        for path in (*self.also_read, self.path):
            if path.exists():
                out.update(utils.load_results(path))
        return out

    def get(self, inputs: dict) -> dict | None:
        """The result stored for exactly these inputs, or None."""
        record = self.records().get(key(inputs))
        return None if record is None else record["result"]

    def put(self, inputs: dict, result: dict) -> dict:
        """Store ``result`` for ``inputs`` (under the lock, atomically); returns it as stored (plain JSON)."""
        stored = utils.save_results(key(inputs), {"inputs": inputs, "result": result}, self.path)
        return stored["result"]

    def results(self, **match) -> list[dict]:
        """The results whose inputs hold every ``match`` item, each with its inputs merged in (inputs first)."""
        return [
            {**r["inputs"], **r["result"]}
            for r in self.records().values()
            if all(r["inputs"].get(k) == v for k, v in match.items())
        ]
