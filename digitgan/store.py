"""The run store: where every cached or recorded result is kept, with one key scheme, one write and one lock.

A result is stored under the hash of its *inputs*: a JSON-able dict of everything that changes it (the settings,
the digests of the images and weight files it reads, XLA and precision). The same inputs find the same result;
different inputs are a different record. That is the only invalidation rule: nothing is overwritten in place.

A store is one JSON file, ``{key: {"inputs": ..., "result": ...}}``. Every write takes the file's lock
(``filelock``), rereads the file, sets its one key and replaces the file atomically, so concurrent writers lose
nothing and a kill leaves the old file or the new one, never a half one.

The DCGAN's exported pair (final generator and discriminator weights and their loss history) is vouched for by a
manifest written last, naming the three files with their SHA-256 (:func:`export_final`, :func:`verify_export`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from digitgan import config, fileio, utils

KEY_LENGTH = 16  # hex digits of the inputs' SHA-256
STORE_FILE = "runs.json"  # a store's file name in the folder of the runs it holds


def file_digest(path, length: int | None = KEY_LENGTH) -> str:
    """The SHA-256 of a file (first ``length`` hex digits; all 64 for ``None``); the error names a missing file. The
    one digest of a file that a result depends on (weights it starts from), wherever it enters a store's inputs, and
    of each file of an exported pair (in full)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: it is an input of this result; train or restore it first.")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


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


def architecture_digest(*models) -> str:
    """The digest of models' Keras configs (every layer, its settings, shapes and dtype policy; layer names left out,
    since Keras numbers them by how many were built before) as built, before compiling (a compiled model's config
    holds its optimizer's numbered name): part of every key of a trained result, so that an edited network (a
    Dropout rate, an activation) never reuses or resumes the old one's weights."""

    def unnamed(value):  # a layer's or model's config holds "trainable", "layers" or "batch_shape"; a policy's not
        if isinstance(value, dict):
            named = not {"trainable", "layers", "batch_shape"}.isdisjoint(value)
            return {k: unnamed(v) for k, v in value.items() if not (named and k == "name")}
        return [unnamed(v) for v in value] if isinstance(value, list) else value

    configs = [unnamed(json.loads(m.to_json())) for m in models]
    return hashlib.sha256(json.dumps(configs, sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


def model_fields(model, study_digest: str) -> dict:
    """What a result's key adds for the network it trains and the precision it computes in: ``architecture`` (its
    :func:`architecture_digest`) where that is not ``study_digest``, the study's, and ``policy`` (Keras' global dtype
    policy) where it is not float32. The study's own runs keep the keys they were stored under; any edit of the
    network or the precision makes another key, so it trains anew instead of reading the stored result."""
    import keras

    out, policy = {}, keras.mixed_precision.global_policy().name
    if (digest := architecture_digest(model)) != study_digest:
        out["architecture"] = digest
    if policy != "float32":
        out["policy"] = policy
    return out


def key(inputs: dict) -> str:
    """The record key of ``inputs``: the hash of their canonical JSON (sorted keys; tuples as lists)."""
    if not isinstance(inputs, dict) or not inputs:
        raise ValueError(f"inputs must be a non-empty dict of what changes the result, got {inputs!r}")
    return hashlib.sha256(fileio.dumps(inputs, sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


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
                out.update(fileio.load_results(path))
        return out

    def get(self, inputs: dict) -> dict | None:
        """The result stored for exactly these inputs, or None."""
        record = self.records().get(key(inputs))
        return None if record is None else record["result"]

    def put(self, inputs: dict, result: dict) -> dict:
        """Store ``result`` for ``inputs`` (under the lock, atomically) with the machine that computed it (CPU model
        and flags, threads, versions: :func:`digitgan.utils.machine`) unless it names one; returns it as stored."""
        result = {**result, "machine": result.get("machine") or utils.machine()}
        stored = fileio.save_results(key(inputs), {"inputs": inputs, "result": result}, self.path)
        return stored["result"]


EXPORT_ROLES = ("generator", "discriminator", "history")
EXPORT_FORMAT = 1

# The study's committed pair (checkpoints/generator.weights.h5, discriminator.weights.h5, dcgan_history.json) has no
# manifest file. Recognised by the SHA-256 of its three files, this record stands for its manifest:
# 50 epochs of the study's recipe on the seed-42 10k subset (XLA not recorded, so not compared), with the networks
# and Adam settings of digitgan/models.py and digitgan/gan.py as committed with it. Nothing is written
# beside it; any other pair without a manifest is re-exported from its finished training state or refused.
_STUDY_PAIR = (
    ("generator", config.GENERATOR_FILE, "d4d83c6c0c58fab5cb3bc38b93b80c7bca66924172768a163758dbab87453772"),
    ("discriminator", config.DISCRIMINATOR_FILE, "c8b7de86b6aefdbcf6f68982fb5bec1e82e35e48289f28ee874c4ceb182ec434"),
    ("history", config.GAN_HISTORY_FILE, "0a39d9f45e900be76b23c3a47fb285c5e395495e0a2cc26bf24e6dbefd00ee74"),
)
STUDY_EXPORT = {
    "format": EXPORT_FORMAT,
    "files": {role: {"name": name, "sha256": sha256} for role, name, sha256 in _STUDY_PAIR},
    "epochs": 50,
    "settings": {
        "batch_size": 100,
        "seed": 42,
        "precision": "float32",
        "learning_rate": 1e-4,
        "n_train": 10_000,
        "images": "e77f1c47f76c3963",  # array_digest(data.load_study_data(10_000, 42)["x_train"])
        "architecture": "ff73af28b22df201",  # architecture_digest of the study's generator and discriminator
        "optimizer": {
            "class": "Adam",
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-07,
            "amsgrad": False,
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
        },
    },
}


def committed_sha256(path) -> str | None:
    """The SHA-256 the study's record gives the file at ``path`` in the repository's ``checkpoints/``
    (``checkpoints/MANIFEST.json``; for the DCGAN pair its export manifest, else :data:`STUDY_EXPORT`), or None for
    any other file (a scratch run's, or one in a folder the tests point the study's checkpoints to)."""
    path, folder = Path(path).resolve(), Path(config.COMMITTED_DIRS[1]).resolve()
    if folder not in path.parents:
        return None
    export = export_manifest_path(folder / config.GENERATOR_FILE)
    pair = json.loads(export.read_text())["files"] if export.is_file() else STUDY_EXPORT["files"]
    digests = {entry["name"]: entry["sha256"] for entry in pair.values()}
    manifest = folder / "MANIFEST.json"
    if manifest.is_file():
        for model in json.loads(manifest.read_text()).get("models", []):
            for entry in model.get("files", []):
                digests[str(Path(entry["path"]).relative_to("checkpoints"))] = entry["sha256"]
    return digests.get(str(path.relative_to(folder)))


def record_committed_digest(path) -> None:
    """After the study's runner rewrote a committed weights file (a retraining, or a rerun on another CPU model whose
    bytes differ), its entry in ``checkpoints/MANIFEST.json`` takes the new SHA-256, so that loads check the file
    the record now holds. Files the manifest does not list are left alone."""
    path, folder = Path(path).resolve(), Path(config.COMMITTED_DIRS[1]).resolve()
    manifest = folder / "MANIFEST.json"
    if folder not in path.parents or not manifest.is_file():
        return
    with fileio.results_lock(manifest):
        spec = json.loads(manifest.read_text())
        name, digest, changed = f"checkpoints/{path.relative_to(folder)}", file_digest(path, None), False
        for model in spec.get("models", []):
            for entry in model.get("files", []):
                if entry["path"] == name and entry["sha256"] != digest:
                    entry["sha256"], changed = digest, True
        if changed:
            fileio.atomic_write_text(manifest, json.dumps(spec, indent=1) + "\n")


NOT_RECORDED_BEFORE = ("jit_compile",)  # STUDY_EXPORT does not record XLA: not compared


def export_manifest_path(generator_path) -> Path:
    """Where the manifest of the pair exported with ``generator_path`` lives: beside it, ``<name>.export.json``
    (``generator.weights.h5`` -> ``generator.export.json``)."""
    generator_path = Path(generator_path)
    return generator_path.with_name(generator_path.name.removesuffix(".weights.h5") + ".export.json")


def export_final(
    gan,
    history: dict,
    generator_path=config.GENERATOR_PATH,
    discriminator_path=config.DISCRIMINATOR_PATH,
    history_path=config.GAN_HISTORY_PATH,
    manifest_path=None,
    settings: dict | None = None,
):
    """Write the final generator and discriminator weights (what the trials load) and the loss history as one unit.

    The old manifest goes first, then the three files are written (each atomically), then the manifest
    (:func:`export_manifest_path` unless given): the files' names and SHA-256, the epoch count and the run's
    settings (``settings``, default: those :func:`digitgan.gan.train_gan` gave ``gan``), written last and
    atomically. A kill at any point leaves a pair that no manifest vouches for, which
    :func:`digitgan.gan.train_or_reuse_gan` never reuses."""
    paths = [Path(generator_path), Path(discriminator_path), Path(history_path)]
    manifest_path = Path(manifest_path or export_manifest_path(paths[0]))
    settings = dict(settings if settings is not None else getattr(gan, "run_settings", None) or {})
    manifest_path.unlink(missing_ok=True)  # until the new one is written, nothing vouches for a half-written pair
    fileio.save_weights(gan.generator, paths[0])
    fileio.save_weights(gan.discriminator, paths[1])
    fileio.atomic_write_text(paths[2], fileio.dumps(history))
    files = {r: {"name": p.name, "sha256": file_digest(p, None)} for r, p in zip(EXPORT_ROLES, paths, strict=True)}
    record = {"format": EXPORT_FORMAT, "files": files, "epochs": len(history["epoch_seconds"]), "settings": settings}
    fileio.atomic_write_text(manifest_path, fileio.dumps(record, indent=1, sort_keys=True) + "\n")
    return paths[0], paths[1]


def verify_export(paths, manifest_path) -> tuple[dict | None, str | None]:
    """Whether the exported ``(generator, discriminator, history)`` files are one pair: ``(record, None)`` when
    their manifest (or, without one, :data:`STUDY_EXPORT` for the study's committed files) names them with these
    SHA-256s; ``(None, why)`` when nothing vouches for them (no manifest: an export cut short or one of an older
    digitgan; another file's digest: a kill between two files, or a replaced file)."""
    paths, manifest_path = [Path(p) for p in paths], Path(manifest_path)
    digests = {role: file_digest(p, None) for role, p in zip(EXPORT_ROLES, paths, strict=True)}
    if not manifest_path.is_file():
        if all(digests[r] == STUDY_EXPORT["files"][r]["sha256"] for r in EXPORT_ROLES):
            return STUDY_EXPORT, None
        names = ", ".join(p.name for p in paths)
        return None, (
            f"{manifest_path} is missing: {names} were exported by an older digitgan, or their export was cut short "
            "by a kill, so they may come from different runs."
        )
    try:
        record = json.loads(manifest_path.read_text())
        if not (
            isinstance(record, dict)
            and isinstance(record.get("files"), dict)
            and all(isinstance(record["files"].get(r), dict) for r in EXPORT_ROLES)
            and isinstance(record.get("epochs"), int)
            and isinstance(record.get("settings"), dict)
        ):
            raise ValueError("it lacks files, epochs or settings")
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, f"{manifest_path} (the manifest of the exported DCGAN pair) cannot be read ({exc}): it was edited."
    for role, p in zip(EXPORT_ROLES, paths, strict=True):
        entry = record["files"][role]
        if entry.get("name") != p.name:
            return None, f"{manifest_path} names {entry.get('name')!r} as the {role}, not {p.name}: another pair's."
        if entry.get("sha256") != digests[role]:
            return None, (
                f"{p} does not match {manifest_path} (SHA-256 {digests[role][:12]}…, the manifest says "
                f"{str(entry.get('sha256'))[:12]}…): its export was cut short by a kill or the file was replaced, so "
                "the pair may mix two runs."
            )
    return record, None


def check_export_settings(record: dict, manifest_path: Path, epochs: int, asked: dict) -> None:
    """Refuse an exported pair (its manifest ``record``) of another epoch count or other settings than ``asked``
    (:func:`digitgan.checkpoint.run_settings`); of the settings asked, only those of :data:`NOT_RECORDED_BEFORE`
    may be missing from the manifest (the study's pair predates recording them), every other must match."""
    if record["epochs"] != epochs:
        raise ValueError(
            f"{manifest_path} records a DCGAN trained for {record['epochs']} epochs, not the {epochs} asked for. "
            "Export to other paths (a run folder), or pass retrain=True to replace it."
        )
    saved = record["settings"]
    differ = [k for k, v in asked.items() if saved.get(k) != v and not (k in NOT_RECORDED_BEFORE and k not in saved)]
    if differ:
        shown = "; ".join(f"{k}: exported {saved.get(k, 'not recorded')!r}, asked {asked[k]!r}" for k in differ)
        raise ValueError(
            f"{manifest_path} records a DCGAN trained with other settings than asked ({shown}; images is the digest "
            "of the training images). Export to other paths (a run folder) for these settings, or pass retrain=True "
            "to train and replace it."
        )
