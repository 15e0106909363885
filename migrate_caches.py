"""One-off: convert the five JSON caches of the study into the run store (digitgan.store), values unchanged.

Each old entry's key is recomputed from its stored fields with the old key function first (so nothing is
converted on a guess), then stored under the hash of its full inputs, with the digests the old keys lacked."""
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np

from digitgan import config, conditional, data, gan, label_efficiency, longer_gan, protocols, quality, utils
from digitgan.store import Store, array_digest, weights_digest

CK = config.CHECKPOINT_DIR


def old_protocol_key(model, n, opt, lr, epochs, seed, augment, tag, recipe):
    changed = {k: v for k, v in recipe.items() if v != protocols.RECIPE_DEFAULTS[k]}
    fields = [model, n, opt, lr, epochs, seed, augment, config.PROTOCOL_VAL, tag]
    s = utils.dumps(fields + ([dict(sorted(changed.items()))] if changed else []))
    return f"{tag}/{model}/{n}/{opt}/{seed}/" + hashlib.sha256(s.encode()).hexdigest()[:8]


def load_gen(path):
    g = conditional.build_conditional_generator()
    utils.load_weights(g, path, "")
    return g


def convert_protocols(folder, extras_for_tag):
    old = json.loads((folder / "protocol_runs.json").read_text())
    store = Store(folder / "runs.json")
    assert not store.path.exists()
    for k, r in old.items():
        recipe = {**protocols.RECIPE_DEFAULTS, **{x: r[x] for x in protocols.RECIPE_DEFAULTS if x in r}}
        assert old_protocol_key(r["model"], r["n_train"], r["optimizer"], r["learning_rate"], r["epochs"], r["seed"],
                                r["augment"], r["data"], recipe) == k, k
        study = protocols.Study(r["n_train"], folder, tag=r["data"], inputs=extras_for_tag(r["data"]))
        inputs = study.inputs(r["model"], r["optimizer"], r["learning_rate"], r["epochs"], r["seed"], r["augment"],
                              **recipe)
        assert store.get(inputs) is None, k
        store.put(inputs, r)
    assert len(store.records()) == len(old)
    (folder / "protocol_runs.json").unlink()
    print(folder, len(old), "protocol runs")


def main():
    # 10
    convert_protocols(CK / "protocols", lambda tag: {})
    # 11
    gd = CK / "generated_digits"
    gens = {"cdcgan": load_gen(CK / "conditional_dcgan_generator.weights.h5"),
            "cdcgan-ms0.5": load_gen(CK / "conditional_dcgan_ms0.5_generator.weights.h5")}
    digits = {t: array_digest(*conditional.generate_labelled(g, config.N_TRAIN_FULL, seed=0)) for t, g in gens.items()}
    probes = {p["name"]: protocols_probe for p in config.GENERATED_PROBES
              for protocols_probe in [__import__("digitgan.generated", fromlist=["x"])._probe_settings(p)]}
    best = "real CNN agrees, dropout recipe, noise x 1.3"

    def extras(tag):
        if tag == "real":
            return {}
        gen_tag, arm = tag.split(": ", 1)
        if arm.endswith(f"({best})"):
            return {"generator_weights": weights_digest(gens[gen_tag]), "probe": probes[best],
                    "sizes": [config.SUBSET_SIZE, config.N_TRAIN_FULL]}
        return {"digits": digits[gen_tag]}

    convert_protocols(gd, extras)
    store = Store(gd / "runs.json")
    real = protocols.load_data(config.SUBSET_SIZE)
    old = json.loads((gd / "sample_probes.json").read_text())
    pat = re.compile(r"^(?P<tag>[^:]+): (?P<settings>\{.*\}), (?P<n>\d+) digits, seed (?P<seed>\d+), lr (?P<lr>[0-9.e-]+), "
                     r"(?P<ep>\d+) CNN epochs$")
    for k, r in old.items():
        m = pat.match(k)
        settings = json.loads(m["settings"])
        n, seed, lr, ep = int(m["n"]), int(m["seed"]), float(m["lr"]), int(m["ep"])
        assert f"{m['tag']}: {utils.dumps(settings, sort_keys=True)}, {n} digits, seed {seed}, lr {lr:g}, {ep} CNN epochs" == k
        inputs = {"part": "sample probe", "generator": m["tag"], "generator_weights": weights_digest(gens[m["tag"]]),
                  "probe": settings, "n": n, "seed": seed, "learning_rate": lr, "cnn_epochs": ep,
                  "n_train": len(real["x_train"]), "n_val": len(real["x_val"])}
        store.put(inputs, r)
    (gd / "sample_probes.json").unlink()
    old = json.loads((gd / "mode_seeking_probes.json").read_text())
    for k, r in old.items():
        w, ep, seed, n, lr, cep = r["mode_seeking"], r["gan_epochs"], 42, 10_000, 0.003, 15
        assert k == f"mode_seeking {w:g}, {ep} epochs, seed {seed}, {n} digits, lr {lr:g}, {cep} CNN epochs", k
        inputs = {"part": "mode-seeking probe", "mode_seeking": w, "gan_epochs": ep, "seed": seed, "n_generated": n,
                  "learning_rate": lr, "cnn_epochs": cep, "n_train": len(real["x_train"]), "n_val": len(real["x_val"])}
        store.put(inputs, r)
    (gd / "mode_seeking_probes.json").unlink()
    print(gd, len(store.records()), "records in all")
    # 07/08
    old = json.loads((CK / "label_efficiency_runs.json").read_text())
    store = Store(config.LABEL_EFFICIENCY_CACHE)
    assert not store.path.exists()
    for k, r in old.items():
        method, n, seed, digest = k.split("/")
        assert label_efficiency._digest(r["settings"]) == digest, k
        store.put(label_efficiency.run_inputs(method, int(n), int(seed), r["settings"]), r)
    assert len(store.records()) == len(old)
    (CK / "label_efficiency_runs.json").unlink()
    print(store.path, len(old))
    # 09
    lg = CK / "longer_gan"
    old = json.loads((lg / "longer_gan_runs.json").read_text())
    store = Store(lg / "runs.json")
    d = data.load_study_data(config.SUBSET_SIZE, config.SEED)
    judge = quality.train_judge(d["x_train"], d["y_train"], d["x_test"], d["y_test"], path=config.JUDGE_PATH)[0]
    common = longer_gan.stage_inputs(d["x_train"], judge, d["x_test"], config.GAN_EVAL_SAMPLES, config.SEED, 0)
    for k, r in old.items():
        if k.startswith("stage/"):
            store.put({**common, "epochs": int(k.split("/")[1])}, r)
        else:
            method, n, seed, digest = k.split("/")
            assert label_efficiency._digest(r["settings"]) == digest, k
            store.put(label_efficiency.run_inputs(method, int(n), int(seed), r["settings"]), r)
    assert len(store.records()) == len(old)
    (lg / "longer_gan_runs.json").unlink()
    print(store.path, len(old))


if __name__ == "__main__":
    main()
