"""The study as one self-contained, offline HTML page (``make report``).

    python -m digitgan.tools.export [--out report/index.html]

The page opens with the results: what the study is, the results table and the extensions' headlines (the README's
tables, from ``figures/results.json``), each notebook's finding (the first lines of its "What we found", written
from the study's record, ``figures/results.json``, never from a notebook's outputs) with a link to it, and the
figures that carry the study. Then every executed notebook in ``notebooks/`` follows under its own anchor, its
outputs and text as they are and its code folded away (click "code" to open a cell); a notebook whose outputs are
not the study's run is named on stderr with the command that restores it. Every image is embedded as data and
nothing is loaded from elsewhere (no scripts, styles or fonts from the web), so the page reads offline and can be
sent as it is. It is written to the git-ignored ``report/`` folder; ``make check-report`` opens it in headless
Chromium (``tests/browser_checks.py``).
"""

from __future__ import annotations

import argparse
import base64
import copy
import html as html_lib
import re
from dataclasses import dataclass
from pathlib import Path

from digitgan import config, fileio, utils
from digitgan.tools import report

REPORT_PATH = config.PROJ_ROOT / "report" / "index.html"
NOTEBOOKS = tuple(sorted(p.name for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")))
FIGURES_DIR = config.PROJ_ROOT / "figures"
TITLE = "digitgan: GANs for MNIST digit classification, reproduced"
FOUND_HEADING = "## What we found"
# A finding is the first line of a notebook's "What we found" (its headline sentence), and the second as well when
# both together stay this short.
FINDING_CHARS = 320

ABOUT = (
    "A reproduction of the report *CNN, GAN and Transfer Learning on Digits Classification* (Chenkuan Liu, 2020). "
    "A baseline CNN and a DCGAN are trained on the same 10,000 MNIST training images (drawn with seed 42); the "
    "GAN's discriminator then becomes a 10-way digit classifier in three transfer-learning and fine-tuning trials, "
    "compared with the CNN and with PCA + KNN (notebooks 01-06). Notebooks 07-11 go beyond the report: a "
    "semi-supervised GAN with 100 labels, the methods at 100, 1,000 and 10,000 labels, and the report's open "
    "questions (longer GAN training, more images and other optimisers, generated digits as training data). "
    "Accuracies are on all 10,000 MNIST test images unless a row says otherwise; every choice was made on a "
    "validation split of training images, and compared numbers over seeds are given as mean ± std with n."
)

# The figures that carry the study, each with what it shows: (file in figures/, caption, notebook).
KEY_FIGURES = (
    (
        "comparison_confusion_matrices.png",
        "The CNN and the three transferred discriminators on the 10,000 test images: each panel's title holds its "
        "test accuracy, the matrices show where each confuses digits.",
        "06_comparison.ipynb",
    ),
    (
        "dcgan_samples_100.png",
        "One hundred digits drawn by the DCGAN after its 50 epochs on the 10,000 training images.",
        "02_dcgan.ipynb",
    ),
    (
        "label_efficiency.png",
        "Test accuracy against the number of labelled images for every method (mean ± std over seeds): where GAN "
        "training pays off.",
        "08_label_efficiency.ipynb",
    ),
    (
        "longer_gan_accuracy.png",
        "Trial 3 on the discriminator after 25 to 200 GAN epochs, against the CNN trained on the same images "
        "(dashed line).",
        "09_longer_gan.ipynb",
    ),
    (
        "generated_digits.png",
        "A CNN trained on real digits, on real and generated digits, and on generated digits alone, tested on "
        "real test digits.",
        "11_generated_digits.ipynb",
    ),
)

# The page's template: nbconvert's "lab" template without its scripts from the web (require.js, MathJax, mermaid),
# with the summary first, code cells folded and every image described.
_TEMPLATE_NAME = "digitgan_report.html.j2"
_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}
<style type="text/css">
main { max-width: 1200px; margin: 0 auto; }
.dg-summary { padding: 0 var(--jp-notebook-padding, 10px) 1em; }
.dg-summary h1 { margin-top: 0.6em; }
#summary table { margin: 0.5em 0 1em; }
#summary td, #summary th { vertical-align: top; text-align: left; }
.dg-findings li { margin-bottom: 0.4em; }
.dg-figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(480px, 100%), 1fr)); gap: 1.2em; }
.dg-figures figure { margin: 0; }
.dg-figures figure.dg-wide { grid-column: 1 / -1; }
.dg-figures img { max-width: 100%; height: auto; }
.dg-figures figcaption { font-size: 0.9em; color: var(--jp-content-font-color2, #555); }
/* a phone's width (390 px): images shrink to the page, wide tables and text scroll inside their own box */
.jp-OutputArea-output img, .jp-RenderedHTMLCommon img { max-width: 100%; height: auto; }
#summary table, .jp-RenderedHTMLCommon table, .jp-OutputArea-output pre { display: block; max-width: 100%;
  overflow-x: auto; }
.dg-notebook { border-top: 3px solid var(--jp-border-color1, #ccc); margin-top: 2em; padding-top: 0.5em; }
details.dg-code > summary { cursor: pointer; color: var(--jp-content-font-color2, #555);
  font-family: var(--jp-code-font-family, monospace); font-size: 0.85em; padding: 2px 0 2px 64px; }
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.digitgan_summary }}
{%- endblock body_header -%}
{% block input_group -%}
<details class="dg-code"><summary>code</summary>
{{ super() }}
</details>
{%- endblock input_group %}
{% block data_png scoped %}
{{ super() | replace('<img ', '<img alt="' ~ (cell.metadata.get('digitgan_alt', 'a figure') | escape_html) ~ '" ', 1) }}
{% endblock data_png %}
"""


@dataclass(frozen=True)
class Notebook:
    name: str  # 01_cnn_baseline.ipynb
    title: str  # its first heading
    finding: str  # the first lines of its "What we found" (Markdown)
    nb: object  # the nbformat notebook, as committed

    @property
    def anchor(self) -> str:
        return Path(self.name).stem


def _title(nb) -> str:
    first = nb.cells[0].source.splitlines()[0] if nb.cells else ""
    return first.lstrip("# ").strip() or "untitled"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def headline(lines: list[str]) -> str:
    """The first line of a finding (and the second while both stay short)."""
    two = " ".join(lines[:2])
    return two if len(two) <= FINDING_CHARS else lines[0]


def finding_lines(nb, name: str = "the notebook") -> list[str]:
    """The lines of the Markdown output under the notebook's "## What we found"."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(FOUND_HEADING):
            code = next((c for c in nb.cells[i + 1 :] if c.cell_type == "code"), None)
            for output in code.get("outputs", []) if code else []:
                text = _text(output.get("data", {}).get("text/markdown", "")).strip()
                if text:
                    return [line.strip() for line in text.splitlines() if line.strip()]
            break
    raise ValueError(
        f"{name} has no output under {FOUND_HEADING!r}: run it again (`make reproduce`, `make extensions` or "
        "`make future`) so that its finding is in the notebook."
    )


def scratch_outputs(nb, name: str, results: dict) -> str | None:
    """Why a committed notebook does not show the study's run (its outputs are a scratch run's, saved from Jupyter,
    or its finding is not the record's), with the one command that restores it; None if it does."""
    texts = [_text(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    stem = Path(name).stem
    if any(t.startswith("Scratch run (") for t in texts):
        why = "holds a scratch run's outputs"
    else:
        try:
            why = None if finding_lines(nb, name) == report.record_finding_lines(stem, results) else (
                "holds a finding that is not the study's record")  # fmt: skip
        except ValueError:
            why = "has no finding"
    return why and f"notebooks/{name} {why}: restore it with `git checkout -- notebooks/{name}`"


def read_notebooks(notebooks: tuple[str, ...] = NOTEBOOKS, folder: Path = config.NOTEBOOKS_DIR) -> list[Notebook]:
    """The notebooks, each with its finding from the record; a notebook that shows no study run is named on stderr
    with the command that restores it (its pages show what it holds)."""
    import sys

    import nbformat

    results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
    parts = []
    for name in notebooks:
        path = Path(folder) / name
        if not path.is_file():
            raise FileNotFoundError(f"{config.shown(path)} is missing: restore it with `git checkout -- {name}`.")
        nb = nbformat.read(path, as_version=4)
        problem = scratch_outputs(nb, name, results)
        if problem:
            print(problem, file=sys.stderr)
        parts.append(Notebook(name, _title(nb), headline(report.record_finding_lines(Path(name).stem, results)), nb))
    return parts


def _alt(title: str, heading: str) -> str:
    return f"A figure of {title}" + (f", section “{heading}”" if heading else "")


def combined(notebooks: tuple[str, ...] = NOTEBOOKS, folder: Path = config.NOTEBOOKS_DIR, parts=None):
    """The notebooks as one ``nbformat`` notebook, each behind an anchor named after it. The cells are copies with
    fresh ids, numbered through the page (ids are unique within a notebook, not across them), and every image output
    carries a description (its notebook and section); the committed notebooks are not changed."""
    import nbformat

    parts = parts if parts is not None else read_notebooks(notebooks, folder)
    book = nbformat.v4.new_notebook(metadata=copy.deepcopy(parts[0].nb.metadata))
    book.metadata["title"] = TITLE
    for part in parts:
        book.cells.append(
            nbformat.v4.new_markdown_cell(
                f'<div id="{part.anchor}" class="dg-notebook"></div>\n\n'
                f"*notebooks/{part.name}* · [back to the summary](#summary)"
            )
        )
        heading = ""
        for cell in part.nb.cells:
            cell = copy.deepcopy(cell)
            if cell.cell_type == "markdown":
                found = re.search(r"^#{1,6}\s+(.+)$", cell.source, re.M)
                heading = found.group(1).strip() if found else heading
            alt = _alt(part.title, heading)
            if cell.cell_type == "code":
                cell.metadata["digitgan_alt"] = alt
                for output in cell.get("outputs", []):
                    data = output.get("data", {})
                    if "text/html" in data:  # an <img> the notebook wrote itself (the training GIF)
                        data["text/html"] = re.sub(
                            r"<img(?![^>]*\balt=)", f'<img alt="{html_lib.escape(alt)}"', _text(data["text/html"])
                        )
            book.cells.append(cell)
    for i, cell in enumerate(book.cells):
        cell.id = f"c{i:04d}"
    return book


def _markdown(text: str) -> str:
    import mistune

    return mistune.html(text)


def _inline(text: str) -> str:
    """Markdown of one paragraph, without the paragraph tags."""
    return re.sub(r"^<p>(.*)</p>\s*$", r"\1", _markdown(text).strip(), flags=re.S)


def _data_uri(path: Path) -> str:
    kind = {"png": "image/png", "gif": "image/gif", "jpg": "image/jpeg", "jpeg": "image/jpeg"}[path.suffix[1:]]
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _aspect(path: Path) -> float:
    """Width / height of a PNG, from its header."""
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big") / max(1, int.from_bytes(head[20:24], "big"))


VERDICTS_HEADING = "In three lines"  # the README's section of the study's verdicts, shown first


def readme_section(heading: str, readme: Path = report.README) -> str:
    """The text of the README's ``## heading`` section (one source for both pages)."""
    text, marker = Path(readme).read_text(), f"\n## {heading}\n"
    start = text.index(marker) + len(marker)
    end = text.find("\n## ", start)
    return text[start : end if end >= 0 else None].strip()


def summary_html(parts: list[Notebook], results: dict | None = None, figures_dir: Path = FIGURES_DIR) -> str:
    """The page's first part: what the study is, its results, each notebook's finding and the key figures."""
    results = results if results is not None else fileio.load_results(config.COMMITTED_RESULTS_PATH)
    titles = {p.name: p for p in parts}
    found = "\n".join(
        f'<li><a href="#{p.anchor}"><strong>{html_lib.escape(p.title)}</strong></a>: {_inline(p.finding)}</li>'
        for p in parts
    )
    figures = []
    for file, caption, notebook in KEY_FIGURES:
        path = Path(figures_dir) / file
        if not path.is_file():
            raise FileNotFoundError(f"{config.shown(path)} is missing: run {notebook} again or restore it with git.")
        link = f' (<a href="#{Path(notebook).stem}">{notebook[:2]}</a>)' if notebook in titles else ""
        wide = ' class="dg-wide"' if _aspect(path) > 1.6 else ""  # a wide figure takes the whole row
        figures.append(
            f'<figure{wide}><img src="{_data_uri(path)}" alt="{html_lib.escape(caption)}">'
            f"<figcaption>{html_lib.escape(caption)}{link}</figcaption></figure>"
        )
    sections = [
        '<div id="summary" class="jp-RenderedHTMLCommon dg-summary">',
        f"<h1>{html_lib.escape(TITLE)}</h1>",
        _markdown(ABOUT),
        "<h2>In three lines</h2>",
        _markdown(readme_section(VERDICTS_HEADING)),
        "<h2>Results</h2>",
        _markdown(report.results_table(results)),
    ]
    headlines = report.headlines_table(results)
    if headlines.count("\n") > 1:
        sections += [
            "<h2>Headlines of notebooks 07-11</h2>",
            "<p>Each extension's key number, what it is compared with, and the t-test of the two over seeds.</p>",
            _markdown(headlines),
        ]
    sections += [
        "<h2>What each notebook found</h2>",
        "<p>The first lines of each notebook's “What we found”, written from the numbers of its run; the title "
        "links to the notebook below.</p>",
        f'<ol class="dg-findings">{found}</ol>',
        "<h2>Key figures</h2>",
        f'<div class="dg-figures">{"".join(figures)}</div>',
        f"<p><small>{html_lib.escape(utils.versions())}</small></p>",
        "<h2>The notebooks</h2>",
        "<p>Each executed notebook follows, with its outputs and text as they are; its code is folded away "
        "(open a cell with “code”).</p>",
        "</div>",
    ]
    return "\n".join(sections)


def to_html(book, summary: str = "") -> str:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        embed_images=True,
    )
    html, _ = exporter.from_notebook_node(book, resources={"digitgan_summary": summary})
    return html


_RESOURCE_TAGS = "script|link|img|image|iframe|frame|source|video|audio|track|embed|object|use|input"
_EXTERNAL = r"(?:https?:)?//"


def external_resources(html: str) -> list[str]:
    """Every address outside the page that a browser would load by itself: scripts, styles, fonts, images, frames
    (``src``, ``href``, ``srcset``, ``data``, ``poster`` of those tags, CSS ``url()`` and ``@import``). Links a
    reader may follow (``<a href>``) are not loads."""
    found = []
    for tag in re.finditer(rf"<(?:{_RESOURCE_TAGS})\b[^>]*>", html, re.I):
        for value in re.findall(
            r"""\s(?:src|href|xlink:href|srcset|data|poster)\s*=\s*["']?([^"'\s>]+)""", tag.group(0), re.I
        ):
            if re.match(_EXTERNAL, value, re.I):
                found.append(value)
    found += re.findall(rf"""url\(\s*["']?({_EXTERNAL}[^"')\s]+)""", html, re.I)
    found += re.findall(rf"""@import\s+["']({_EXTERNAL}[^"']+)""", html, re.I)
    return sorted(set(found))


def problems(html: str) -> list[str]:
    """What a self-contained, offline page must not contain: object reprs instead of outputs, images by
    reference, anything loaded from outside the page."""
    reprs = set(re.findall(r"&lt;[\w.]+ object(?: at 0x[0-9a-f]+)?&gt;|<[\w.]+ object(?: at 0x[0-9a-f]+)?>", html))
    found = [f"object repr {m!r}" for m in sorted(reprs)]
    found += [f"image not embedded: {src}" for src in re.findall(r'<img[^>]+src="(?!data:)([^"]+)"', html)]
    found += [f"loads from outside the page: {url}" for url in external_resources(html)]
    return found


def build(notebooks: tuple[str, ...] = NOTEBOOKS, folder: Path = config.NOTEBOOKS_DIR) -> str:
    """The page's HTML; raises if it would not be self-contained."""
    parts = read_notebooks(notebooks, folder)
    html = to_html(combined(parts=parts), summary_html(parts))
    bad = problems(html)
    if bad:
        raise ValueError("The report would not be self-contained: " + "; ".join(bad) + ". Re-run those notebooks.")
    return html


def write_report(path: Path = REPORT_PATH) -> Path:
    fileio.atomic_write_text(Path(path), build())
    return Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPORT_PATH)
    args = parser.parse_args()
    path = write_report(args.out)
    html = path.read_text()
    print(
        f"{config.shown(path)}: the results, then {len(NOTEBOOKS)} notebooks; {html.count('data:image/png;base64')} "
        f"PNG and {html.count('data:image/gif;base64')} GIF images embedded, nothing loaded from outside the page, "
        f"{path.stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
