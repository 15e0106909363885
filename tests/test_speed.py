"""XLA on or off is measured once per machine, cached, and can be forced."""

import json

from digitgan import speed


def test_choose_jit_measures_once_then_reads_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(speed.XLA_ENV, raising=False)
    calls = []

    def measure(jit):
        calls.append(jit)
        return 10.0 if jit else 12.0

    cache = tmp_path / "speed.json"
    assert speed.choose_jit("toy step", measure, cache) is False  # no XLA measured faster
    assert speed.choose_jit("toy step", measure, cache) is False
    assert calls == [False, True]
    [(key, entry)] = json.loads(cache.read_text()).items()
    assert key.startswith("toy step | ") and "TensorFlow" in key
    assert entry == {"jit_compile": False, "steps_per_second": {"xla": 10.0, "no_xla": 12.0}}
    assert speed.choose_jit("other step", lambda jit: 20.0 if jit else 12.0, cache) is True


def test_the_environment_overrides(tmp_path, monkeypatch):
    def never(jit):
        raise AssertionError("measured although forced")

    monkeypatch.setenv(speed.XLA_ENV, "1")
    assert speed.choose_jit("toy step", never, tmp_path / "speed.json") is True
    monkeypatch.setenv(speed.XLA_ENV, "0")
    assert speed.choose_jit("toy step", never, tmp_path / "speed.json") is False
    assert not (tmp_path / "speed.json").exists()


def test_cpu_info_reads_the_machine():
    info = speed.cpu_info()
    assert info["cores"] >= 1 and isinstance(info["model"], str) and info["model"]
    assert speed.has_bf16_hardware({"flags": ["avx2", "avx512_bf16"]}) and not speed.has_bf16_hardware({"flags": []})


def test_the_measured_steps_run_as_training_runs_them():
    """What choose_jit measures for the DCGAN (two epochs of a few steps) runs and gives a rate."""
    from digitgan import gan

    assert gan.measure_step(jit_compile=False, steps=3, batch=8) > 0
