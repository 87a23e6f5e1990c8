"""Test-set evaluation: global metrics, per-class report, confusion matrix and confusion pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, log_loss


def class_report(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> pd.DataFrame:
    """Per-class precision/recall/F1/support/prevalence plus macro, micro and weighted rows."""
    labels = list(range(n_classes))
    rep = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    rows = {str(c): rep[str(c)] for c in labels}
    micro = dict(zip(("precision", "recall", "f1-score"),
                     [accuracy_score(y_true, y_pred)] * 3, strict=False), support=len(y_true))
    rows.update({"macro avg": rep["macro avg"], "micro avg": micro, "weighted avg": rep["weighted avg"]})
    df = pd.DataFrame(rows).T.rename(columns={"f1-score": "f1"})
    df["support"] = df["support"].astype(int)
    df["prevalence"] = df["support"] / len(y_true)
    return df[["precision", "recall", "f1", "support", "prevalence"]]


def confusion_pairs(cm: np.ndarray, top: int = 10) -> pd.DataFrame:
    """The ``top`` most frequent (true -> predicted) mistakes, most frequent first."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    true, pred = np.unravel_index(np.argsort(off, axis=None, kind="stable")[::-1], off.shape)
    rows = [(int(t), int(p), int(off[t, p])) for t, p in zip(true, pred, strict=False) if off[t, p] > 0][:top]
    return pd.DataFrame(rows, columns=["true", "predicted", "count"])


def evaluate(y_true: np.ndarray, proba: np.ndarray) -> dict:
    """Accuracy, cross-entropy, per-class report, confusion matrix and top confusion pairs."""
    y_true = np.asarray(y_true)
    y_pred = proba.argmax(axis=1)
    cm = confusion_matrix(y_true, y_pred, labels=list(range(proba.shape[1])))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "log_loss": float(log_loss(y_true, np.clip(proba, 1e-12, 1.0), labels=list(range(proba.shape[1])))),
        "n_errors": int((y_pred != y_true).sum()),
        "n_test": int(len(y_true)),
        "report": class_report(y_true, y_pred, proba.shape[1]).reset_index(names="class").to_dict("records"),
        "confusion_matrix": cm.tolist(),
        "top_confusions": confusion_pairs(cm).to_dict("records"),
    }
