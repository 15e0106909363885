"""``make report``: the study as one offline HTML page, its summary (from the record), then every notebook."""

import base64
import copy
import html as html_lib
import re
from collections import namedtuple
from pathlib import Path

import mistune
import nbformat
from nbconvert import HTMLExporter

from digitgan import config, fileio, utils
from digitgan.tools import report

REPORT_PATH = config.PROJ_ROOT / "report" / "index.html"
NOTEBOOKS = tuple(sorted(p.name for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")))
_TITLE = "digitgan: GANs for MNIST digit classification, reproduced"
FINDING_CHARS = 320  # a finding is the first line of a "What we found", and the second while both stay this short
Notebook = namedtuple("Notebook", "name title finding nb")  # finding: its headline, from the record


def headline(lines: list[str]) -> str:
    two = " ".join(lines[:2])
    return two if len(two) <= FINDING_CHARS else lines[0]


def _read_notebooks(notebooks: tuple[str, ...] = NOTEBOOKS, folder: Path = config.NOTEBOOKS_DIR) -> list[Notebook]:
    results, parts = fileio.load_results(config.COMMITTED_RESULTS_PATH), []
    for name in notebooks:
        nb = nbformat.read(Path(folder) / name, as_version=4)
        title = (nb.cells[0].source.splitlines()[0] if nb.cells else "").lstrip("# ").strip() or "untitled"
        parts.append(Notebook(name, title, headline(report.record_finding_lines(Path(name).stem, results)), nb))
    return parts


def _combined(parts: list[Notebook]):
    """The notebooks' copied cells as one notebook, each behind an anchor, every image described by its section."""
    book = nbformat.v4.new_notebook(metadata={**copy.deepcopy(parts[0].nb.metadata), "title": _TITLE})
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


def _png(file: str) -> dict:
    """A figure of figures/ as a data URI, and whether it is wide (by its header's width / height): a whole row."""
    png = (config.PROJ_ROOT / "figures" / file).read_bytes()
    wide = int.from_bytes(png[16:20], "big") / max(1, int.from_bytes(png[20:24], "big")) > 1.6
    return {"uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"), "wide": wide}


def _summary(parts: list[Notebook]) -> dict:
    """The template's summary: the README's verdicts, the tables, the findings (its key figures are the template's)."""
    results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
    verdicts = re.search(r"\n## In three lines\n(.*?)(?=\n## |\Z)", report.README.read_text(), re.S)[1]
    headlines = report.headlines_table(results)
    findings = [(p, re.sub(r"^<p>|</p>$", "", mistune.html(p.finding).strip())) for p in parts]  # no <p>: one line
    return {
        "title": _TITLE,
        "verdicts": mistune.html(verdicts.strip()),
        "results": mistune.html(report.results_table(results)),
        "headlines": mistune.html(headlines) if headlines.count("\n") > 1 else "",
        "notebooks": [dict(anchor=Path(p.name).stem, title=p.title, finding=f) for p, f in findings],
        "png": _png,
        "versions": utils.versions(),
    }


def problems(html: str) -> list[str]:
    """What a self-contained page must not hold: object reprs, images by reference, addresses outside the page a
    browser loads by itself (in tags, CSS ``url()``, ``@import``; not ``<a>``)."""
    reprs = set(re.findall(r"&lt;[\w.]+ object(?: at 0x[0-9a-f]+)?&gt;|<[\w.]+ object(?: at 0x[0-9a-f]+)?>", html))
    loads = r"""(?:\s(?:src|href|xlink:href|srcset|data|poster)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
    urls = set(re.findall(loads + r"""((?:https?:)?//[^"'\s>)]+)""", re.sub(r"<a\s[^>]*>", "", html), re.I))
    found = [f"object repr {m!r}" for m in sorted(reprs)]
    found += [f"image not embedded: {src}" for src in re.findall(r'<img[^>]+src="(?!data:)([^"]+)"', html)]
    return found + [f"loads from outside the page: {url}" for url in sorted(urls)]


def build() -> str:
    """The page's HTML; raises if it would not be self-contained."""
    parts, template = _read_notebooks(), str(Path(__file__).with_name("export.html.j2"))
    exporter = HTMLExporter(template_name="lab", template_file=template, embed_images=True)
    html, _ = exporter.from_notebook_node(_combined(parts), resources={"digitgan": _summary(parts)})
    if bad := problems(html):
        raise ValueError("The report would not be self-contained: " + "; ".join(bad) + ". Re-run those notebooks.")
    return html


def _write_report(path: Path = REPORT_PATH) -> Path:
    fileio.atomic_write_text(path := Path(path), build())
    return path


if __name__ == "__main__":
    path = _write_report()
    print(f"{config.shown(path)}: the results, then {len(NOTEBOOKS)} notebooks, {path.stat().st_size / 1e6:.1f} MB")
