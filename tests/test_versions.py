"""Every earlier version in docs/versions.md is read at its source: the numbers of a commit's results.json, or the
line of a committed log."""

import json
import re
import subprocess

import pytest

from digitgan import config
from digitgan.tools import pages


def _source_text(source: dict) -> str:
    if "log" in source:
        return (config.PROJ_ROOT / source["log"]).read_text()
    done = subprocess.run(["git", "show", f"{source['commit']}:{source['file']}"], cwd=config.PROJ_ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"commit {source['commit']} is not in this clone (a shallow clone?)")
    value = json.loads(done.stdout)
    for key in source["path"]:
        value = value[key]
    return json.dumps(value)


@pytest.mark.parametrize("entry", pages.EARLIER, ids=[e["result"] for e in pages.EARLIER])
def test_each_earlier_version_is_found_at_its_source(entry):
    text = _source_text(entry["source"])
    if "log" in entry["source"]:
        assert entry["source"]["text"] in text
        return
    recorded = json.loads(text)
    numbers = [float(x) for x in re.findall(r"\b0\.\d{4}\b", entry["numbers"])]
    assert numbers
    flat = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, int | float):
            flat.append(float(value))

    walk(recorded)
    for number in numbers:
        assert any(abs(number - x) < 0.00005 + 1e-12 for x in flat), f"{number} is not in {entry['source']}"


def test_the_versions_page_lists_every_version_of_the_record():
    results = json.loads(config.COMMITTED_RESULTS_PATH.read_text())
    table = pages.versions_block(results)
    assert table.count("\n") - 1 == len(pages.EARLIER) + len(results["label_efficiency"]["versions_tried"]) + len(
        results["future_work"]["protocols"]["versions_tried"]
    ) + ("cnn_matched_early" in results["label_efficiency"])
    assert "0.9739" in table and "0.9745 ± 0.0032" in table and "0.9838 ± 0.0006" in table
