"""What this machine is and which way a training step runs fastest on it (XLA or not), measured once per
machine and cached.

``choose_jit(kind, measure)`` answers, in order: the ``DIGITGAN_XLA`` environment variable (``1`` or ``0``),
the cache (``data/speed_choices.json``, git-ignored: a property of the machine, not of the study), or a
measurement: ``measure(jit_compile)`` returns steps per second for a few warm steps, the faster way is
kept. The key holds the step, the CPU model and the TensorFlow version, so another machine measures anew.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path

from digitgan import config, utils

XLA_ENV = "DIGITGAN_XLA"


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


def _cache_key(kind: str) -> str:
    """The step, the CPU model and the TensorFlow version: another machine or version measures anew."""
    import tensorflow as tf

    return f"{kind} | {cpu_info()['model']} | TensorFlow {tf.__version__}"


def choose_fastest(kind: str, measures: dict[str, Callable[[], float]], cache: Path | None = None) -> str:
    """The name of the fastest of ``measures`` (each returns steps per second) for the step ``kind`` on this
    machine: measured once, then read from the cache (keyed like :func:`choose_jit`)."""
    cache = Path(cache or config.SPEED_CHOICES_PATH)
    key = _cache_key(kind)
    known = utils.load_results(cache).get(key)
    if known is not None:
        return known["choice"]
    rates = {name: measure() for name, measure in measures.items()}
    choice = max(rates, key=rates.get)
    utils.save_results(key, {"choice": choice, "steps_per_second": rates}, cache)
    shown = ", ".join(f"{name} {rate:.1f}" for name, rate in rates.items())
    print(f"{kind}: {choice} on this CPU (measured steps/s: {shown}; kept in {config.shown(cache)}).")
    return choice


def has_bf16_hardware(info: dict | None = None) -> bool:
    """AMX or AVX512_BF16: the CPU multiplies bf16 matrices natively."""
    flags = set((info or cpu_info())["flags"])
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def choose_jit(kind: str, measure: Callable[[bool], float], cache: Path | None = None) -> bool:
    """Whether the step ``kind`` runs XLA-compiled on this machine (see the module's docstring)."""
    forced = os.environ.get(XLA_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    cache = Path(cache or config.SPEED_CHOICES_PATH)
    key = _cache_key(kind)
    known = utils.load_results(cache).get(key)
    if known is not None:
        return bool(known["jit_compile"])
    rates = {jit: measure(jit) for jit in (False, True)}
    choice = rates[True] > rates[False]
    utils.save_results(
        key, {"jit_compile": choice, "steps_per_second": {"xla": rates[True], "no_xla": rates[False]}}, cache
    )
    print(
        f"XLA {'on' if choice else 'off'} for the {kind} on this CPU (measured {rates[True]:.1f} steps/s with, "
        f"{rates[False]:.1f} without; kept in {config.shown(cache)}, {XLA_ENV}=0/1 overrides)."
    )
    return choice


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
