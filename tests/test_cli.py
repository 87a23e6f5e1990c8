"""The ``headline`` command: README tables generated from the registry."""

import json
import re
from pathlib import Path

import pytest

from mnist_skorch.cli import README_MARKERS, main


def test_headline_writes_both_tables_between_the_markers(tmp_path, quick_results, capsys):
    start, end = README_MARKERS
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{start}\nold table\n{end}\nafter\n")
    assert main(["headline", "--profile", "quick", "--results", str(quick_results), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# title\n\nbefore\n") and text.endswith(f"{end}\nafter\n")
    assert "old table" not in text and text.split(start)[1].split(end)[0].strip() in capsys.readouterr().out
    for model in ("mlp", "cnn"):
        s = json.loads((quick_results / "quick" / model / "summary.json").read_text())
        assert f"{s['test_accuracy_mean']:.4f} ± {s['test_accuracy_std']:.4f}" in text
        seed_cfg = s["variants"]["seed-config"]
        assert re.search(rf"\|\s*{model.upper()}\s*\|\s*seed-config\s*\|\s*the seed's", text)
        assert f"{seed_cfg['test_accuracy_mean']:.4f}" in text


def test_headline_marks_an_unfinished_study_and_needs_the_markers(tmp_path, capsys):
    assert main(["headline", "--profile", "full", "--results", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("(study not finished)") == 2
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    with pytest.raises(SystemExit, match="lacks the markers"):
        main(["headline", "--results", str(tmp_path), "--readme", str(readme)])
    assert readme.read_text() == "no markers here\n"


def test_readme_headline_is_the_committed_full_study(tmp_path, capsys):
    """The README's tables are what ``headline`` generates from ``results/full`` now (not stale, not typed)."""
    root = Path(__file__).resolve().parents[1]
    start, end = README_MARKERS
    readme = tmp_path / "README.md"
    readme.write_text((root / "README.md").read_text())
    assert main(["headline", "--profile", "full", "--results", str(root / "results"), "--readme", str(readme)]) == 0
    assert readme.read_text() == (root / "README.md").read_text()
    assert "study not finished" not in capsys.readouterr().out


@pytest.mark.parametrize(("items", "text"), [([], ""), (["a"], "a"), (["a", "b"], "a and b"),
                                             (["a", "b", "c"], "a, b and c")])
def test_prose_list(items, text):
    from mnist_skorch.tables import prose_list

    assert prose_list(items) == text
