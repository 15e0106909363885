"""One self-contained HTML page of every executed notebook in notebooks/ (``make report``).

    python -m digitgan.tools.export [--out report/digitgan.html]

The committed notebooks are joined into one (each under its own heading, with a table of contents first) and
converted by nbconvert's HTML exporter: every figure is embedded as data (PNG, and the training GIF, animated),
so the page needs nothing beside it. It is written to the git-ignored ``report/`` folder.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from digitgan import config, utils

REPORT_PATH = config.PROJ_ROOT / "report" / "digitgan.html"
NOTEBOOKS = tuple(sorted(p.name for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")))


def _title(nb) -> str:
    first = nb.cells[0].source.splitlines()[0] if nb.cells else ""
    return first.lstrip("# ").strip() or "untitled"


def combined(notebooks: tuple[str, ...] = NOTEBOOKS, folder: Path = config.NOTEBOOKS_DIR):
    """The notebooks as one ``nbformat`` notebook: a contents list, then each notebook behind an anchor."""
    import nbformat

    parts = []
    for name in notebooks:
        path = Path(folder) / name
        if not path.is_file():
            raise FileNotFoundError(f"{config.shown(path)} is missing: restore it with `git checkout -- {name}`.")
        parts.append((name, nbformat.read(path, as_version=4)))
    toc = "\n".join(f"{i}. [{_title(nb)}](#{Path(name).stem})" for i, (name, nb) in enumerate(parts, 1))
    book = nbformat.v4.new_notebook(metadata=parts[0][1].metadata)
    book.cells.append(
        nbformat.v4.new_markdown_cell(
            "# digitgan: GANs for digit classification, the executed notebooks\n\n"
            f"{utils.versions()}\n\n## Contents\n\n{toc}"
        )
    )
    for name, nb in parts:
        book.cells.append(nbformat.v4.new_markdown_cell(f'<a id="{Path(name).stem}"></a>\n\n*notebooks/{name}*'))
        book.cells.extend(nb.cells)
    return book


def to_html(book) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", embed_images=True)
    html, _ = exporter.from_notebook_node(book)
    return html


def problems(html: str) -> list[str]:
    """What a self-contained page must not contain: object reprs instead of outputs, images by reference."""
    reprs = set(re.findall(r"&lt;[\w.]+ object(?: at 0x[0-9a-f]+)?&gt;|<[\w.]+ object(?: at 0x[0-9a-f]+)?>", html))
    found = [f"object repr {m!r}" for m in sorted(reprs)]
    found += [f"image not embedded: {src}" for src in re.findall(r'<img[^>]+src="(?!data:)([^"]+)"', html)]
    return found


def write_report(path: Path = REPORT_PATH) -> Path:
    html = to_html(combined())
    bad = problems(html)
    if bad:
        raise ValueError("The report would not be self-contained: " + "; ".join(bad) + ". Re-run those notebooks.")
    utils.atomic_write_text(Path(path), html)
    return Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPORT_PATH)
    args = parser.parse_args()
    path = write_report(args.out)
    html = path.read_text()
    print(
        f"{config.shown(path)}: {len(NOTEBOOKS)} notebooks, {html.count('data:image/png;base64')} PNG and "
        f"{html.count('data:image/gif;base64')} GIF images embedded, {path.stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
