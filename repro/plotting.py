"""The one place for figure style: single-column figures, PDF for papers and PNG for the README."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless and deterministic; set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

from repro.results import atomic_write  # noqa: E402

__all__ = ["COLUMN_WIDTH", "PAPER_STYLE", "caption", "figure", "save"]

COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
PAPER_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.0}  # reference values

_RC = {
    "font.size": 7.5,
    "axes.titlesize": 7.5,
    "axes.labelsize": 7.5,
    "legend.fontsize": 6.5,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "lines.linewidth": 1.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "pdf.fonttype": 42,
}


def figure(
    nrows: int = 1, ncols: int = 1, *, height: float = 2.4, width: float = COLUMN_WIDTH, **kwargs
):
    """A figure in the house style; returns (fig, axes) like ``plt.subplots``.

    The style is applied to matplotlib's settings when a figure is made (text drawn later uses it).
    """
    matplotlib.rcParams.update(_RC)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting is chatty
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)


def caption(fig, text: str) -> None:
    """A caption line under the figure naming the claim ids it supports."""
    fig.supxlabel(text, fontsize=6, color="0.3", x=0.01, ha="left")


def save(fig, stem: str | os.PathLike) -> list[Path]:
    """Save ``stem``.pdf and ``stem``.png atomically; close the figure."""
    paths = []
    for ext in ("pdf", "png"):
        buf = io.BytesIO()
        # Fixed metadata so that re-running gives byte-identical PDFs.
        meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
        fig.savefig(buf, format=ext, metadata=meta)
        paths.append(atomic_write(Path(f"{stem}.{ext}"), buf.getvalue()))
    plt.close(fig)
    return paths
