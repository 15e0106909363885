"""``import digitgan`` configures nothing: after importing any of its modules, TensorFlow's runtime is still
uninitialised, so a user (or Colab) can set its threads and devices, and its start-up messages stay visible."""

import os
import pkgutil
import subprocess
import sys

import digitgan
from digitgan import config

MODULES = ["digitgan"] + sorted(m.name for m in pkgutil.walk_packages(digitgan.__path__, "digitgan."))

# Imports each module in turn (digitgan first, before TensorFlow), then sets TensorFlow's threads, which it
# refuses ("cannot be modified after initialization") once anything has initialised its runtime.
SCRIPT = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as exc:
        sys.exit(f"after import {name}: {exc}")
print("configured after", len(sys.argv) - 1, "modules")
"""


def test_the_modules_cover_every_layer():
    for layer in ("digitgan.gan", "digitgan.data", "digitgan.extensions.ssgan", "digitgan.tools.report"):
        assert layer in MODULES


def test_tensorflow_can_be_configured_after_importing_any_module():
    env = dict(os.environ)  # DIGITGAN_MNIST as conftest.py sets it
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # digitgan's default (3) applies, as for a user
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *MODULES],
        cwd=config.PROJ_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"configured after {len(MODULES)} modules" in done.stdout
