"""``make report``: the study as one offline HTML page, its summary (from the record), then every notebook."""

from __future__ import annotations

import base64
import copy
import html as html_lib
import re
from collections import namedtuple
from pathlib import Path

from digitgan import config, fileio, utils
from digitgan.tools import report

REPORT_PATH = config.PROJ_ROOT / "report" / "index.html"
NOTEBOOKS = tuple(sorted(p.name for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")))
_TITLE = "digitgan: GANs for MNIST digit classification, reproduced"
FINDING_CHARS = 320  # a finding is the first line of a "What we found", and the second while both stay this short

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


Notebook = namedtuple("Notebook", "name title finding nb")  # finding: its headline, from the record


def headline(lines: list[str]) -> str:
    """The first line of a finding (and the second while both stay short)."""
    two = " ".join(lines[:2])
    return two if len(two) <= FINDING_CHARS else lines[0]


def read_notebooks(notebooks: tuple[str, ...] = NOTEBOOKS, folder: Path = config.NOTEBOOKS_DIR) -> list[Notebook]:
    import nbformat

    results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
    parts = []
    for name in notebooks:
        nb = nbformat.read(Path(folder) / name, as_version=4)
        title = (nb.cells[0].source.splitlines()[0] if nb.cells else "").lstrip("# ").strip() or "untitled"
        parts.append(Notebook(name, title, headline(report.record_finding_lines(Path(name).stem, results)), nb))
    return parts


def combined(parts: list[Notebook]):
    """The notebooks' copied cells as one notebook, each behind an anchor, every image described by its section."""
    import nbformat

    book = nbformat.v4.new_notebook(metadata=copy.deepcopy(parts[0].nb.metadata))
    book.metadata["title"] = _TITLE
    for part in parts:
        anchor = f'<div id="{Path(part.name).stem}" class="dg-notebook"></div>\n\n*notebooks/{part.name}*'
        book.cells.append(nbformat.v4.new_markdown_cell(f"{anchor} · [back to the summary](#summary)"))
        heading = ""
        for cell in copy.deepcopy(part.nb.cells):
            if cell.cell_type == "markdown":
                found = re.search(r"^#{1,6}\s+(.+)$", cell.source, re.M)
                heading = found.group(1).strip() if found else heading
            elif cell.cell_type == "code":
                alt = f"A figure of {part.title}" + (f", section “{heading}”" if heading else "")
                cell.metadata["digitgan_alt"] = alt  # for the template's PNGs; an <img> the notebook wrote gets it here
                tag = f'<img alt="{html_lib.escape(alt)}"'
                for data in (o["data"] for o in cell.get("outputs", []) if "text/html" in o.get("data", {})):
                    data["text/html"] = re.sub(r"<img(?![^>]*\balt=)", tag, data["text/html"])
            book.cells.append(cell)
    for i, cell in enumerate(book.cells):
        cell.id = f"c{i:04d}"
    return book


def _summary(parts: list[Notebook]) -> dict:
    """The template's summary: the README's verdicts, the tables, the findings and the key figures."""
    import mistune

    results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
    anchors = {p.name: Path(p.name).stem for p in parts}

    def inline(markdown: str) -> str:  # without its <p> tags
        return re.sub(r"^<p>(.*)</p>\s*$", r"\1", mistune.html(markdown).strip(), flags=re.S)

    figures = []
    for file, caption, notebook in KEY_FIGURES:
        png = (config.PROJ_ROOT / "figures" / file).read_bytes()  # wide (by its header's width / height): a whole row
        wide = int.from_bytes(png[16:20], "big") / max(1, int.from_bytes(png[20:24], "big")) > 1.6
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        figures.append(dict(uri=uri, caption=caption, anchor=anchors.get(notebook, ""), wide=wide))
    verdicts = re.search(r"\n## In three lines\n(.*?)(?=\n## |\Z)", report.README.read_text(), re.S)[1]
    headlines = report.headlines_table(results)
    return {
        "title": _TITLE,
        "verdicts": mistune.html(verdicts.strip()),
        "results": mistune.html(report.results_table(results)),
        "headlines": mistune.html(headlines) if headlines.count("\n") > 1 else "",
        "notebooks": [{"anchor": anchors[p.name], "title": p.title, "finding": inline(p.finding)} for p in parts],
        "figures": figures,
        "versions": utils.versions(),
    }


def external_resources(html: str) -> list[str]:
    """Every address outside the page a browser loads by itself (in tags, CSS ``url()``, ``@import``; not ``<a>``)."""
    loads = r"""(?:\s(?:src|href|xlink:href|srcset|data|poster)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
    return sorted(set(re.findall(loads + r"""((?:https?:)?//[^"'\s>)]+)""", re.sub(r"<a\s[^>]*>", "", html), re.I)))


def problems(html: str) -> list[str]:
    """What a self-contained page must not hold: object reprs, images by reference, outside loads."""
    reprs = set(re.findall(r"&lt;[\w.]+ object(?: at 0x[0-9a-f]+)?&gt;|<[\w.]+ object(?: at 0x[0-9a-f]+)?>", html))
    found = [f"object repr {m!r}" for m in sorted(reprs)]
    found += [f"image not embedded: {src}" for src in re.findall(r'<img[^>]+src="(?!data:)([^"]+)"', html)]
    return found + [f"loads from outside the page: {url}" for url in external_resources(html)]


def build() -> str:
    """The page's HTML; raises if it would not be self-contained."""
    from nbconvert import HTMLExporter

    parts = read_notebooks()
    template = str(Path(__file__).with_name("export.html.j2"))
    exporter = HTMLExporter(template_name="lab", template_file=template, embed_images=True)
    html, _ = exporter.from_notebook_node(combined(parts), resources={"digitgan": _summary(parts)})
    if bad := problems(html):
        raise ValueError("The report would not be self-contained: " + "; ".join(bad) + ". Re-run those notebooks.")
    return html


def write_report(path: Path = REPORT_PATH) -> Path:
    fileio.atomic_write_text(path := Path(path), build())
    return path


if __name__ == "__main__":
    path = write_report()
    print(f"{config.shown(path)}: the results, then {len(NOTEBOOKS)} notebooks, {path.stat().st_size / 1e6:.1f} MB")
