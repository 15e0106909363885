"""What every step benchmark shares: the machine and its estimated peak, FLOPs counted from the graph,
interleaved rounds in one process, dtype assertions, and the committed JSON output.

Peak (an estimate, stated as such): cores x FP32 fused multiply-adds per cycle per core x 2 x clock. FMAs per
cycle come from the vector flags: AVX-512 on Intel server cores has two 512-bit FMA units (32 FP32 FMAs);
AMD Zen 4 runs AVX-512 on two 256-bit units (16); AVX2 + FMA has two 256-bit units (16). The clock is what
the kernel reports in /proc/cpuinfo (often the base clock; turbo can exceed it). bf16 (AVX512_BF16
``vdpbf16ps``) doubles the multiply rate over FP32 on the same units.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from digitgan import fileio

RESULTS_DIR = Path(__file__).resolve().parent / "results"


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


def machine() -> dict:
    """The CPU, its flags and the estimated FP32 and bf16 peaks (GFLOP/s)."""
    info = cpu_info()
    flags = set(info["flags"])
    if "avx512f" in flags:
        fmas = 32 if "Intel" in info["model"] else 16
    elif {"avx2", "fma"} <= flags:
        fmas = 16
    else:
        fmas = 8
    ghz = (info["mhz"] or 0) / 1000
    peak = info["cores"] * fmas * 2 * ghz
    bf16 = peak * 2 if "avx512_bf16" in flags else None
    if "amx_bf16" in flags:
        bf16 = info["cores"] * 1024 * 2 * ghz  # AMX tiles: 1,024 bf16 FMAs per cycle per core
    return {
        **info,
        "fp32_fmas_per_cycle_per_core": fmas,
        "peak_fp32_gflops_estimate": round(peak, 1),
        "peak_bf16_gflops_estimate": round(bf16, 1) if bf16 else None,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
    }


def forward_flops(model, batch: int = 100) -> float:
    """Floating-point operations per input of one forward pass of ``model`` on ``batch`` inputs (traced without
    XLA), counted by TensorFlow's profiler from the graph's matrix products and convolutions; per-call costs
    (weight-normalisation statistics) are shared out over the batch.

    Steps are then counted from these with the usual rule that a backward pass costs twice its forward
    pass (gradients for the inputs and for the weights); profiling a whole training step instead counts the
    transposed convolutions' gradients at the wrong shapes (about 1.5x too many FLOPs for the DCGAN step).
    """
    from tensorflow.python.profiler import model_analyzer, option_builder

    spec = tf.TensorSpec([batch, *model.input_shape[1:]], tf.float32)
    graph = tf.function(lambda x: model(x, training=True)).get_concrete_function(spec).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return model_analyzer.profile(graph, options=options).total_float_ops / batch


def assert_compute_dtype(models, dtype: str) -> None:
    """Every layer with weights computes in ``dtype`` (a bf16 row really measures bf16), except each network's
    output layer, which the study keeps in float32 under a mixed policy (exact losses and images)."""
    for model in models:
        layers = [layer for layer in model._flatten_layers(include_self=False) if layer.weights]
        found = {layer.name: layer.compute_dtype for layer in layers[:-1]}
        wrong = {name: d for name, d in found.items() if d != dtype}
        assert not wrong, f"{model.name}: {wrong} compute otherwise than the variant's {dtype}"
        assert layers[-1].compute_dtype == "float32", f"{model.name}'s output layer is not float32"


def interleaved(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Every variant once per round, in the same order, ``rounds`` times: each returns steps per second."""
    rates = {name: [] for name in variants}
    for r in range(rounds):
        for name, run in variants.items():
            rates[name].append(run())
            print(f"round {r + 1}: {name}: {rates[name][-1]:.2f} steps/s", flush=True)
    return rates


def recount(name: str, flops_per_step: float) -> dict:
    """Recompute the FLOP columns of ``benchmarks/results/<name>.json`` from its measured rates (after a fix of
    the FLOP count; the timings are not touched)."""
    path = RESULTS_DIR / f"{name}.json"
    out = json.loads(path.read_text())
    peak = out["machine"]["peak_fp32_gflops_estimate"]
    for row in out["rows"]:
        row["gflop_per_step"] = round(flops_per_step / 1e9, 3)
        row["achieved_gflops"] = round(row["steps_per_second"] * flops_per_step / 1e9, 1)
        row["fraction_of_fp32_peak"] = round(row["achieved_gflops"] / peak, 3) if peak else None
        print(f"{row['variant']:46s} {row['achieved_gflops']:8.1f} GFLOP/s {row['fraction_of_fp32_peak']:8.1%}")
    out["flops_recounted"] = time.strftime("%Y-%m-%d %H:%M:%S")
    fileio.atomic_write_text(path, json.dumps(out, indent=1) + "\n")
    return out


def report(
    name: str,
    rates: dict,
    reference: str,
    flops_per_step: dict,
    per_step: int,
    unit: str,
    extra: dict,
    epoch_steps: int,
):
    """Print the table and write ``benchmarks/results/<name>.json``; best round per variant."""
    mach = machine()
    peak = mach["peak_fp32_gflops_estimate"]
    base = max(rates[reference])
    rows = []
    for variant, values in rates.items():
        best = max(values)
        gflops = best * flops_per_step[variant] / 1e9
        rows.append(
            {
                "variant": variant,
                "steps_per_second": round(best, 3),
                f"{unit}_per_second": round(best * per_step, 1),
                "vs_reference": round(best / base, 2),
                "seconds_per_epoch": round(epoch_steps / best, 1),
                "gflop_per_step": round(flops_per_step[variant] / 1e9, 3),
                "achieved_gflops": round(gflops, 1),
                "fraction_of_fp32_peak": round(gflops / peak, 3) if peak else None,
                "every_round_steps_per_second": [round(v, 3) for v in values],
            }
        )
    print(f"\n{mach['model']}, {mach['cores']} cores at {mach['mhz']} MHz, flags {', '.join(mach['flags'])}")
    print(f"estimated peak: FP32 {peak} GFLOP/s, bf16 {mach['peak_bf16_gflops_estimate']} GFLOP/s")
    print(f"{'variant':46s} {unit + '/s':>10s} {'vs ref':>7s} {'GFLOP/s':>8s} {'of peak':>8s} {'s/epoch':>8s}")
    for row in rows:
        frac = row["fraction_of_fp32_peak"]
        print(
            f"{row['variant']:46s} {row[f'{unit}_per_second']:10.1f} {row['vs_reference']:6.2f}x "
            f"{row['achieved_gflops']:8.1f} {frac:8.1%} {row['seconds_per_epoch']:8.1f}"
        )
    out = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": mach,
        "reference": reference,
        "epoch_steps": epoch_steps,
        "rows": rows,
        **extra,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    fileio.atomic_write_text(RESULTS_DIR / f"{name}.json", json.dumps(out, indent=1) + "\n")
    return out
