"""The figure gallery (figures/README.md): what a PNG carries, how an entry is read from it, and
that the committed gallery lists exactly the committed figures (its being current is
test_claims.test_committed_docs_equal_the_tables_they_are_generated_from)."""

import re
from pathlib import Path

from experiments.claims import gallery
from repro import plotting, results

ROOT = Path(__file__).resolve().parents[1]


def _figure(tmp_path, caption: str) -> Path:
    fig, ax = plotting.figure()
    ax.plot([0, 1], [0, 1])
    plotting.caption(fig, caption)
    return [p for p in plotting.save(fig, tmp_path / "toy") if p.suffix == ".png"][0]


def test_a_png_carries_its_caption_and_the_command_that_drew_it(tmp_path, monkeypatch):
    caption = "A toy learns its weight (TOY-1).\nTOY-1, quick profile: budget 400, e.g. 1.5 × more."
    png = _figure(tmp_path, caption)
    assert results.png_text(png) == {"Description": " ".join(caption.split())}  # no command here
    command = "python -m experiments.run --config=experiments/configs/x.py:paper --config.lr=0.5"
    monkeypatch.setattr(results, "command", lambda: command)
    text = results.png_text(_figure(tmp_path, caption))
    assert text["Command"] == command and text["Description"].startswith("A toy learns")


def test_an_entry_reads_claims_sentence_profile_and_citations(tmp_path, monkeypatch):
    monkeypatch.setattr(
        results,
        "command",
        lambda: (
            "python -m experiments.run --config=c.py:paper --config.cell_added_after=4500 "
            "--config.run_missing=false --config.figure=figures/toy"
        ),
    )
    png = _figure(tmp_path, "H97-T10 is not H97-T1 here. Then H97-2B, paper profile.")
    e = gallery.entry(png, ["H97-T10", "H97-2B", "H97-T1"], {"README.md": "see figures/toy.png"})
    assert e["claims"] == ["H97-2B", "H97-T10"]  # H97-T1 only inside H97-T10
    assert e["shows"] == "H97-T10 is not H97-T1 here."
    assert e["profile"] == "paper, cell_added_after=4500"  # where it is written is not an option
    assert e["cited"] == ["README.md"]


def test_a_citation_names_the_figure_not_a_config_or_run_of_the_same_name():
    assert gallery.cites("see `figures/h97_t1.png`", "h97_t1")
    assert gallery.cites("Figure `h97_t7_paper_flow` (the nets)", "h97_t7_paper_flow")
    assert gallery.cites("drawn in figures/h97_t1.* beside", "h97_t1")
    assert not gallery.cites("`h97_t1` (config); runs/h97_t1/paper/table.json", "h97_t1")
    assert not gallery.cites("figures/h97_t1_paper.png", "h97_t1")


def test_the_first_sentence_ends_at_a_sentence_not_inside_a_number_or_an_abbreviation():
    assert (
        gallery.first_sentence("Budget 1.5 M, e.g. this. Next one.") == "Budget 1.5 M, e.g. this."
    )
    assert gallery.first_sentence("No full stop") == "No full stop"


def test_the_gallery_lists_every_figure_and_only_those():
    text = (ROOT / gallery.GALLERY).read_text()
    listed = set(re.findall(r"\]\(([^)]+\.png)\)", text))
    on_disk = {p.name for p in (ROOT / "figures").glob("*.png")}
    assert listed == on_disk


def test_every_committed_figure_is_drawn_at_a_print_width():
    """One column (3.4 in) or the full width (7 in) at the PNGs' 200 dpi: a figure drawn at another
    width is scaled when printed, and its 7 pt text with it (issue 27)."""
    from PIL import Image

    dpi = plotting._RC["savefig.dpi"]
    widths = {round(w * dpi) for w in (plotting.COLUMN_WIDTH, plotting.FULL_WIDTH)}
    odd = {}
    for png in sorted((ROOT / "figures").glob("*.png")):
        with Image.open(png) as im:
            if im.size[0] not in widths:
                odd[png.name] = im.size[0]
    assert not odd, f"not {sorted(widths)} px wide: {odd}"
