"""Reading a finished study back from its registry (for the report, tables and the CLI)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .registry import Registry, read_json

#: Environment variable overriding the results root (default ``<project>/results``).
RESULTS_ENV = "MNIST_SKORCH_RESULTS"
PROJECT = Path(__file__).resolve().parents[1]


def active_profile() -> str:
    """``quick`` when Quarto renders with ``--profile quick``, else ``full``."""
    profiles = [p.strip() for p in os.environ.get("QUARTO_PROFILE", "").split(",") if p.strip()]
    return "quick" if "quick" in profiles else "full"


def results_root() -> Path:
    return Path(os.environ.get(RESULTS_ENV) or PROJECT / "results")


def stage_size(stage: dict, n_train: int) -> int:
    """Training images per run of a stage: its stratified subset, or the whole training split."""
    return stage["train_per_class"] * 10 if stage.get("train_per_class") else n_train


@dataclass
class ModelResults:
    """One model's summary, final-training records and registry runs."""

    model: str
    dir: Path
    summary: dict
    finals: list[dict]

    @property
    def final(self) -> dict:
        """The first seed's final run (the one whose figures the report shows)."""
        return self.finals[0]

    @property
    def test(self) -> dict:
        return self.final["test"]

    def history(self) -> pd.DataFrame:
        return pd.DataFrame(self.final["history"])

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(self.test["report"]).set_index("class")

    def proba(self) -> np.ndarray:
        with np.load(self.dir / "final" / f"test_proba_seed{self.final['seed']}.npz") as f:
            return f["proba"]

    def variant_finals(self, name: str) -> list[dict]:
        """Final-training records of the variant ``name`` (folder ``final-<name>``)."""
        seeds = self.summary["variants"][name]["seeds"]
        return [read_json(self.dir / f"final-{name}" / f"seed{s['seed']}.json") for s in seeds]

    def stage_runs(self) -> dict[str, list[dict]]:
        """Records per stage: ``preliminary``, ``sweep``, ``final`` and each variant's name.

        A registry run belongs to the first search stage whose training-set size and epochs it
        matches (a run both stages would train is trained once, in the preliminary pass).
        """
        p, n_train = self.summary["protocol"], self.summary["split"]["n_train"]
        out: dict[str, list[dict]] = {"preliminary": [], "sweep": []}
        for rec in Registry(self.dir).records():
            for name in out:
                st = p[name]
                if rec["n_train"] == stage_size(st, n_train) and rec["params"]["max_epochs"] == st["max_epochs"]:
                    out[name].append(rec)
                    break
        out["final"] = self.finals
        out.update({name: self.variant_finals(name) for name in self.summary.get("variants", {})})
        return out

    def hardware(self) -> list[str]:
        """Every distinct machine (CPU model and threads, or GPU) that trained a run of the study."""
        finals = [read_json(p) for p in sorted(self.dir.glob("final*/seed*.json"))]
        return sorted({r["hardware"] for r in Registry(self.dir).records() + finals if r})

    def runs(self) -> pd.DataFrame:
        """Every registry run: status, validation score, epochs, seconds and parameters."""
        rows = [{"status": r["status"], "valid_score": r["valid_score"], "n_train": r["n_train"],
                 "epochs": r["epochs"], "fit_seconds": r["fit_seconds"], **r["params"]}
                for r in Registry(self.dir).records()]
        return pd.DataFrame(rows)


def load_model_results(model: str, profile: str | None = None, root: str | Path | None = None) -> ModelResults:
    """Load ``results/<profile>/<model>``; a clear error when the study has not finished."""
    profile = profile or active_profile()
    d = Path(root or results_root()) / profile / model
    summary = read_json(d / "summary.json")
    if summary is None:
        raise FileNotFoundError(
            f"no finished study in {d}: run `python -m mnist_skorch study --model {model} --profile {profile}`")
    finals = [read_json(d / "final" / f"seed{s['seed']}.json") for s in summary["seeds"]]
    return ModelResults(model, d, summary, finals)
