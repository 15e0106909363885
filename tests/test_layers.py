"""The package's layers (digitgan/README.md): the core never imports the extensions or the tools, the extensions
never import the tools, and the core stays at most CORE_MAX_FILES files. Read with ``ast`` (nothing is imported),
so every import counts: at the top of a module or inside a function."""

import ast
from pathlib import Path

from digitgan import config

PACKAGE = config.PROJ_ROOT / "digitgan"
CORE_MAX_FILES = 18  # digitgan/*.py, __init__.py included


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` for every module that ``path`` imports, anywhere in it; ``from a import b`` counts as
    ``a.b`` (``b`` may be a module) and relative imports are resolved against the file's package."""
    package = ".".join(path.relative_to(config.PROJ_ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def forbidden_imports(files, layers: tuple[str, ...]) -> list[str]:
    """``file:line imports module`` for every import in ``files`` of one of ``layers`` (or of a module in one)."""
    return [
        f"{path.relative_to(config.PROJ_ROOT)}:{line} imports {module}"
        for path in sorted(files)
        for line, module in imported_modules(path)
        if any(module == layer or module.startswith(f"{layer}.") for layer in layers)
    ]


def test_the_core_imports_neither_the_extensions_nor_the_tools():
    assert forbidden_imports(PACKAGE.glob("*.py"), ("digitgan.extensions", "digitgan.tools")) == []


def test_the_extensions_do_not_import_the_tools():
    assert forbidden_imports((PACKAGE / "extensions").glob("*.py"), ("digitgan.tools",)) == []


def test_the_core_stays_small():
    core = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(core) <= CORE_MAX_FILES, f"{len(core)} modules in digitgan/: {core}"


def test_the_check_finds_every_kind_of_import(tmp_path, monkeypatch):
    """The helper sees top-level, function-local, ``from`` and relative imports (so the tests above can fail)."""
    folder = tmp_path / "digitgan"
    folder.mkdir()
    module = folder / "core.py"
    module.write_text(
        "import os\n"
        "from digitgan import config\n"
        "import digitgan.tools.report\n"
        "def f():\n"
        "    from digitgan.extensions import ssgan\n"
        "    from .tools import export\n"
        "    from . import extensions\n"
    )
    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    assert forbidden_imports([module], ("digitgan.extensions", "digitgan.tools")) == [
        "digitgan/core.py:3 imports digitgan.tools.report",
        "digitgan/core.py:5 imports digitgan.extensions.ssgan",
        "digitgan/core.py:6 imports digitgan.tools.export",
        "digitgan/core.py:7 imports digitgan.extensions",
    ]
