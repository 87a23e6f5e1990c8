"""The study protocol (seed section 3.2): preliminary pass, sequential sweep, final training, test."""

from __future__ import annotations

import json
import logging
import os
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV

from .data import ImageDataset, load_dataset, stratified_split, stratified_subset
from .estimators import CNNClassifier, MLPClassifier
from .metrics import evaluate
from .presets import SEED_FINAL_CONFIGS, SEED_INITIAL_BASELINES
from .registry import RecordedEstimator, Registry, core_seconds, hardware, library_versions, read_json, write_json
from .search import SequentialSearchCV

log = logging.getLogger("mnist_skorch")
MODELS = {"mlp": MLPClassifier, "cnn": CNNClassifier}
PREFIX = "estimator__"


def load_profile(name: str | Path) -> dict:
    """A study profile: a packaged name (``quick``, ``full``) or a path to a JSON file."""
    path = Path(name)
    if path.suffix == ".json" and path.is_file():
        return json.loads(path.read_text())
    names = sorted(p.name[:-5] for p in resources.files("mnist_skorch.profiles").iterdir()
                   if p.name.endswith(".json"))
    if str(name) not in names:
        raise ValueError(f"unknown profile {name!r}; allowed: {names} or a path to a .json file")
    return json.loads(resources.files("mnist_skorch.profiles").joinpath(f"{name}.json").read_text())


def model_dir(results: str | Path, profile: dict, model: str) -> Path:
    return Path(results) / profile["name"] / model


def _subset(y: np.ndarray, idx: np.ndarray, per_class: int | None, seed: int) -> np.ndarray:
    if not per_class:
        return idx
    return idx[stratified_subset(y[idx], per_class, random_state=seed)]


def _search_data(data: ImageDataset, train: np.ndarray, valid: np.ndarray):
    """Train+valid rows stacked, the PredefinedSplit over them and the valid fold itself."""
    X = np.concatenate([data.X_train[train], data.X_train[valid]])
    y = np.concatenate([data.y_train[train], data.y_train[valid]])
    cv = PredefinedSplit(np.r_[np.full(len(train), -1), np.zeros(len(valid), dtype=int)])
    return X, y, cv, data.X_train[valid], data.y_train[valid]


def _unprefix(params: dict) -> dict:
    return {k.removeprefix(PREFIX): v for k, v in params.items()}


def _prefix(params: dict) -> dict:
    return {PREFIX + k: v for k, v in params.items()}


def _torch_threads(jobs: int, threads: int | None = None) -> int:
    """Torch threads per training process: ``threads`` if given, else the cores split between jobs."""
    return threads or max(1, (os.cpu_count() or 1) // max(1, jobs))


class Study:
    """One model's study under one profile, resumable from its registry folder.

    Parameters
    ----------
    model : ``"mlp"`` or ``"cnn"``.
    profile : a profile dict (see :func:`load_profile`).
    results : results root; the registry lives in ``results/<profile>/<model>/``.
    data : the dataset (loaded from the profile's ``dataset`` when ``None``).
    jobs : candidates trained in parallel (joblib); torch threads are split between them.
    threads : torch threads per training process (default: the cores divided by ``jobs``).
    progress : show a tqdm progress bar.
    """

    def __init__(self, model: str, profile: dict, results: str | Path, data: ImageDataset | None = None,
                 jobs: int = 1, threads: int | None = None, progress: bool = True) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; allowed: {sorted(MODELS)}")
        self.model = model
        self.profile = profile
        self.spec = profile["models"][model]
        self.dir = model_dir(results, profile, model)
        self.data = data if data is not None else load_dataset(profile.get("dataset", "mnist"))
        self.jobs = jobs
        self.threads = _torch_threads(jobs, threads)
        self.progress = progress
        self.seed = int(profile.get("seed", 0))
        self.train_idx, self.valid_idx = stratified_split(
            self.data.y_train, profile["valid_size"], random_state=self.seed)
        self.tags = {"dataset": self.data.name, "split_seed": self.seed,
                     "valid_size": profile["valid_size"]}

    # -- pieces ------------------------------------------------------------------------------
    def _estimator(self, stage: dict, **params) -> RecordedEstimator:
        est = MODELS[self.model](**{**self.spec.get("fixed", {}), **params},
                                 max_epochs=stage["max_epochs"], random_state=self.seed,
                                 n_threads=self.threads)
        return RecordedEstimator(est, registry=self.dir, tags=self.tags)

    def _stage_data(self, stage: dict):
        train = _subset(self.data.y_train, self.train_idx, stage.get("train_per_class"), self.seed)
        valid = _subset(self.data.y_train, self.valid_idx, stage.get("valid_per_class"), self.seed)
        return _search_data(self.data, train, valid)

    def candidates(self) -> dict[str, list]:
        return self.spec["sweep"]["candidates"]

    def preliminary(self) -> tuple[dict, list[dict]]:
        """Step 1: randomized search over the whole candidate space; returns (best, top runs)."""
        stage = self.spec["preliminary"]
        X, y, cv, Xv, yv = self._stage_data(stage)
        search = RandomizedSearchCV(
            self._estimator(stage), _prefix(self.candidates()), n_iter=stage["n_iter"], cv=cv,
            refit=False, random_state=self.seed, n_jobs=self.jobs, error_score=np.nan)
        search.fit(X, y, X_valid=Xv, y_valid=yv)
        res = search.cv_results_
        order = np.argsort(np.nan_to_num(res["mean_test_score"], nan=-1.0), kind="stable")[::-1]
        top = [{"params": _unprefix(res["params"][i]), "score": float(res["mean_test_score"][i])}
               for i in order]
        return _unprefix(search.best_params_), top

    def sweep(self, initial: dict) -> SequentialSearchCV:
        """Steps 2-4: the sequential one-parameter-at-a-time sweep from ``initial``."""
        stage = self.spec["sweep"]
        X, y, cv, Xv, yv = self._stage_data(stage)
        total = sum(len(v) for v in self.candidates().values())
        bar = _bar(total, f"{self.model} sweep", self.progress)

        def on_step(decision: dict) -> None:
            bar.update(len(decision["candidates"]))
            log.info("[%s] %s: %s -> %s (val_acc %.4f, delta %+.4f)", self.model,
                     decision["param"].removeprefix(PREFIX), decision["previous"], decision["chosen"],
                     decision["score"], decision["delta"])

        search = SequentialSearchCV(
            self._estimator(stage), _prefix(self.candidates()), initial_params=_prefix(initial),
            max_revisits=stage.get("max_revisits", 0), on_step=on_step, cv=cv, refit=False,
            n_jobs=self.jobs, error_score=np.nan)
        with bar:
            search.fit(X, y, X_valid=Xv, y_valid=yv)
        return search

    def final_stages(self) -> dict[str, dict]:
        """The final-training stage and its variants, keyed by the folder their runs go to.

        A variant (``final.variants.<name>``) overrides some of the final stage's settings, e.g.
        ``{"lr_schedule": "constant", "seeds": [0]}``; its runs go to ``final-<name>/``. A variant
        with ``"config": "seed"`` trains the seed's final configuration instead of the tuned one.
        """
        stage = {k: v for k, v in self.spec["final"].items() if k != "variants"}
        out = {"final": stage}
        for name, overrides in self.spec["final"].get("variants", {}).items():
            out[f"final-{name}"] = {**stage, **overrides}
        return out

    def final(self, config: dict, stage: dict | None = None, folder: str = "final") -> list[dict]:
        """Steps 5-6: retrain ``config`` for every seed of ``stage`` and evaluate it on the test set.

        A seed is restored from ``folder`` when its record was made with the same ``config`` and
        ``stage`` settings; the stage's list of seeds is not a setting, so adding seeds to a
        finished stage trains only the new ones.
        """
        stage = stage if stage is not None else self.final_stages()["final"]
        train = _subset(self.data.y_train, self.train_idx, stage.get("train_per_class"), self.seed)
        out = []
        for seed in stage["seeds"]:
            path = self.dir / folder / f"seed{seed}.json"
            weights = path.with_suffix(".pt")
            rec = read_json(path)
            if (rec and rec.get("config") == config and weights.is_file() and "test" in rec
                    and _settings(rec.get("stage", {})) == _settings(stage)):
                log.info("[%s] %s seed %d restored (test acc %.4f)", self.model, folder, seed,
                         rec["test"]["accuracy"])
                out.append(rec)
                continue
            schedule = stage.get("lr_schedule", "constant")
            est = MODELS[self.model](**{**self.spec.get("fixed", {}), **config},
                                     max_epochs=stage["max_epochs"], patience=stage.get("patience"),
                                     lr_schedule=schedule, random_state=seed, n_threads=self.threads)
            log.info("[%s] %s training, seed %d, %d epochs, %s learning rate", self.model, folder, seed,
                     stage["max_epochs"], schedule)
            est.fit(self.data.X_train[train], self.data.y_train[train],
                    X_valid=self.data.X_train[self.valid_idx], y_valid=self.data.y_train[self.valid_idx])
            proba = est.predict_proba(self.data.X_test)
            rec = {
                "seed": seed, "config": config, "stage": stage,
                "status": "diverged" if est.diverged_ else "ok",
                "epochs": est.n_epochs_, "best_epoch": est.best_epoch_, "fit_seconds": est.fit_seconds_,
                "n_parameters": est.n_parameters_, "n_train": len(train), "device": est.device_,
                "hardware": hardware(), "versions": library_versions(),
                "normalisation": {"mean": float(est.mean_), "std": float(est.std_)},
                "history": est.history_frame().to_dict("records"),
                "test": evaluate(self.data.y_test, proba),
            }
            weights.parent.mkdir(parents=True, exist_ok=True)
            est.net_.save_params(f_params=str(weights))
            np.savez_compressed(path.with_name(f"test_proba_seed{seed}.npz"), proba=proba.astype(np.float32))
            write_json(path, rec)
            log.info("[%s] %s seed %d: test acc %.4f", self.model, folder, seed, rec["test"]["accuracy"])
            out.append(rec)
        return out

    def stage_config(self, stage: dict, tuned: dict) -> dict:
        """The configuration a final stage trains: ``tuned``, or the seed's (``"config": "seed"``)."""
        source = stage.get("config", "tuned")
        configs = {"tuned": tuned, "seed": SEED_FINAL_CONFIGS[self.model]}
        if source not in configs:
            raise ValueError(f"unknown final-stage config {source!r}; allowed: {sorted(configs)}")
        return configs[source]

    # -- the whole protocol --------------------------------------------------------------------
    def run(self) -> dict:
        """Run (or resume) every step and write ``summary.json``; returns the summary.

        The summary is written once the final stage is done and again after each variant. Until a
        variant is done, the summary keeps the variant's previous entry when its configuration and
        training settings are unchanged (its seeds are then restored, not retrained), so a study
        stopped while it adds seeds to a variant leaves a complete summary behind.
        """
        prelim_best, prelim_top = self.preliminary()
        source = self.spec.get("start_from", "preliminary")
        initial = prelim_best if source == "preliminary" else SEED_INITIAL_BASELINES[self.model]
        search = self.sweep(initial)
        tuned = _unprefix(search.best_params_)
        stages = self.final_stages()
        configs = {folder: self.stage_config(stage, tuned) for folder, stage in stages.items()}
        finals = self.final(configs["final"], stages["final"])
        previous = (read_json(self.dir / "summary.json") or {}).get("variants", {})
        kept = {name: v for name, v in previous.items()
                if f"final-{name}" in stages and v.get("config") == configs[f"final-{name}"]
                and _settings(v.get("protocol", {})) == _settings(stages[f"final-{name}"])}
        summary = {
            "model": self.model, "profile": self.profile["name"], "dataset": self.data.name,
            "protocol": {"preliminary": self.spec["preliminary"], "sweep": self.spec["sweep"],
                         "final": stages["final"]},
            "fixed": self.spec.get("fixed", {}),
            "split": {"seed": self.seed, "n_train": len(self.train_idx), "n_valid": len(self.valid_idx)},
            "initial_baseline": _unprefix(search.initial_params_),
            "initial_source": source,
            "preliminary": {"best": prelim_best, "top": prelim_top[:10]},
            "seed_initial_baseline": SEED_INITIAL_BASELINES[self.model],
            "seed_final_config": SEED_FINAL_CONFIGS[self.model],
            "decisions": [{**d, "param": d["param"].removeprefix(PREFIX)} for d in search.decisions_],
            "tuned_config": tuned,
            "final": {k: finals[0][k] for k in ("seed", "epochs", "best_epoch", "fit_seconds",
                                                "n_parameters", "status", "test", "device", "hardware")},
            **_seed_summary(finals),
            "variants": kept,
            "versions": library_versions(),
        }
        variant_finals: list[dict] = []

        def save() -> None:
            records = Registry(self.dir).records() + finals + variant_finals
            summary["n_runs"] = len(records) - len(finals) - len(variant_finals)
            summary["train_seconds_total"] = float(sum(r.get("fit_seconds") or 0 for r in records))
            summary["train_core_seconds_total"] = float(sum(core_seconds(r) for r in records))
            write_json(self.dir / "summary.json", summary)

        save()
        for folder, stage in list(stages.items())[1:]:
            runs = self.final(configs[folder], stage, folder)
            variant_finals += runs
            summary["variants"][folder.removeprefix("final-")] = {"protocol": stage, "config": configs[folder],
                                                                  **_seed_summary(runs)}
            save()
        return summary


def _settings(stage: dict) -> dict:
    """A final stage's training settings: everything but its list of seeds."""
    return {k: v for k, v in stage.items() if k != "seeds"}


def _seed_summary(finals: list[dict]) -> dict:
    """Per-seed test results of final runs and the mean and sd (ddof 1) of their accuracy."""
    accs = np.array([f["test"]["accuracy"] for f in finals])
    return {
        "seeds": [{"seed": f["seed"], "accuracy": f["test"]["accuracy"], "log_loss": f["test"]["log_loss"],
                   "best_epoch": f["best_epoch"], "epochs": f["epochs"], "fit_seconds": f["fit_seconds"]}
                  for f in finals],
        "test_accuracy_mean": float(accs.mean()),
        "test_accuracy_std": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
    }


def _bar(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", disable=not enabled)


def run_study(model: str, profile: str | dict = "quick", results: str | Path = "results",
              jobs: int = 1, data_root: str | Path | None = None, dask: str | None = None,
              progress: bool = True, threads: int | None = None) -> dict:
    """Run the study for ``model`` (``mlp``, ``cnn``) under ``profile``; see :class:`Study`.

    ``dask`` names a Dask scheduler address (or ``"local"`` for a LocalCluster) whose workers
    train the candidates through joblib's dask backend.
    """
    prof = profile if isinstance(profile, dict) else load_profile(profile)
    data = load_dataset(prof.get("dataset", "mnist"), data_root)
    study = Study(model, prof, results, data=data, jobs=jobs, threads=threads, progress=progress)
    if dask is None:
        return study.run()
    import joblib
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True) if dask == "local" else None
    with Client(cluster or dask), joblib.parallel_backend("dask"):
        return study.run()
