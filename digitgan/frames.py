"""The DCGAN's fixed-noise sample frames: drawn each epoch, repaired on resume, shown side by side and as a GIF."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from digitgan import config
from digitgan.fileio import DataFileError, atomic_write, remove_stale_temp_files
from digitgan.plots import draw_samples, styled

GIF_MIN_WIDTH = 400  # pixels
_FRAME_DPI = 80  # a sample frame's resolution (saved with 0.1 in of padding, tight)


def frame_path(frames_dir: Path, epoch: int) -> Path:
    return Path(frames_dir) / f"epoch_{epoch:03d}.png"


def _frames_by_epoch(frames_dir: Path) -> dict[int, Path]:
    """``{epoch: path}`` of the sample frames in ``frames_dir``, in epoch order; none is an error."""
    found = {int(p.stem[6:]): p for p in Path(frames_dir).glob("epoch_*.png") if p.stem[6:].isdigit()}
    if not found:
        raise FileNotFoundError(f"No epoch_*.png frames in {config.shown(frames_dir)}: train the DCGAN first.")
    return dict(sorted(found.items()))


def draw_frame(generator, noise, frames_dir: Path, epoch: int) -> Path:
    """The 3x3 grid of ``noise`` after ``epoch`` epochs, written atomically without touching pyplot's state."""
    fig = Figure(figsize=(3, 3.2))
    draw_samples(np.asarray(generator(noise, training=False)), ncols=3, ax=fig.add_subplot(), title=f"epoch {epoch}")
    path = frame_path(frames_dir, epoch)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=_FRAME_DPI, bbox_inches="tight"))


def repair_frames(frames_dir: Path, epoch: int, generator, noise, gif_path: Path | None = None, clear_later=False):
    """Before going on from ``epoch``: drop stale temp files, draw its frame if missing; ``clear_later``: later ones."""
    remove_stale_temp_files(Path(frames_dir))
    for path in Path(frames_dir).glob("epoch_*.png"):
        if clear_later and path.stem[6:].isdigit() and int(path.stem[6:]) > epoch:
            path.unlink()
    missing = epoch > 0 and not frame_path(frames_dir, epoch).exists()
    if missing:
        draw_frame(generator, noise, frames_dir, epoch)
    if (missing or clear_later) and gif_path is not None:
        Path(gif_path).unlink(missing_ok=True)


def _open_frame(path: Path) -> Image.Image:
    """The sample frame ``path``, decoded whole (RGB); an unreadable one raises a DataFileError naming the fix."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError... for a damaged file
        raise DataFileError(
            f"{path} cannot be read ({exc}): delete it (the figures skip it), or rerun the DCGAN's training cell "
            "with the frame deleted (it draws the missing frame it resumes from)."
        ) from exc


@styled
def plot_evolution(frames_dir: Path):
    """The report's Figure 2: the fixed-noise grid at several epochs side by side."""
    available = _frames_by_epoch(frames_dir)
    chosen, have = [e for e in (5, 20, 40, 50) if e in available], list(available)
    if len(chosen) < 4:  # a shorter run: up to four epochs spread over what it has
        chosen = sorted({have[round(i)] for i in np.linspace(0, len(have) - 1, min(4, len(have)))})
    panel = 1.85  # inches: about one pixel of a frame a pixel of the figure
    fig, axes = plt.subplots(1, len(chosen), figsize=(max(panel * len(chosen), 4.0), panel + 0.9), squeeze=False)
    for ax, epoch in zip(axes[0], chosen, strict=True):
        frame = _open_frame(available[epoch])
        width, height = frame.size  # without the title drawn into the frame: the rows above its square grid
        ax.imshow(frame.crop((0, height - width + round(0.1 * _FRAME_DPI), width, height)) if height > width else frame)
        ax.set_axis_off()
        ax.set_title(f"epoch {epoch}")
    named = f"epoch {chosen[0]}" if len(chosen) == 1 else f"epochs {', '.join(map(str, chosen[:-1]))} and {chosen[-1]}"
    fig.suptitle(f"DCGAN samples of the same 9 noise vectors\nafter {named} (of {max(available)} trained)")
    return fig


def make_gif(frames_dir: Path, path: Path) -> Path:
    """An animated GIF of every epoch's frame (200 ms each), enlarged by a whole factor to :data:`GIF_MIN_WIDTH`."""
    frames = [_open_frame(p) for p in _frames_by_epoch(frames_dir).values()]
    factor = -(-GIF_MIN_WIDTH // frames[0].size[0])
    first, *rest = (f.resize((f.size[0] * factor, f.size[1] * factor), Image.Resampling.NEAREST) for f in frames)
    options = {"format": "GIF", "save_all": True, "append_images": rest, "duration": 200, "loop": 0}
    return atomic_write(path, lambda tmp: first.save(tmp, **options))
