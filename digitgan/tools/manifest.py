"""Refresh the SHA-256 of every file ``checkpoints/MANIFEST.json`` lists, and its tolerances, from the files now."""

from __future__ import annotations

import json

from digitgan import config, fileio
from digitgan.tools.verify import MANIFEST, TOLERANCE, read_manifest, sha256


def refreshed() -> dict:
    spec = read_manifest()
    for f in (f for entry in spec["models"] for f in entry["files"]):
        f["sha256"] = sha256(config.PROJ_ROOT / f["path"])
    return {**spec, "tolerance": TOLERANCE}


if __name__ == "__main__":
    fileio.atomic_write_text(MANIFEST, json.dumps(refreshed(), indent=1) + "\n")
    print(f"wrote {config.shown(MANIFEST)}")
