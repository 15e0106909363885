"""README.md and docs/: every generated block equals what the committed results give now; the README reads in
five minutes (size, what its first screen holds, every notebook, the glossary); a bare `make` only lists targets."""

import re
import shutil
import subprocess

import pytest

from digitgan import config, fileio
from digitgan.tools import pages, report

README = report.README.read_text()


def committed_block(document, name: str) -> str:
    """The text between a document's ``<!-- name:start -->`` and ``<!-- name:end -->`` markers."""
    start, end = report._markers(name)
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), document.read_text(), re.S)
    assert match, f"{config.shown(document)} has no {start} ... {end} block"
    return match.group(1)


@pytest.mark.parametrize("document,name,generate", report.BLOCKS, ids=[f"{d.name}:{n}" for d, n, _ in report.BLOCKS])
def test_generated_blocks_match_the_committed_results(document, name, generate):
    if not config.COMMITTED_RESULTS_PATH.is_file():
        pytest.fail(f"{config.COMMITTED_RESULTS_PATH} is missing: run `make reproduce` and commit its results")
    expected = generate(fileio.load_results(config.COMMITTED_RESULTS_PATH))
    assert committed_block(document, name) == expected, (
        f"{config.shown(document)}'s {name} block is stale: run `python -m digitgan.tools.report`"
    )


def _outside_blocks(text: str) -> str:
    return re.sub(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", "", text, flags=re.S)


def test_readme_numbers_outside_the_tables_are_the_tables_numbers():
    generated = "\n".join(committed_block(report.README, n) for d, n, _ in report.BLOCKS if d == report.README)
    numbers = re.findall(r"\d\.\d{3,}", _outside_blocks(README))
    assert numbers, "the README's takeaway quotes no number"
    assert [n for n in numbers if n not in generated] == []


def test_readme_reads_at_a_glance():
    lines = README.splitlines()
    assert len(lines) <= 200 and len(README.encode()) <= 16_000  # the tables name each test and budget
    first = "\n".join(lines[:60])
    assert "![" in first and "make reproduce" in first and "make test" in first
    for name in report.QUESTIONS:
        assert f"notebooks/{name}.ipynb" in README
    glossary = README[README.index("## Words used here") :]
    for term in ("The judge", "Classifier score", "Fréchet distance", "Seeds and tests", "Train-on-generated"):
        assert f"**{term}:**" in glossary
    for page in re.findall(r"\]\((docs/[\w.-]+)\)", README):
        assert (config.PROJ_ROOT / page).is_file(), page


def test_documents_tell_no_history_of_the_work():
    for path in [report.README, *sorted(report.DOCS.glob("*.md"))]:
        text = path.read_text().lower()
        for phrase in (
            "this session",
            "next session",
            "earlier run",
            "as before",
            "we aimed",
            "this stop",
            "shared the",
            "no longer",
        ):
            assert phrase not in text, f"{path.name}: {phrase!r}"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_bare_make_lists_the_targets_and_creates_nothing(tmp_path):
    shutil.copy(config.PROJ_ROOT / "Makefile", tmp_path / "Makefile")
    out = subprocess.run(["make"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Makefile"]
    for target in ("reproduce", "test", "verify", "report", "help"):
        assert f"make {target} " in out


def test_table_rounds_as_shown():
    results = {"cnn": {"train_accuracy": 0.96594, "test_accuracy": 0.96366}}
    assert "| 0.9659 / 0.9637 |" in report.results_table(results)


def test_precision_table_shows_each_run_and_the_spread(tmp_path):
    import json

    runs = {
        f"{p}/seed{s}/epochs50": {
            "policy": p,
            "seed": s,
            "classifier_score": v + (s - 2) * spread,
            "frechet_distance": 100.0,
            "seconds_per_epoch": 20.0,
        }
        for p, v, spread in (("float32", 4.8, 0.1), ("mixed_bfloat16", 4.3, 0.12))
        for s in (1, 2, 3)
    }  # fmt: skip (seed by seed, bf16 minus float32: -0.52, -0.50, -0.48)

    def entry(v):
        spread = {"frechet_distance": {"mean": 100.0, "std": 1.0}, "seconds_per_epoch": {"mean": 20.0, "std": 0.5}}
        return {"n": 3, "classifier_score": {"mean": v, "std": 0.1}, **spread}

    summary = {"float32": entry(4.8), "mixed_bfloat16": entry(4.3)}
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"runs": runs, "summary": {**summary, "bf16_no_worse": False}}))
    table = pages.precision_table(path)
    assert table.count("| mixed_bfloat16 |") == 3 and "**4.80** ± 0.10" in table
    assert "bf16 minus float32: -0.5000 (95% CI" in table and "paired t-test p = 0.0005" in table  # the seeds pair


def _seeds(*values):
    import numpy as np

    return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "runs": len(values),
            "by_seed": {str(42 + i): v for i, v in enumerate(values)}, "val_mean": float(np.mean(values))}  # fmt: skip


def test_future_work_block_shows_every_seed_count_and_what_is_not_run():
    stage = {"classifier_score": 8.5, "frechet_distance": 40.0, "class_fractions": [0.1] * 10, "mode_collapse": False}
    longer = {
        "stages": {e: {**stage, "trial3": {"10000": _seeds(0.93, 0.94, 0.95)}} for e in ("25", "200")},
        "cnn": {"10000": _seeds(0.95, 0.96, 0.97)},
        "epoch_losses": {"g_loss": [1.0, 0.9, 0.8, 0.8], "d_loss": [1.2, 1.3, 1.3, 1.3]},
    }
    text = pages.future_work_findings({"future_work": {"longer_gan": longer}})
    assert "| 0.9400 ± 0.0100 (n = 3) / 0.9400 ± 0.0100 (n = 3) |" in text  # trial 3 after 25 / 200 epochs
    assert "| 0.9600 ± 0.0100 (n = 3) |" in text  # the CNN
    assert "**Generated digits (11, question 3).** Not run at full size yet." in text
    assert pages.future_work_findings({}) == "(not run yet: `make future`)"


def test_future_work_table_names_each_question_on_its_first_row_only():
    stage = {
        "classifier_score": 8.5,
        "frechet_distance": 40.0,
        "trial3": {n: _seeds(0.9, 0.91, 0.92) for n in ("1000", "10000")},
    }
    longer = {"stages": {"25": stage}, "cnn": {n: _seeds(0.95, 0.96, 0.97) for n in ("1000", "10000")}}
    rows = pages._future_work_table({"longer_gan": longer}).splitlines()[2:]
    questions = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert [q[:2] for q in questions] == ["1:", "", "", "", "4:"]  # 10k trial 3, CNN, 1k trial 3, CNN, losses


FILE_IN_BACKTICKS = re.compile(
    r"`((?:digitgan|notebooks|benchmarks|tests|docs|figures|logs|checkpoints)/[\w./-]+"
    r"\.(?:py|ipynb|md|json|log|png|h5))`"
)


def test_files_named_in_notebooks_and_docs_exist():
    import nbformat

    texts = {p.name: p.read_text() for p in (config.PROJ_ROOT / "docs").glob("*.md")}
    texts["README.md"] = (config.PROJ_ROOT / "README.md").read_text()
    for path in sorted((config.PROJ_ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, 4).cells
        texts[path.name] = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    named = {(name, m) for name, text in texts.items() for m in FILE_IN_BACKTICKS.findall(text)}
    assert any(name.endswith(".ipynb") for name, _ in named)  # the pattern finds what the notebooks name
    missing = [(name, m) for name, m in named if "*" not in m and not (config.PROJ_ROOT / m).exists()]
    assert not missing, missing


def test_updating_writes_only_the_documents_whose_blocks_changed(tmp_path, monkeypatch):
    copies = {}
    for document in {d for d, _, _ in report.BLOCKS}:
        copies[document] = tmp_path / document.name
        shutil.copy(document, copies[document])
    monkeypatch.setattr(report, "BLOCKS", [(copies[d], n, g) for d, n, g in report.BLOCKS])
    assert report._update_documents() == []  # the committed documents are current
    stale = copies[report.README]
    name = next(n for d, n, _ in report.BLOCKS if d == stale)
    current = committed_block(stale, name)
    stale.write_text(stale.read_text().replace(current, "| a stale | table |"))  # one block of the README
    assert report._update_documents() == [stale] and committed_block(stale, name) == current
    assert report._update_documents() == []


def test_a_block_without_its_end_marker_is_named_and_nothing_is_written(tmp_path, monkeypatch):
    copies = {document: tmp_path / document.name for document in {d for d, _, _ in report.BLOCKS}}
    for document, copy in copies.items():
        shutil.copy(document, copy)
    monkeypatch.setattr(report, "BLOCKS", [(copies[d], n, g) for d, n, g in report.BLOCKS])
    readme = copies[report.README]
    readme.write_text(readme.read_text().replace(report._markers("notebooks")[1], "") + "\nstale")
    before = {copy: copy.read_bytes() for copy in copies.values()}
    with pytest.raises(ValueError, match=r"README\.md has no <!-- notebooks:start --> \.\.\. <!-- notebooks:end -->"):
        report._update_documents()
    assert {copy: copy.read_bytes() for copy in copies.values()} == before
