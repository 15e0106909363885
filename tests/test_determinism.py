"""Bit-for-bit repeatability: each training path (the CNN, the DCGAN, the semi-supervised GAN, the conditional
DCGAN) trained for a few steps in two separate processes ends with identical weights (the same CPU model and
thread count; across CPU models the study reports the seed spread instead)."""

import json
import subprocess
import sys
import textwrap

TRAIN = """
    import hashlib, json, sys
    from pathlib import Path
    import numpy as np
    from digitgan import gan, models, training, utils
    from digitgan.extensions import conditional, ssgan

    out = Path(sys.argv[1])
    rng = np.random.default_rng(0)  # fixed images in [-1, 1]: the same bits in both processes, without MNIST
    images = lambda n: rng.uniform(-1, 1, (n, 28, 28, 1)).astype("float32")
    d = {"x_train": images(200), "y_train": np.arange(200) % 10, "x_test": images(50), "y_test": np.arange(50) % 10}
    s = {**d, "x_train": d["x_train"][:20], "y_train": d["y_train"][:20], "x_unlabelled": images(300)}
    s |= {"x_val": d["x_test"], "y_val": d["y_test"]}

    def digest(model):
        h = hashlib.sha256()
        for w in model.get_weights():
            h.update(np.ascontiguousarray(w).tobytes())
        return h.hexdigest()

    def cnn():
        utils.set_seed(42)
        model = models.build_cnn()
        training.train_classifier(model, d, epochs=1, batch_size=50, verbose=0, seed=42)
        return model

    def dcgan():
        return gan.train_gan(d["x_train"], epochs=1, batch_size=100, checkpoint_dir=out / "dcgan", jit_compile=False,
                             verbose=0)[0]

    def semi_supervised():
        return ssgan.train_ssgan(s, epochs=1, checkpoint_dir=out / "ssgan", verbose=0, jit_compile=False)[0]

    def conditional_dcgan():
        return conditional.train_conditional(d["x_train"], d["y_train"], 1, out / "conditional")[0]

    paths = {"cnn": cnn, "dcgan": dcgan, "ssgan": semi_supervised, "conditional": conditional_dcgan}
    order = list(paths)[::-1] if sys.argv[2] == "reversed" else list(paths)
    digests = {name: digest(paths[name]()) for name in order}
    print(json.dumps({"digests": digests, "machine": utils.machine()}))
"""


def test_two_processes_train_identical_weights(tmp_path):
    """One process after the other trains the four paths (the CNN, the DCGAN, the SSGAN, the conditional DCGAN), the
    second in reverse order: each path seeds itself, whatever ran before it in the process."""
    started = []
    for i, order in enumerate(("forward", "reversed")):  # at the same time: neither waits for the other
        (tmp_path / str(i)).mkdir()
        command = [sys.executable, "-c", textwrap.dedent(TRAIN), str(tmp_path / str(i)), order]
        started.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    runs = []
    for process in started:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        runs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert runs[0]["machine"]["cpu"] and runs[0]["machine"] == runs[1]["machine"]
    assert list(runs[0]["digests"]) == ["cnn", "dcgan", "ssgan", "conditional"] == list(runs[1]["digests"])[::-1]
    differ = [path for path, digest in runs[0]["digests"].items() if runs[1]["digests"][path] != digest]
    assert differ == [], f"{differ}: the two processes trained different weights"
