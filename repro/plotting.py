"""The one place for figure style: single-column figures, PDF for papers and PNG for the README."""

from __future__ import annotations

import io
import logging
import os
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless and deterministic; set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

from repro import results  # noqa: E402
from repro.results import atomic_write  # noqa: E402

__all__ = [
    "COLUMN_WIDTH",
    "FULL_WIDTH",
    "OKABE_ITO",
    "PAPER_STYLE",
    "blank",
    "caption",
    "figure",
    "handle",
    "model_label",
    "model_style",
    "save",
]

COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
FULL_WIDTH = 7.0  # inches: both columns
PAPER_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.0}  # reference values

# Okabe & Ito's colour-blind-safe palette (black first).
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

# One colour, line style and marker per model, the same in every figure: (colour, line style,
# marker, label). The practitioners' questions' remedies take one hue per family and a line style
# and marker per member (tanh vermillion, its residual variant orange, ReLU reddish purple, gated
# greens and blues, attention and the state-space model black); their labels are the remedies' own.
_MODELS = {
    "lstm1997": ("blue", "-", "o", "LSTM 1997"),
    "lstm": ("bluish green", "-", "o", "LSTM (forget gate)"),
    "gru": ("sky blue", "-.", "s", "GRU"),
    "rnn_tanh": ("vermillion", "--", "o", "tanh RNN"),
    "rnn_sigmoid": ("reddish purple", ":", "o", "sigmoid RNN"),
    "rnn_relu": ("orange", "--", "o", "ReLU RNN"),
    "rnn_linear": ("black", ":", "o", "linear RNN"),
    # P13's training methods (one "model" each in its tables)
    "msgd": ("vermillion", "--", "o", "MSGD"),
    "msgd_c": ("blue", "-.", "o", "MSGD-C (clipping)"),
    "msgd_cr": ("bluish green", "-", "o", "MSGD-CR (clipping + Ω)"),
    "msgd_r": ("reddish purple", ":", "o", "MSGD-R (Ω, no clipping)"),
    "adam_c": ("orange", "-", "o", "Adam + clipping"),
    # the practitioners' questions: remedies (S1, S2) and optimisers (S3-optim)
    "tanh_default": ("vermillion", "-", "o", None),
    "tanh_glorot": ("vermillion", "--", "s", None),
    "tanh_orthogonal": ("vermillion", ":", "D", None),
    "tanh_clip": ("vermillion", "-.", "v", None),
    "relu": ("reddish purple", "-", "o", None),
    "irnn": ("reddish purple", "--", "s", None),
    "leaky_relu": ("reddish purple", ":", "D", None),
    "residual": ("orange", "-", "o", None),  # a tanh net with a skip: beside tanh's vermillion
    "lstm_truncated": ("bluish green", "--", "s", None),
    "attention": ("black", "-.", "D", None),  # not gated: apart from the gated blues and greens
    "ssm": ("black", "-", "o", None),
    "sgd": ("vermillion", "--", "o", "SGD"),
    "nesterov": ("orange", "-.", "s", "Nesterov momentum"),
    "rmsprop": ("reddish purple", ":", "D", "RMSProp"),
    "adam": ("blue", "-", "^", "Adam"),
}
_SPARE = ("yellow", "sky blue", "orange", "reddish purple")


def model_style(name: str, index: int = 0, marker: bool = False) -> dict:
    """``color`` and ``linestyle`` (with ``marker``, its ``marker`` too) of a model
    (``lstm1997``, ``rnn_tanh``, a remedy of the practitioners' questions, …), the same in every
    figure; a model not listed takes a spare colour by ``index``, a dash-dot line and circles."""
    colour, style, mark, _ = _MODELS.get(name, (_SPARE[index % len(_SPARE)], "-.", "o", name))
    out = {"color": OKABE_ITO[colour], "linestyle": style}
    return {**out, "marker": mark} if marker else out


def model_label(name: str) -> str:
    """A reader's name for a model: ``rnn_tanh`` -> "tanh RNN" (the name itself where the model's
    label lives with its definition, e.g. a remedy's)."""
    return (_MODELS[name][3] or name) if name in _MODELS else name


_RC = {
    "font.size": 7.5,
    "axes.titlesize": 7.5,
    "axes.labelsize": 7.5,
    "legend.fontsize": 7,  # nothing under 7 pt at the width a figure is printed
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
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
    _style()
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)


def blank(*, width: float = COLUMN_WIDTH, height: float = 2.4):
    """An empty figure in the house style, for a grid built with ``fig.add_gridspec``."""
    _style()
    return plt.figure(figsize=(width, height), layout="constrained")


def handle(style: dict, label: str):
    """A legend entry for a line drawn in ``style`` (colour, line style) that no axes holds."""
    return matplotlib.lines.Line2D([], [], label=label, **style)


def _style() -> None:
    matplotlib.rcParams.update(_RC)
    order = ("blue", "vermillion", "bluish green", "orange", "reddish purple", "sky blue", "black")
    matplotlib.rcParams["axes.prop_cycle"] = matplotlib.cycler(color=[OKABE_ITO[c] for c in order])
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting is chatty


def caption(fig, text: str, size: float = 7) -> int:
    """A caption under the figure naming the claim ids it supports, wrapped to the figure's width
    (about 21 characters of 6.5 pt text per inch, fewer for larger text; line breaks are kept).
    Returns its number of lines."""
    width = int(fig.get_figwidth() * 21 * 6.5 / size)
    label = fig.supxlabel("", fontsize=size, color="0.2", x=0.01, ha="left")
    renderer = fig.canvas.get_renderer()
    room = 0.98 * fig.bbox.width  # the caption starts at 1% of the width
    while True:  # the estimate fits most text; a line of wide characters is wrapped shorter
        label.set_text("\n".join(textwrap.fill(line, width) for line in text.split("\n")))
        if label.get_window_extent(renderer).width <= room or width <= 20:
            break
        width -= 2
    fig.repro_caption = " ".join(text.split())  # saved in the PNG (figures/README.md reads it)
    return label.get_text().count("\n") + 1


def save(fig, stem: str | os.PathLike) -> list[Path]:
    """Save ``stem``.pdf and ``stem``.png atomically; close the figure. The PNG carries the caption
    (``Description``) and the command that drew it (``Command``, where there is one) as text."""
    paths = []
    text = {"Description": getattr(fig, "repro_caption", None), "Command": results.command()}
    for ext in ("pdf", "png"):
        buf = io.BytesIO()
        # Fixed metadata so that re-running gives byte-identical files.
        meta = (
            {"CreationDate": None}
            if ext == "pdf"
            else {"Software": None, **{k: v for k, v in text.items() if v}}
        )
        fig.savefig(buf, format=ext, metadata=meta)
        paths.append(atomic_write(Path(f"{stem}.{ext}"), buf.getvalue()))
    plt.close(fig)
    return paths
