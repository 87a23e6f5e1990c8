import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from mnist_skorch import MLPClassifier
from mnist_skorch.presets import SEED_FINAL_CONFIGS
from mnist_skorch.registry import RecordedEstimator, Registry
from mnist_skorch.results import load_model_results
from mnist_skorch.search import SequentialSearchCV
from mnist_skorch.study import Study, load_profile, run_study

TIMING = ("train_seconds_total", "train_core_seconds_total", "fit_seconds")


def _strip(obj):
    """Summary without wall-clock fields (they differ between identical runs)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING and k != "dur"}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def test_quick_study_end_to_end(quick_results):
    for model in ("mlp", "cnn"):
        s = json.loads((quick_results / "quick" / model / "summary.json").read_text())
        assert [d["param"] for d in s["decisions"]] == list(load_profile("quick")["models"][model]
                                                            ["sweep"]["candidates"])
        assert s["final"]["test"]["accuracy"] > 0.6 and s["final"]["test"]["n_test"] == 10000
        assert len(s["seeds"]) == 2 and s["test_accuracy_std"] >= 0
        assert np.array(s["final"]["test"]["confusion_matrix"]).sum() == 10000
        assert s["tuned_config"] == {d["param"]: d["chosen"] for d in s["decisions"]}
        assert (quick_results / "quick" / model / "final" / "seed0.pt").is_file()
        assert len(Registry(quick_results / "quick" / model).records()) == s["n_runs"] > 10
        final = json.loads((quick_results / "quick" / model / "final" / "seed0.json").read_text())
        lrs = [e["lr"] for e in final["history"]]
        assert final["stage"]["lr_schedule"] == "cosine" and lrs[1] < lrs[0] == s["tuned_config"]["lr"]
        variant = s["variants"]["constant-lr"]
        assert variant["protocol"]["lr_schedule"] == "constant" and [r["seed"] for r in variant["seeds"]] == [0]
        constant = json.loads((quick_results / "quick" / model / "final-constant-lr" / "seed0.json").read_text())
        assert {e["lr"] for e in constant["history"]} == {s["tuned_config"]["lr"]}
        seed_cfg = json.loads((quick_results / "quick" / model / "final-seed-config" / "seed0.json").read_text())
        assert seed_cfg["config"] == s["variants"]["seed-config"]["config"] == SEED_FINAL_CONFIGS[model]
        assert seed_cfg["test"]["accuracy"] > 0.5
        runs = load_model_results(model, "quick", quick_results).stage_runs()
        assert len(runs["preliminary"]) == load_profile("quick")["models"][model]["preliminary"]["n_iter"]
        assert len(runs["preliminary"]) + len(runs["sweep"]) == s["n_runs"]
        assert [len(runs[k]) for k in ("final", "constant-lr", "seed-config")] == [2, 1, 1]


def test_unknown_final_config_is_an_error(tmp_path, mnist):
    prof = load_profile("quick")
    study = Study("mlp", prof, tmp_path, data=mnist, progress=False)
    assert study.stage_config({"config": "seed"}, {"width": 8}) == SEED_FINAL_CONFIGS["mlp"]
    with pytest.raises(ValueError, match=r"'best'.*allowed: \['seed', 'tuned'\]"):
        study.stage_config({"config": "best"}, {"width": 8})


def _cli(results, *extra):
    return [sys.executable, "-m", "mnist_skorch", "study", "--model", "mlp", "--profile", "quick",
            "--results", str(results), "--no-progress", *extra]


def test_interrupted_study_resumes_without_retraining(tmp_path, quick_results):
    runs = tmp_path / "quick" / "mlp" / "runs"
    proc = subprocess.Popen(_cli(tmp_path), stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(runs.glob("*.json"))) < 8:
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    done = sorted(runs.glob("*.json"))
    assert len(done) >= 8 and not (tmp_path / "quick" / "mlp" / "summary.json").exists()
    done[0].write_text('{"key": "trunc')  # a record cut short by a crash
    out = subprocess.run(_cli(tmp_path), capture_output=True, text=True, check=True)
    trained = out.stderr.count(" trained ")
    total = len(list(runs.glob("*.json")))
    assert trained == total - len(done) + 1, out.stderr[-2000:]
    assert "corrupt record" in out.stderr
    resumed = json.loads((tmp_path / "quick" / "mlp" / "summary.json").read_text())
    reference = json.loads((quick_results / "quick" / "mlp" / "summary.json").read_text())
    assert _strip(resumed) == _strip(reference)
    log = tmp_path / "study.log"
    again = subprocess.run(_cli(tmp_path, "--log", str(log)), capture_output=True, text=True, check=True)
    assert " trained " not in again.stderr and " training, seed " not in again.stderr
    assert log.read_text().count(" restored ") == again.stderr.count(" restored ") >= total


def test_adding_final_seeds_trains_only_the_new_ones(tmp_path, quick_results, mnist, monkeypatch):
    shutil.copytree(quick_results / "quick" / "mlp", tmp_path / "quick" / "mlp")
    folder = tmp_path / "quick" / "mlp" / "final-constant-lr"
    before = (folder / "seed0.json").read_text()
    prof = load_profile("quick")
    prof["models"]["mlp"]["final"]["variants"]["constant-lr"]["seeds"] = [0, 3]
    summary = Study("mlp", prof, tmp_path, data=mnist, progress=False).run()
    assert (folder / "seed0.json").read_text() == before
    assert [s["seed"] for s in summary["variants"]["constant-lr"]["seeds"]] == [0, 3]
    assert json.loads((folder / "seed3.json").read_text())["stage"]["seeds"] == [0, 3]
    prof["models"]["mlp"]["final"]["variants"]["constant-lr"]["seeds"] = [0, 3, 4]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(MLPClassifier, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):  # stopped while training seed 4
        Study("mlp", prof, tmp_path, data=mnist, progress=False).run()
    kept = json.loads((tmp_path / "quick" / "mlp" / "summary.json").read_text())["variants"]
    assert kept == summary["variants"]  # the last complete state, with both variants
    monkeypatch.undo()
    prof["models"]["mlp"]["final"]["variants"]["constant-lr"]["max_epochs"] = 1
    Study("mlp", prof, tmp_path, data=mnist, progress=False).run()
    assert (folder / "seed0.json").read_text() != before  # a changed setting retrains


def test_diverging_candidate_recorded_and_skipped(tmp_path, small):
    Xtr, ytr, Xte, yte = small
    X, y = np.concatenate([Xtr, Xte]), np.concatenate([ytr, yte])
    from sklearn.model_selection import PredefinedSplit

    cv = PredefinedSplit(np.r_[np.full(len(Xtr), -1), np.zeros(len(Xte))])
    est = RecordedEstimator(MLPClassifier(width=32, depth=2, use_bn=False, activation="sigmoid",
                                          optimizer="sgd", max_epochs=2), registry=tmp_path)
    search = SequentialSearchCV(est, {"estimator__lr": [1e12, 0.5]}, cv=cv, refit=False)
    search.fit(X, y, X_valid=Xte, y_valid=yte)
    d = search.decisions_[0]
    assert d["diverged"] == [True, False] and d["chosen"] == 0.5
    status = sorted(r["status"] for r in Registry(tmp_path).records())
    assert status == ["diverged", "ok"]


def test_dask_local_cluster_runs_the_sweep(tmp_path, mnist):
    pytest.importorskip("dask.distributed")
    prof = load_profile("quick")
    prof["models"]["mlp"]["sweep"]["candidates"] = {"width": [32, 64], "lr": [1e-3, 2e-3]}
    summary = run_study("mlp", prof, tmp_path, jobs=2, dask="local", progress=False)
    assert [d["param"] for d in summary["decisions"]] == ["width", "lr"]
    assert summary["final"]["test"]["accuracy"] > 0.6
    assert summary["n_runs"] >= 4 and os.path.isfile(tmp_path / "quick" / "mlp" / "summary.json")


def test_core_seconds_counts_torch_threads():
    from mnist_skorch.registry import core_seconds

    assert core_seconds({"fit_seconds": 10.0, "hardware": "AMD EPYC (2 cores, 2 torch threads)"}) == 20.0
    assert core_seconds({"fit_seconds": 10.0, "hardware": "NVIDIA H200"}) == 10.0
    assert core_seconds({"hardware": "AMD EPYC (2 cores, 1 torch threads)"}) == 0.0
