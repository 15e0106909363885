"""What this machine is and how fast a training step runs on it: what ``make benchmark`` (``benchmarks/``) measures
with. Training never measures anything: XLA and the precision are fixed settings (``config.GAN_XLA``,
``config.GAN_PRECISION``, ``config.SSGAN_XLA``), chosen from the committed benchmarks.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_info() -> dict:
    """The CPU model, its core count, clock (MHz, as the kernel reports it) and its vector/bf16 flags."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "avx512_vnni")
    return {
        "model": fields.get("model name", platform.processor() or "unknown"),
        "cores": os.cpu_count(),
        "mhz": float(fields["cpu MHz"]) if "cpu MHz" in fields else None,
        "flags": sorted(f for f in wanted if f in flags),
    }


def fit_rate(model, data, steps: int, epochs: int = 3, callbacks=()) -> float:
    """Steps per second of ``model.fit`` on ``data``: ``epochs`` epochs of ``steps`` steps in ONE call, the
    fastest epoch after the first (tracing, compiling, warm-up) counted.

    Timing whole ``fit`` calls instead is wrong on this machine: a call of a few seconds sometimes returned only
    after exactly 10.24 s (or a multiple), so different steps "measured" the same rate (11.72 steps/s for every
    SSGAN variant in such rounds, 1.954 for every DCGAN variant); epochs inside one call do not see it.
    """
    import time

    import keras

    class EpochSeconds(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    timer = EpochSeconds()
    epochs = max(2, epochs)
    model.fit(data, epochs=epochs, steps_per_epoch=steps, shuffle=False, verbose=0, callbacks=[*callbacks, timer])
    return steps / min(timer.seconds[1:])
