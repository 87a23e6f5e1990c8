"""The Quarto chapters: executed cell by cell in a Jupyter kernel (nbclient, as Quarto does)."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BOOK = yaml.safe_load((ROOT / "_quarto.yml").read_text())
CHAPTERS = BOOK["book"]["chapters"]
FENCE = re.compile(r"^```\{python\}\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`\{python\}\s+([^`]+)`")


def chapter_notebook(text: str) -> tuple[nbformat.NotebookNode, list[str], list[str]]:
    """Code cells in order (with their ``#|`` options), plus one cell evaluating every inline expression."""
    cells = [m.group(1) for m in FENCE.finditer(text)]
    prose = FENCE.sub("", text)
    inline = INLINE.findall(prose)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    check = "\n".join(f"print('INLINE', {i}, repr(str({expr})))" for i, expr in enumerate(inline))
    nb.cells.append(nbformat.v4.new_code_cell(check or "pass"))
    labels = [re.search(r"#\|\s*label:\s*(\S+)", c).group(1) if "#| label:" in c else "" for c in cells]
    return nb, inline, labels


def test_book_config_is_complete():
    assert BOOK["project"]["type"] == "book" and BOOK["book"]["author"]
    assert {"html", "typst"} <= set(BOOK["format"]) and (ROOT / BOOK["bibliography"]).is_file()
    assert BOOK["project"]["execute-dir"] == "project"
    for chapter in CHAPTERS:
        assert (ROOT / chapter).is_file(), chapter


def test_cross_references_resolve():
    texts = {c: (ROOT / c).read_text() for c in CHAPTERS}
    defined = set()
    for text in texts.values():
        defined |= set(re.findall(r"#\|\s*label:\s*((?:fig|tbl)-[\w-]+)", text))
        defined |= set(re.findall(r"\{#(sec-[\w-]+)\}", text))
    for chapter, text in texts.items():
        for ref in re.findall(r"@((?:fig|tbl|sec)-[\w-]*[\w])", FENCE.sub("", text)):
            assert ref in defined, f"{chapter}: @{ref} has no label"
    bib = (ROOT / BOOK["bibliography"]).read_text()
    keys = set(re.findall(r"@\w+\{(\w+),", bib))
    for chapter, text in texts.items():
        for key in re.findall(r"\[@(\w+)\]|(?<![\w-])@(\w+)(?![\w-])", FENCE.sub("", text)):
            k = key[0] or key[1]
            if not k.startswith(("fig", "tbl", "sec")):
                assert k in keys, f"{chapter}: citation @{k} not in the bibliography"


def test_no_hand_typed_percentages_in_prose():
    for chapter in CHAPTERS:
        prose = INLINE.sub("", FENCE.sub("", (ROOT / chapter).read_text()))
        assert not re.search(r"\d+\.\d+ ?%|0\.9\d{2,}", prose), chapter


def execute_chapter(chapter: str) -> None:
    """Run a chapter's cells in a kernel; every fig/tbl cell must show its output, every inline expression print."""
    nb, inline, labels = chapter_notebook((ROOT / chapter).read_text())
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    for cell, label in zip(nb.cells, labels):
        kinds = {k for out in cell.outputs for k in out.get("data", {})}
        if label.startswith("fig-"):
            assert "image/png" in kinds, f"{chapter}: {label} shows no figure"
        if label.startswith("tbl-"):
            assert "text/html" in kinds, f"{chapter}: {label} shows no table"
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert printed.count("INLINE") == len(inline)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executes(chapter, quick_results, monkeypatch):
    monkeypatch.setenv("QUARTO_PROFILE", "quick")
    monkeypatch.setenv("MNIST_SKORCH_RESULTS", str(quick_results))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    execute_chapter(chapter)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_default_render_shows_the_committed_full_study(chapter, monkeypatch):
    """``quarto render`` without a profile reads ``results/full``: the committed study must be complete."""
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    monkeypatch.delenv("MNIST_SKORCH_RESULTS", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    execute_chapter(chapter)
