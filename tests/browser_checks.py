"""Two checks in a real browser, headless Chromium driven by playwright (run by hand: CI has no browser).

    python tests/browser_checks.py report          # make check-report
    python tests/browser_checks.py jupyter-save    # make check-jupyter-save

``report`` opens ``report/index.html`` (``make report``), records every request the page makes and fails on any
outside the file (not ``file:`` or ``data:``); it saves screenshots under ``report/screenshots/`` (the first screen
at 1280x800, the next screens, the whole page) and fails unless the CNN's test accuracy is on the first screen.

``jupyter-save`` copies ``notebooks/*.ipynb`` to a temporary folder, starts JupyterLab on it, opens each notebook in
Chromium, waits for its kernel, saves it (Ctrl+S) without running anything, stops the server and compares each saved
file byte for byte with the committed one; it prints what changed (the first differences by JSON key) and fails if
any file did. The repository is never written.

Chromium is Debian's (``/usr/bin/chromium``; no browser is downloaded).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from digitgan import config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}  # a phone's screen: the page must not scroll sideways there
REPORT = config.PROJ_ROOT / "report" / "index.html"
SCREENSHOTS = config.PROJ_ROOT / "report" / "screenshots"
SCREENS = 4  # the first screen and the next three
FULL_PAGE_MAX_PX = 16_000  # Chromium's largest texture: a taller full-page shot is cut or blank
LOCAL_SCHEMES = ("file", "data")


class BrowserCheckError(RuntimeError):
    pass


def _launch(playwright):
    """Debian's Chromium, headless; playwright gives every launch a fresh, empty user-data directory."""
    if not CHROMIUM.is_file():
        raise BrowserCheckError(
            f"{CHROMIUM} is missing: install Debian's Chromium (`sudo apt install chromium`); these checks never "
            "download a browser."
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


# --- make check-report -----------------------------------------------------------------------------------------

_VISIBLE_TEXT = """(needle) => {
  // every occurrence of the text that is rendered inside the first viewport (not in a closed <details>)
  const hits = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let at = node.data.indexOf(needle);
    while (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      for (const r of range.getClientRects()) {
        if (r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0
            && r.left < window.innerWidth) {
          hits.push({top: Math.round(r.top), left: Math.round(r.left),
                     context: node.parentElement.closest('td,li,p,h1,h2,figcaption')?.innerText.slice(0, 120)});
        }
      }
      at = node.data.indexOf(needle, at + 1);
    }
  }
  return hits;
}"""


def headline() -> str:
    """The CNN's test accuracy as the results table writes it."""
    results = json.loads(config.COMMITTED_RESULTS_PATH.read_text())
    return f"{results['cnn']['test_accuracy']:.4f}"


def check_report(report: Path = REPORT, screenshots: Path = SCREENSHOTS) -> list[str]:
    """Open the report, print what it loaded and where the headline is; returns the failures (empty: passed)."""
    from playwright.sync_api import sync_playwright

    report = Path(report).resolve()
    if not report.is_file():
        raise BrowserCheckError(f"{config.shown(report)} is missing: write it with `make report`.")
    screenshots.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_load_state("networkidle")
            height = page.evaluate("document.documentElement.scrollHeight")
            needle = headline()
            hits = page.evaluate(_VISIBLE_TEXT, needle)
            written = [screenshots / "first_screen.png"]
            page.screenshot(path=written[0])
            for i in range(1, SCREENS):
                if i * VIEWPORT["height"] >= height:
                    break
                page.evaluate(f"window.scrollTo(0, {i * VIEWPORT['height']})")
                written.append(screenshots / f"screen_{i + 1}.png")
                page.screenshot(path=written[-1])
            first = page.query_selector(".dg-notebook")  # where the notebooks begin: code folded, outputs shown
            if first:
                page.evaluate("window.scrollTo(0, document.querySelector('.dg-notebook').offsetTop)")
                written.append(screenshots / "first_notebook.png")
                page.screenshot(path=written[-1])
            page.evaluate("window.scrollTo(0, 0)")
            if height <= FULL_PAGE_MAX_PX:
                written.append(screenshots / "full_page.png")
                page.screenshot(path=written[-1], full_page=True)
            phone = browser.new_page(viewport=PHONE)
            phone.goto(report.as_uri(), wait_until="load")
            phone_width = phone.evaluate("document.documentElement.scrollWidth")
            written.append(screenshots / "phone_first_screen.png")
            phone.screenshot(path=written[-1])
            first = phone.query_selector(".dg-notebook")
            if first:
                phone.evaluate("window.scrollTo(0, document.querySelector('.dg-notebook').offsetTop)")
                written.append(screenshots / "phone_first_notebook.png")
                phone.screenshot(path=written[-1])
        finally:
            browser.close()
    schemes: dict[str, int] = {}
    for url in requests:
        scheme = url.split(":", 1)[0]
        schemes[scheme] = schemes.get(scheme, 0) + 1
    external = [url for url in requests if url.split(":", 1)[0] not in LOCAL_SCHEMES]
    print(f"{config.shown(report)} in headless Chromium at {VIEWPORT['width']}x{VIEWPORT['height']}:")
    print(f"  page height: {height:,} px ({height / VIEWPORT['height']:.1f} screens)")
    print("  requests: " + (", ".join(f"{n} {s}:" for s, n in sorted(schemes.items())) or "none"))
    print(f"  external requests: {len(external)}")
    for url in external:
        print(f"    {url[:160]}")
    print("  screenshots: " + ", ".join(config.shown(path) for path in written))
    if height > FULL_PAGE_MAX_PX:
        print(f"  (no full-page screenshot: the page is taller than {FULL_PAGE_MAX_PX:,} px)")
    if hits:
        print(f"  {needle} (the CNN's test accuracy) on the first screen: yes, {len(hits)} time(s), first at "
              f"y = {hits[0]['top']} px: {hits[0]['context']!r}")  # fmt: skip
    else:
        print(f"  {needle} (the CNN's test accuracy) on the first screen: NO")
    print(f"  at {PHONE['width']} px wide (a phone): the page is {phone_width} px wide")
    failures = [f"the page requested {url}" for url in external]
    if phone_width > PHONE["width"]:
        failures.append(f"at {PHONE['width']} px the page scrolls sideways ({phone_width} px wide)")
    if not hits:
        failures.append(f"the CNN's test accuracy ({needle}) is not on the first screen")
    return failures


# --- make check-jupyter-save -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _wait(condition, timeout: float, what: str, every: float = 0.25):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(every)
    raise BrowserCheckError(f"timed out after {timeout:.0f} s waiting for {what}")


def _start_lab(root: Path, scratch: Path) -> tuple[subprocess.Popen, str, str]:
    """JupyterLab on ``root``, its own settings, workspaces and runtime folders in ``scratch`` (the user's own
    Jupyter configuration could change what a save writes); the kernels are the environment's (``make setup``)."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name, folder in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[name] = str(scratch / folder)
    jupyter = Path(sys.executable).with_name("jupyter")
    log = open(scratch / "jupyter.log", "w")  # the server's output, shown if it fails to start
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            f"--IdentityProvider.token={token}",
            "--ServerApp.ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--notebook-dir={root}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # containers run as root
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def started():
        if server.poll() is not None:
            raise BrowserCheckError("the server exited")
        return _api(base, token, "/api/status")

    try:
        _wait(started, 120, "JupyterLab to start")
    except BrowserCheckError:
        server.terminate()
        raise BrowserCheckError("JupyterLab did not start:\n" + (scratch / "jupyter.log").read_text()[-2000:]) from None
    return server, base, token


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _kernel_idle(base: str, token: str, path: str) -> dict | None:
    for session in _api(base, token, "/api/sessions"):
        if session.get("path") == path and (session.get("kernel") or {}).get("execution_state") == "idle":
            return session
    return None


def save_in_jupyterlab(folder: Path, names: list[str], scratch: Path, timeout: float = 90) -> dict[str, str]:
    """Open each notebook of ``folder`` in JupyterLab, wait for its kernel, save it; returns each notebook's state
    ("saved", or what went wrong)."""
    from playwright.sync_api import sync_playwright

    server, base, token = _start_lab(folder, scratch)
    states = {}
    try:
        with sync_playwright() as p:
            browser = _launch(p)
            try:
                context = browser.new_context(viewport=VIEWPORT)
                for name in names:
                    path = folder / name
                    old = time.time() - 86_400
                    os.utime(path, (old, old))  # a save shows as a newer modification time
                    before = path.stat().st_mtime_ns
                    page = context.new_page()
                    try:
                        page.goto(f"{base}/lab/tree/{name}?reset&token={token}", wait_until="domcontentloaded")
                        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout * 1000)
                        _wait(lambda name=name: _kernel_idle(base, token, name), timeout, f"{name}'s kernel")
                        page.wait_for_timeout(1500)  # let the page take in the kernel's info (its kernelspec)
                        page.click(".jp-NotebookPanel .jp-Notebook", position={"x": 5, "y": 5})
                        page.keyboard.press("Control+s")
                        _wait(lambda f=path, t=before: f.stat().st_mtime_ns != t, timeout, f"{name} to be saved")
                        _wait(lambda pg=page: not pg.locator(".jp-mod-dirty").count(), 30, f"{name} to be marked saved")
                        states[name] = "saved"
                    except Exception as error:  # reported per notebook
                        states[name] = f"not saved: {str(error).splitlines()[0]}"
                    finally:
                        page.close()
                        for session in _api(base, token, "/api/sessions"):
                            _api(base, token, f"/api/sessions/{session['id']}", method="DELETE")
            finally:
                browser.close()
    finally:
        _stop(server)
    return states


def _short(value, chars: int = 90) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= chars else text[:chars] + "…"


def _paths(a, b, at: str = "") -> list[str]:
    """Where two JSON values differ: one line per differing key path (values shortened), key order included."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            if key not in b:
                out.append(f"{at}/{key}: removed (was {_short(a[key])})")
            elif key not in a:
                out.append(f"{at}/{key}: added {_short(b[key])}")
            else:
                out += _paths(a[key], b[key], f"{at}/{key}")
        if not out and list(a) != list(b):
            out.append(f"{at or '/'}: key order {list(a)} -> {list(b)}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{at}: {len(a)} items -> {len(b)}"]
        return [line for i, (x, y) in enumerate(zip(a, b, strict=True)) for line in _paths(x, y, f"{at}/{i}")]
    return [] if a == b and type(a) is type(b) else [f"{at}: {_short(a)} -> {_short(b)}"]


def describe_change(committed: bytes, saved: bytes, limit: int = 8) -> list[str]:
    """What a save changed: the JSON key paths that differ, else the formatting (indent, escapes, final newline)
    with the first differing line."""
    import difflib

    lines = _paths(json.loads(committed), json.loads(saved))
    ends = [text.endswith(b"\n") for text in (committed, saved)]
    if ends[0] != ends[1]:
        lines.append(f"final newline: {ends[0]} -> {ends[1]}")
    if not lines or len(lines) < limit:
        a, b = committed.decode().splitlines(), saved.decode().splitlines()
        for line in difflib.unified_diff(a, b, "committed", "saved", n=1, lineterm=""):
            if line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
                lines.append(f"text {line[:140]}")
                if sum(x.startswith("text ") for x in lines) >= 4:
                    break
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def check_jupyter_save(notebooks_dir: Path = config.NOTEBOOKS_DIR) -> list[str]:
    """Returns the failures (empty: every notebook saved unchanged)."""
    names = sorted(p.name for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="digitgan-jupyter-save-") as tmp:
        folder, scratch = Path(tmp) / "notebooks", Path(tmp) / "jupyter"
        folder.mkdir()
        scratch.mkdir()
        for name in names:
            shutil.copy2(Path(notebooks_dir) / name, folder / name)
        print(f"Opening and saving {len(names)} notebooks in JupyterLab (headless Chromium), a copy in {folder} ...")
        states = save_in_jupyterlab(folder, names, scratch)
        failures = []
        for name in names:
            committed, saved = (Path(notebooks_dir) / name).read_bytes(), (folder / name).read_bytes()
            if states[name] != "saved":
                print(f"  {name}: {states[name]}")
                failures.append(f"{name} {states[name]}")
            elif committed == saved:
                print(f"  {name}: saved, unchanged")
            else:
                print(f"  {name}: saved, CHANGED")
                for line in describe_change(committed, saved):
                    print(f"      {line}")
                failures.append(f"{name} changed when saved")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=("report", "jupyter-save"))
    args = parser.parse_args(argv)
    try:
        failures = check_report() if args.check == "report" else check_jupyter_save()
    except BrowserCheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
