"""Results registry: one human-readable JSON record per trained run, keyed by what determines it."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone

log = logging.getLogger("mnist_skorch")

STATUSES = ("ok", "diverged")
#: Bumped whenever a code change alters what a run computes, so older records are not reused.
RUN_FORMAT = 2
#: Estimator parameters that do not change a run's result.
NON_RESULT_PARAMS = ("verbose", "n_threads")
#: Parameters added after RUN_FORMAT 2 enter a run key only when they differ from these values,
#: so records made before the parameter existed keep their keys.
KEY_DEFAULTS = {"lr_schedule": "constant"}


def fingerprint(*arrays) -> str:
    """Short SHA-1 of the arrays' dtypes, shapes and bytes."""
    digest = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()[:16]


def jsonable(obj):
    """Convert numpy scalars/arrays (recursively) to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else obj
    return obj


def write_json(path: Path, data) -> None:
    """Write JSON atomically (temporary file + rename): a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(jsonable(data), fh, indent=1, allow_nan=False)
        fh.write("\n")
    os.replace(tmp, path)


def read_json(path: Path):
    """Parsed JSON, or ``None`` for a missing, empty or corrupt file."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def library_versions() -> dict[str, str]:
    import sklearn
    import skorch
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "skorch": skorch.__version__, "sklearn": sklearn.__version__, "numpy": np.__version__}


def hardware() -> str:
    """GPU name, or the CPU model with the number of cores and torch threads."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    cpu = platform.processor() or platform.machine()
    try:
        names = [ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu} ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


class Registry:
    """Folder of run records ``runs/<key>.json``; records that fail to parse count as absent."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"

    def path(self, key: str) -> Path:
        return self.runs / f"{key}.json"

    def load(self, key: str) -> dict | None:
        rec = read_json(self.path(key))
        if rec is None:
            if self.path(key).exists():
                log.warning("corrupt record %s: it will be redone", self.path(key))
            return None
        if rec.get("key") != key or rec.get("status") not in STATUSES or "valid_score" not in rec:
            log.warning("incomplete record %s: it will be redone", self.path(key))
            return None
        return rec

    def save(self, rec: dict) -> None:
        write_json(self.path(rec["key"]), rec)

    def records(self) -> list[dict]:
        """All valid records, oldest first."""
        out = [self.load(p.stem) for p in sorted(self.runs.glob("*.json"))]
        return sorted((r for r in out if r), key=lambda r: r.get("finished_at", ""))


def core_seconds(rec: dict) -> float:
    """CPU time of a record's training: its fit seconds times the torch threads it ran with.

    The thread count is read from the record's ``hardware`` string; a GPU run counts once.
    """
    m = re.search(r"(\d+) torch threads", rec.get("hardware", ""))
    return (rec.get("fit_seconds") or 0.0) * (int(m.group(1)) if m else 1)


def run_key(estimator, tags: dict, *fingerprints: str) -> str:
    """Hash of the estimator class and result-relevant params, the tags and the data fingerprints."""
    params = {k: v for k, v in estimator.get_params(deep=False).items()
              if k not in NON_RESULT_PARAMS and not (k in KEY_DEFAULTS and v == KEY_DEFAULTS[k])}
    blob = json.dumps([RUN_FORMAT, type(estimator).__name__, jsonable(params), jsonable(tags), fingerprints],
                      sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:20]


class RecordedEstimator(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` unless the registry already holds the run, then record it.

    ``fit(X, y, X_valid, y_valid)`` keys the run by the estimator's parameters, ``tags`` and the
    data; a finished run is not retrained. ``score`` on the validation data returns the recorded
    validation accuracy, so scikit-learn searches resume without retraining. Predictions need a
    live model (a run trained in this process).
    """

    def __init__(self, estimator, registry: str | Path | None = None, tags: dict | None = None) -> None:
        self.estimator = estimator
        self.registry = registry
        self.tags = tags

    def fit(self, X, y, X_valid=None, y_valid=None):
        if X_valid is None or y_valid is None:
            raise ValueError("RecordedEstimator.fit needs X_valid and y_valid (the validation fold)")
        valid_fp = fingerprint(X_valid, y_valid)
        key = run_key(self.estimator, self.tags or {}, fingerprint(X, y), valid_fp)
        registry = Registry(self.registry) if self.registry is not None else None
        rec = registry.load(key) if registry else None
        self.estimator_ = None
        self.restored_ = rec is not None
        if rec is None:
            est = clone(self.estimator).fit(X, y, X_valid=X_valid, y_valid=y_valid)
            rec = self._record(est, key, X, valid_fp, X_valid, y_valid)
            if registry:
                registry.save(rec)
            self.estimator_ = est
            log.info("trained %s", _summary(rec))
        else:
            log.info("restored %s", _summary(rec))
        self.record_ = rec
        self.classes_ = np.arange(10)
        return self

    def _record(self, est, key, X, valid_fp, X_valid, y_valid) -> dict:
        diverged = bool(getattr(est, "diverged_", False))
        history = est.history_frame().to_dict("records") if hasattr(est, "history_frame") else []
        return {
            "key": key,
            "status": "diverged" if diverged else "ok",
            "model": type(est).__name__,
            "params": est.get_params(deep=False),
            "tags": self.tags or {},
            "n_train": len(X),
            "n_valid": len(X_valid),
            "valid_fingerprint": valid_fp,
            "valid_score": None if diverged else float(est.score(X_valid, y_valid)),
            "epochs": getattr(est, "n_epochs_", None),
            "best_epoch": getattr(est, "best_epoch_", None),
            "n_parameters": getattr(est, "n_parameters_", None),
            "fit_seconds": getattr(est, "fit_seconds_", None),
            "device": getattr(est, "device_", None),
            "hardware": hardware(),
            "versions": library_versions(),
            "history": history,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }

    def score(self, X, y, sample_weight=None) -> float:
        """Recorded validation accuracy on the validation data (``nan`` if diverged)."""
        if sample_weight is None and fingerprint(X, y) == self.record_["valid_fingerprint"]:
            score = self.record_["valid_score"]
            return float("nan") if score is None else float(score)
        return self._live().score(X, y, sample_weight=sample_weight)

    def _live(self):
        if self.estimator_ is None:
            raise RuntimeError(f"run {self.record_['key']} was restored from the registry; "
                               "only its recorded validation score is available")
        return self.estimator_

    def predict(self, X):
        return self._live().predict(X)

    def predict_proba(self, X):
        return self._live().predict_proba(X)


def _summary(rec: dict) -> str:
    score = rec["valid_score"]
    shown = "diverged" if score is None else f"val_acc={score:.4f}"
    changed = {k: rec["params"][k] for k in ("batch_size", "width", "depth", "lr", "optimizer")
               if k in rec["params"]}
    return f"{rec['model']} {shown} {rec.get('fit_seconds') or 0:.0f}s {changed}"
