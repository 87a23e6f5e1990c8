"""Sequential one-hyperparameter-at-a-time search built on scikit-learn's search machinery."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sklearn.model_selection._search import BaseSearchCV


def _as_sequence(param_sequence) -> list[tuple[str, list]]:
    items = param_sequence.items() if isinstance(param_sequence, Mapping) else param_sequence
    seq = [(str(name), list(values)) for name, values in items]
    for name, values in seq:
        if not values:
            raise ValueError(f"no candidate values for {name!r}")
    return seq


def choose(scores: Sequence[float], is_current: Sequence[bool]) -> int:
    """Index of the winning candidate: highest score; NaN (diverged) never wins.

    Ties go to the current value when it is among the tied, else to the earliest candidate.
    With every score NaN the current value (or the first candidate) is kept.
    """
    finite = np.where(np.isnan(np.asarray(scores, dtype=float)), -np.inf, scores)
    tied = np.flatnonzero(finite == finite.max())
    current = [i for i in tied if is_current[i]]
    return int(current[0] if current else tied[0])


class SequentialSearchCV(BaseSearchCV):
    """Coordinate-wise hyperparameter search (one parameter at a time).

    Starting from ``initial_params``, each coordinate of ``param_sequence`` is swept in order:
    every candidate value is cross-validated with all other parameters at the *current*
    baseline, the best mean test score wins (see :func:`choose`) and becomes part of the
    baseline. Optional revisit cycles repeat the whole sequence until no decision changes.

    Parameters
    ----------
    estimator : any scikit-learn estimator.
    param_sequence : ordered mapping (or list of pairs) ``name -> candidate values``.
    initial_params : the starting baseline; parameters missing here start at the first
        candidate value of their coordinate.
    max_revisits : at most this many extra cycles over all coordinates, stopping early once a
        cycle changes nothing.
    on_step : optional callable receiving each decision dict as soon as it is made.
    scoring, n_jobs, refit, cv, verbose, pre_dispatch, error_score, return_train_score :
        as in :class:`~sklearn.model_selection.GridSearchCV`.

    Attributes
    ----------
    decisions_ : list of dicts, one per coordinate step (cycle, parameter, candidates, scores,
        chosen value, previous value and its score, delta of the chosen score against it). The
        previous score is the current value's score in this step when it is a candidate, else
        the last step's winning score (``nan`` before the first step).
    initial_params_ : the complete starting baseline.
    cv_results_, best_params_, best_index_, best_score_, best_estimator_ : as in sklearn; the
        best candidate is the final baseline (the winner of the last step).
    """

    def __init__(
        self,
        estimator,
        param_sequence,
        *,
        initial_params: Mapping | None = None,
        max_revisits: int = 0,
        on_step: Callable[[dict], None] | None = None,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
    ):
        super().__init__(
            estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv,
            verbose=verbose, pre_dispatch=pre_dispatch, error_score=error_score,
            return_train_score=return_train_score,
        )
        self.param_sequence = param_sequence
        self.initial_params = initial_params
        self.max_revisits = max_revisits
        self.on_step = on_step

    def _run_search(self, evaluate_candidates):
        sequence = _as_sequence(self.param_sequence)
        if self.max_revisits < 0:
            raise ValueError(f"max_revisits must be >= 0, got {self.max_revisits}")
        current = {name: values[0] for name, values in sequence}
        current.update(self.initial_params or {})
        self.initial_params_ = dict(current)
        self.decisions_ = []
        baseline_score = np.nan
        step = 0
        for cycle in range(self.max_revisits + 1):
            changed = False
            for name, values in sequence:
                candidates = [{**current, name: v} for v in values]
                n = len(candidates)
                is_current = [v == current[name] for v in values]
                results = evaluate_candidates(candidates, more_results={
                    "sweep_step": [step] * n,
                    "sweep_cycle": [cycle] * n,
                    "sweep_param": [name] * n,
                    "sweep_is_current": is_current,
                })
                scores = np.asarray(results["mean_test_score"][-n:], dtype=float)
                win = choose(scores, is_current)
                previous = current[name]
                before = float(scores[values.index(previous)]) if previous in values else baseline_score
                decision = {
                    "step": step, "cycle": cycle, "param": name,
                    "candidates": list(values), "scores": [float(s) for s in scores],
                    "diverged": [bool(np.isnan(s)) for s in scores],
                    "previous": previous, "chosen": values[win],
                    "score": float(scores[win]),
                    "previous_score": before,
                    "delta": float(scores[win] - before),
                    "changed": values[win] != previous,
                }
                changed |= decision["changed"]
                current[name] = values[win]
                baseline_score = float(scores[win])
                self.decisions_.append(decision)
                if self.on_step is not None:
                    self.on_step(decision)
                step += 1
            if not changed:
                break

    @staticmethod
    def _select_best_index(refit, refit_metric, results):
        """The final baseline: the winner of the last step, by the rule of :func:`choose`."""
        steps = np.asarray(results["sweep_step"])
        last = np.flatnonzero(steps == steps.max())
        key = f"mean_test_{refit_metric}" if f"mean_test_{refit_metric}" in results else "mean_test_score"
        win = choose(np.asarray(results[key])[last], np.asarray(results["sweep_is_current"])[last])
        return int(last[win])
