"""precision="auto": bf16 only with bf16 hardware, quality evidence that it is no worse, and a faster step."""

import json

import pytest

from digitgan import config, gan
from digitgan.tools import speed

BF16_CPU = {"model": "test CPU", "cores": 2, "mhz": 2000.0, "flags": ["avx512_bf16", "avx512f"]}
PLAIN_CPU = {**BF16_CPU, "flags": ["avx2", "fma"]}


@pytest.fixture()
def study(tmp_path, monkeypatch):
    """A precision study file whose verdict each test sets."""
    path = tmp_path / "dcgan_precision.json"
    monkeypatch.setattr(config, "PRECISION_STUDY_PATH", path)
    monkeypatch.setattr(config, "SPEED_CHOICES_PATH", tmp_path / "speed_choices.json")
    monkeypatch.delenv(speed.XLA_ENV, raising=False)

    def write(no_worse):
        path.write_text(json.dumps({"summary": {"bf16_no_worse": no_worse}}))

    return write


def rates(fp32: float, bf16: float):
    return lambda jit, precision: {"float32": fp32, "mixed_bfloat16": bf16}[precision]


def test_explicit_precision_passes_through():
    assert gan.resolve_precision("float32")[0] == "float32"
    assert gan.resolve_precision("mixed_bfloat16")[0] == "mixed_bfloat16"


def test_auto_without_bf16_hardware_is_float32(study, monkeypatch):
    study(True)
    monkeypatch.setattr(speed, "cpu_info", lambda: PLAIN_CPU)
    choice, why = gan.resolve_precision("auto")
    assert choice == "float32" and "bf16" in why


def test_auto_without_quality_evidence_is_float32(study, monkeypatch):
    monkeypatch.setattr(speed, "cpu_info", lambda: BF16_CPU)
    monkeypatch.setattr(gan, "measure_step", rates(1.0, 2.0))
    study(False)
    assert gan.resolve_precision("auto")[0] == "float32"
    study(None)  # a study not finished: no verdict
    assert gan.resolve_precision("auto")[0] == "float32"


def test_auto_takes_bf16_only_when_it_measures_faster(study, monkeypatch, tmp_path):
    monkeypatch.setattr(speed, "cpu_info", lambda: BF16_CPU)
    study(True)
    monkeypatch.setattr(gan, "measure_step", rates(1.0, 2.0))
    assert gan.resolve_precision("auto")[0] == "mixed_bfloat16"
    monkeypatch.setattr(config, "SPEED_CHOICES_PATH", tmp_path / "other_machine.json")
    monkeypatch.setattr(gan, "measure_step", rates(2.0, 1.0))
    assert gan.resolve_precision("auto")[0] == "float32"


def test_auto_choice_is_measured_once_and_cached(study, monkeypatch):
    monkeypatch.setattr(speed, "cpu_info", lambda: BF16_CPU)
    study(True)
    calls = []

    def measure(jit, precision):
        calls.append(precision)
        return {"float32": 1.0, "mixed_bfloat16": 2.0}[precision]

    monkeypatch.setattr(gan, "measure_step", measure)
    gan.resolve_precision("auto")
    gan.resolve_precision("auto")
    assert sorted(calls) == ["float32", "mixed_bfloat16"]
    cached = json.loads(config.SPEED_CHOICES_PATH.read_text())
    assert [entry["choice"] for key, entry in cached.items() if key.startswith("DCGAN precision")] == ["mixed_bfloat16"]


def test_unknown_precision_is_refused_before_anything_is_built(tmp_path):
    with pytest.raises(ValueError, match="precision"):
        gan.train_gan(__import__("numpy").zeros((10, 28, 28, 1), "float32"), epochs=1, batch_size=5,
                      checkpoint_dir=tmp_path / "c", precision="float16")  # fmt: skip
    assert not (tmp_path / "c").exists()
