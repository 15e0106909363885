"""XLA on or off is measured once per machine, cached, and can be forced."""

import json

from digitgan.tools import speed


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


def test_fit_rate_times_epochs_inside_one_call_leaving_out_the_first():
    """A model whose batches take 0.05 s, the first epoch's 0.3 s (standing in for tracing): 4 steps per epoch
    give about 20 steps/s, not what the first epoch or the whole call would say."""
    import time

    import keras
    import numpy as np
    import tensorflow as tf

    from digitgan.tools.speed import fit_rate

    class Slow(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.3 if self.epoch == 0 else 0.05)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    data = tf.data.Dataset.from_tensors((np.zeros((2, 3), "float32"), np.zeros((2, 1), "float32"))).repeat()
    rate = fit_rate(model, data, steps=4, callbacks=[Slow()])
    assert 14 < rate <= 20  # 4 steps / (4 x 0.05 s + the step itself)
    assert int(model.optimizer.iterations.numpy()) == 12  # 3 epochs of 4 steps in the one call
