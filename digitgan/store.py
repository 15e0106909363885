"""The run store (results under the hash of their inputs), digests, and the DCGAN's exported pair and manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from digitgan import checks, config, fileio, utils

KEY_LENGTH = 16  # hex digits of the inputs' SHA-256
STORE_FILE = "runs.json"  # a store's file name in the folder of the runs it holds


def file_digest(path, length: int | None = KEY_LENGTH) -> str:
    """The SHA-256 of a file (first ``length`` hex digits; all 64 for ``None``)."""
    if not (path := Path(path)).is_file():
        raise FileNotFoundError(f"{path} does not exist: it is an input of this result; train or restore it first.")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


def array_digest(*arrays: np.ndarray) -> str:
    """The digest of arrays' shapes, dtypes and bytes (the images or labels a result was trained on)."""
    h = hashlib.sha256()
    for a in map(np.ascontiguousarray, arrays):
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:KEY_LENGTH]


def weights_digest(model) -> str:
    return array_digest(*model.get_weights())


def architecture_digest(*models) -> str:
    """The digest of models' Keras configs without layer names: an edited network never reuses old weights."""

    def unnamed(value):  # a layer's or model's config holds "trainable", "layers" or "batch_shape"; a policy's not
        if isinstance(value, dict):
            named = not {"trainable", "layers", "batch_shape"}.isdisjoint(value)
            return {k: unnamed(v) for k, v in value.items() if not (named and k == "name")}
        return [unnamed(v) for v in value] if isinstance(value, list) else value

    configs = json.dumps([unnamed(json.loads(m.to_json())) for m in models], sort_keys=True)
    return hashlib.sha256(configs.encode()).hexdigest()[:KEY_LENGTH]


def model_fields(model, study_digest: str) -> dict:
    """What a result's key adds for an edited network (``architecture``) or another precision (``policy``)."""
    import keras

    out = {"architecture": architecture_digest(model), "policy": keras.mixed_precision.global_policy().name}
    return {k: v for k, v in out.items() if v not in (study_digest, "float32")}


def key(inputs: dict) -> str:
    """The record key of ``inputs``: the hash of their canonical JSON (sorted keys; tuples as lists)."""
    if not isinstance(inputs, dict) or not inputs:
        raise ValueError(f"inputs must be a non-empty dict of what changes the result, got {inputs!r}")
    return hashlib.sha256(fileio.dumps(inputs, sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


class Store:
    """One store file, which also finds the records of ``also_read`` (a scratch run reads the study's)."""

    def __init__(self, path, also_read=()):
        self.path, self.also_read = Path(path), tuple(Path(p) for p in also_read)

    def records(self) -> dict:
        """Every record, ``{key: {"inputs": ..., "result": ...}}``; this store's own win over ``also_read``'s."""
        return {k: v for path in (*self.also_read, self.path) for k, v in fileio.load_results(path).items()}

    def get(self, inputs: dict) -> dict | None:
        return self.records().get(key(inputs), {}).get("result")

    def put(self, inputs: dict, result: dict) -> dict:
        """Store ``result`` for ``inputs`` with the machine that computed it (unless it names one), as stored."""
        result = {**result, "machine": result.get("machine") or utils.machine()}
        return fileio.save_results(key(inputs), {"inputs": inputs, "result": result}, self.path)["result"]


EXPORT_ROLES = ("generator", "discriminator", "history")
_STUDY_SHA256 = (  # the study's committed pair has no manifest file: STUDY_EXPORT, found by these, stands for it
    "d4d83c6c0c58fab5cb3bc38b93b80c7bca66924172768a163758dbab87453772",
    "c8b7de86b6aefdbcf6f68982fb5bec1e82e35e48289f28ee874c4ceb182ec434",
    "0a39d9f45e900be76b23c3a47fb285c5e395495e0a2cc26bf24e6dbefd00ee74",
)
_STUDY_NAMES = (config.GENERATOR_FILE, config.DISCRIMINATOR_FILE, config.GAN_HISTORY_FILE)
_ADAM = {"class": "Adam", "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}
STUDY_EXPORT = {  # 50 epochs of the study's recipe on the seed-42 10k subset (XLA not recorded, so not compared)
    "format": 1,
    "files": {r: {"name": n, "sha256": h} for r, n, h in zip(EXPORT_ROLES, _STUDY_NAMES, _STUDY_SHA256, strict=True)},
    "epochs": 50,
    "settings": {
        **{"batch_size": 100, "seed": 42, "precision": "float32", "learning_rate": 1e-4, "n_train": 10_000},
        "images": "e77f1c47f76c3963",  # array_digest(data.load_study_data(10_000, 42)["x_train"])
        "architecture": "ff73af28b22df201",  # architecture_digest of the study's generator and discriminator
        "optimizer": {**_ADAM, **dict.fromkeys(("weight_decay", "clipnorm", "global_clipnorm"))},
    },
}


def _in_record(path) -> tuple[str, Path] | None:
    """``("checkpoints/<path there>", the record's checkpoints folder)`` for a file in that folder; else None."""
    path, folder = Path(path).resolve(), Path(config.COMMITTED_DIRS[1]).resolve()
    return (f"checkpoints/{path.relative_to(folder)}", folder) if folder in path.parents else None


def _manifest(folder: Path) -> tuple[dict, list[dict]]:
    """``checkpoints/MANIFEST.json`` (``{}`` where there is none) and its entries of files."""
    spec = json.loads((folder / "MANIFEST.json").read_text()) if (folder / "MANIFEST.json").is_file() else {}
    return spec, [entry for model in spec.get("models", []) for entry in model.get("files", [])]


def committed_sha256(path) -> str | None:
    """The SHA-256 ``checkpoints/MANIFEST.json`` or the DCGAN pair's manifest gives a committed file, else None."""
    if (found := _in_record(path)) is None:
        return None
    export = export_manifest_path(found[1] / config.GENERATOR_FILE)
    pair = json.loads(export.read_text())["files"] if export.is_file() else STUDY_EXPORT["files"]
    digests = {f"checkpoints/{entry['name']}": entry["sha256"] for entry in pair.values()}
    return (digests | {entry["path"]: entry["sha256"] for entry in _manifest(found[1])[1]}).get(found[0])


def record_committed_digest(path) -> None:
    """Write the new SHA-256 of a committed weights file the study's runner rewrote into its ``MANIFEST.json``."""
    if (found := _in_record(path)) is None or not (manifest := found[1] / "MANIFEST.json").is_file():
        return
    with fileio.results_lock(manifest):
        spec, entries = _manifest(found[1])
        if stale := [entry for entry in entries if entry["path"] == found[0]]:
            for entry in stale:
                entry["sha256"] = file_digest(path, None)
            fileio.atomic_write_text(manifest, json.dumps(spec, indent=1) + "\n")


def export_manifest_path(generator_path) -> Path:
    """``generator.weights.h5`` -> ``generator.export.json`` beside it."""
    return Path(generator_path).with_name(Path(generator_path).name.removesuffix(".weights.h5") + ".export.json")


def export_final(gan, history: dict, generator_path, discriminator_path, history_path):
    """Write the DCGAN's weights and history; their manifest goes first and is written last, so a kill leaves none."""
    paths = [Path(generator_path), Path(discriminator_path), Path(history_path)]
    (manifest := export_manifest_path(paths[0])).unlink(missing_ok=True)
    fileio.save_weights(gan.generator, paths[0])
    fileio.save_weights(gan.discriminator, paths[1])
    fileio.atomic_write_text(paths[2], fileio.dumps(history))
    files = {r: {"name": p.name, "sha256": file_digest(p, None)} for r, p in zip(EXPORT_ROLES, paths, strict=True)}
    record = {"format": 1, "files": files, "epochs": len(history["epoch_seconds"])}
    record["settings"] = getattr(gan, "run_settings", {})
    fileio.atomic_write_text(manifest, fileio.dumps(record, indent=1, sort_keys=True) + "\n")
    return paths[0], paths[1]


def verify_export(paths, manifest_path) -> tuple[dict | None, str | None]:
    """``(record, None)`` when a manifest (or STUDY_EXPORT) vouches for the exported files, else ``(None, why)``."""
    files = [{"name": Path(p).name, "sha256": file_digest(p, None)} for p in paths]
    if not Path(manifest_path).is_file():
        if [f["sha256"] for f in files] == list(_STUDY_SHA256):
            return STUDY_EXPORT, None
        return None, f"{manifest_path} is missing: the export was cut short, so the files may come from different runs."
    try:
        record = json.loads(Path(manifest_path).read_text())
        vouched = [record["files"][r] for r in EXPORT_ROLES]
        edited = type(record["epochs"]) is not int or type(record["settings"]) is not dict
    except (ValueError, KeyError, TypeError):
        edited = True
    if edited:
        return None, f"{manifest_path} (the manifest of the exported DCGAN pair) was edited."
    if bad := [p for p, f, v in zip(paths, files, vouched, strict=True) if f != v]:
        return None, f"{bad[0]} does not match {manifest_path}: the export was cut short or the file was replaced."
    return record, None


def check_export_settings(record: dict, manifest_path: Path, epochs: int, asked: dict) -> None:
    """Refuse an exported pair of other epochs or settings than ``asked`` (the study's pair lacks ``jit_compile``)."""
    saved = {"epochs": record["epochs"], "jit_compile": asked.get("jit_compile"), **record["settings"]}
    where = f"{manifest_path} records a DCGAN trained"
    fix = "Export to other paths (a run folder), or pass retrain=True to replace it."
    checks.same_settings(where, saved, {"epochs": epochs, **asked}, fix, "exported")
