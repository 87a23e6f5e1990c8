import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import PredefinedSplit

from mnist_skorch.search import SequentialSearchCV, choose


class Bowl(ClassifierMixin, BaseEstimator):
    """Toy estimator whose score is a known function of its parameters (no learning)."""

    def __init__(self, a=0, b=0, c="x"):
        self.a, self.b, self.c = a, b, c

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def score(self, X, y):
        if self.c == "nan":
            return float("nan")
        return -((self.a - 2) ** 2) - 0.5 * (self.b - self.a) ** 2 + (0.5 if self.c == "y" else 0.0)


X = np.zeros((20, 2))
y = np.arange(20) % 2
CV = PredefinedSplit(np.r_[np.full(10, -1), np.zeros(10)])
SEQ = {"a": [0, 1, 2, 3], "b": [0, 1, 2, 3], "c": ["x", "y", "nan"]}


def test_coordinate_wise_optimum_and_sklearn_attributes():
    s = SequentialSearchCV(Bowl(), SEQ, initial_params={"a": 0, "b": 0, "c": "x"}, cv=CV).fit(X, y)
    # a: chosen with b=0 -> argmax of -(a-2)^2 - a^2/2 -> a=1; b then follows a -> 1; c: 'y'.
    assert s.best_params_ == {"a": 1, "b": 1, "c": "y"}
    assert [d["chosen"] for d in s.decisions_] == [1, 1, "y"]
    assert len(s.cv_results_["params"]) == 11 and s.best_score_ == pytest.approx(-1 + 0.5)
    assert s.decisions_[2]["diverged"] == [False, False, True]
    assert s.decisions_[0]["delta"] == pytest.approx(-1.5 - (-4))
    assert isinstance(s.best_estimator_, Bowl) and s.best_estimator_.get_params() == s.best_params_


def test_revisits_reach_the_joint_optimum_and_stop():
    s = SequentialSearchCV(Bowl(), SEQ, initial_params={"a": 0, "b": 0, "c": "x"}, max_revisits=5,
                           cv=CV, refit=False).fit(X, y)
    assert s.best_params_ == {"a": 2, "b": 2, "c": "y"}
    cycles = {d["cycle"] for d in s.decisions_}
    assert max(cycles) < 5 and not any(d["changed"] for d in s.decisions_ if d["cycle"] == max(cycles))


def test_parallel_matches_serial():
    kw = dict(initial_params={"a": 3, "b": 0}, cv=CV, refit=False)
    serial = SequentialSearchCV(Bowl(), SEQ, **kw).fit(X, y)
    para = SequentialSearchCV(Bowl(), SEQ, n_jobs=2, **kw).fit(X, y)
    assert str(serial.decisions_) == str(para.decisions_)  # str: nan == nan


def test_choose_rules():
    assert choose([0.5, 0.9, 0.9], [False, False, True]) == 2  # tie keeps the current value
    assert choose([0.5, 0.9, 0.9], [True, False, False]) == 1  # else the earliest tied
    assert choose([np.nan, 0.1], [True, False]) == 1  # NaN never wins
    assert choose([np.nan, np.nan], [False, True]) == 1  # all diverged: keep the current value


def test_empty_candidates_rejected():
    with pytest.raises(ValueError, match="no candidate values for 'a'"):
        SequentialSearchCV(Bowl(), {"a": []}, cv=CV).fit(X, y)
