import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, PredefinedSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from mnist_skorch import CNNClassifier, MLPClassifier

FAST = dict(width=64, depth=2, max_epochs=1, batch_size=128)


@pytest.mark.parametrize("cls, kwargs", [
    (MLPClassifier, dict(width=256, depth=2, max_epochs=2, lr=2e-3)),
    (CNNClassifier, dict(width=16, depth=2, use_bn=True, max_epochs=2, lr=2e-3)),
])
def test_learns_real_mnist_subset(small, cls, kwargs):
    Xtr, ytr, Xte, yte = small
    clf = cls(**kwargs, validation=0.1, random_state=0).fit(Xtr, ytr)
    acc = clf.score(Xte, yte)
    assert acc > 0.85, acc
    proba = clf.predict_proba(Xte)
    assert proba.shape == (1000, 10) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert clf.predict(Xte).shape == (1000,)
    h = clf.history_frame()
    assert list(h["epoch"]) == [1, 2] and {"train_loss", "train_acc", "valid_loss", "valid_acc", "lr"} <= set(h)
    assert h["lr"].eq(kwargs["lr"]).all() and h["valid_acc"].max() > 0.8
    assert 1 <= clf.best_epoch_ <= 2 and not clf.diverged_ and clf.n_parameters_ > 0


def test_normalisation_from_training_data(mnist):
    clf = MLPClassifier(width=8, depth=1, max_epochs=1, batch_size=1024).fit(mnist.X_train, mnist.y_train)
    assert clf.mean_ == pytest.approx(0.1307, abs=1e-4) and clf.std_ == pytest.approx(0.3081, abs=1e-4)


def test_same_seed_same_numbers(small):
    Xtr, ytr, Xte, _ = small
    runs = [MLPClassifier(**FAST, dropout_p=0.2, validation=0.2, random_state=7).fit(Xtr, ytr) for _ in range(2)]
    h0, h1 = (r.history_frame().drop(columns="dur") for r in runs)
    assert h0.equals(h1)
    assert np.array_equal(runs[0].predict_proba(Xte), runs[1].predict_proba(Xte))
    other = MLPClassifier(**FAST, dropout_p=0.2, validation=0.2, random_state=8).fit(Xtr, ytr)
    assert not np.array_equal(other.predict_proba(Xte), runs[0].predict_proba(Xte))


def test_sklearn_contract(small):
    Xtr, ytr, Xte, yte = small
    clf = MLPClassifier(**FAST, optimizer="sgd", momentum=0.5)
    assert clone(clf).get_params() == clf.get_params()
    clf.set_params(lr=0.05, depth=1)
    assert clf.get_params()["lr"] == 0.05 and not hasattr(clf, "net_")
    fitted = clf.fit(Xtr, ytr)
    assert fitted is clf and hasattr(clf, "net_")
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict(Xte), clf.predict(Xte))
    scale = FunctionTransformer(lambda X: X.astype(np.float32) / 255.0)
    pipe = Pipeline([("scale", scale), ("clf", MLPClassifier(**FAST))]).fit(Xtr, ytr)
    assert pipe.score(Xte, yte) > 0.5
    scores = cross_val_score(MLPClassifier(**FAST, lr=3e-3), Xtr, ytr, cv=2)
    assert scores.shape == (2,) and (scores > 0.5).all()
    cv = PredefinedSplit(np.r_[np.full(1500, -1), np.zeros(500)])
    grid = GridSearchCV(MLPClassifier(**FAST), {"lr": [1e-4, 3e-3]}, cv=cv).fit(Xtr, ytr)
    assert grid.best_params_ == {"lr": 3e-3} and len(grid.cv_results_["params"]) == 2


def test_explicit_validation_and_restore_best(small):
    Xtr, ytr, Xte, yte = small
    clf = MLPClassifier(**{**FAST, "max_epochs": 3}).fit(Xtr, ytr, X_valid=Xte, y_valid=yte)
    h = clf.history_frame()
    assert len(h) == 3 and clf.best_epoch_ == int(h["valid_acc"].idxmax()) + 1
    assert clf.score(Xte, yte) == pytest.approx(h["valid_acc"].max())


def test_cosine_schedule_decays_the_rate_per_epoch(small):
    Xtr, ytr, _, _ = small
    clf = MLPClassifier(**{**FAST, "max_epochs": 3, "lr": 2e-3, "lr_schedule": "cosine"}).fit(Xtr, ytr)
    expected = [2e-3 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
    assert clf.history_frame()["lr"].tolist() == pytest.approx(expected)


def test_input_shapes_accepted(small):
    Xtr, ytr, Xte, _ = small
    clf = MLPClassifier(**FAST).fit(Xtr.reshape(-1, 784), ytr)
    p = clf.predict(Xte)
    assert np.array_equal(p, clf.predict(Xte[:, None])) and np.array_equal(p, clf.predict(Xte / 255.0))


@pytest.mark.parametrize("params, match", [
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'; allowed: .*adamw"),
    ({"activation": "mish"}, "unknown activation 'mish'"),
    ({"weight_init": "zeros"}, "unknown weight_init"),
    ({"width": -1}, "width must be a positive integer, got -1"),
    ({"depth": 0}, "depth must be a positive integer"),
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"dropout_p": 1.5}, "dropout_p"),
    ({"lr": -1.0}, "lr must be a positive number"),
    ({"validation": 1.2}, "validation must be None or a fraction"),
    ({"device": "tpu"}, "unknown device 'tpu'"),
    ({"lr_schedule": "step"}, "unknown lr_schedule 'step'; allowed: .*cosine"),
])
def test_bad_params_raise(small, params, match):
    Xtr, ytr, _, _ = small
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**{**FAST, **params}).fit(Xtr[:50], ytr[:50])


def test_bad_data_raise():
    X = np.zeros((20, 28, 28), np.uint8)
    y = np.arange(20) % 10
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28\).*got \(20, 28, 27\)"):
        MLPClassifier(**FAST).fit(X[:, :, :27], y)
    with pytest.raises(ValueError, match=r"integers in 0..9.*range \[0, 12\]"):
        MLPClassifier(**FAST).fit(X, np.arange(20) % 13)
    with pytest.raises(ValueError, match=r"labels must have shape \(20,\)"):
        MLPClassifier(**FAST).fit(X, y[:5])


def test_divergence_is_recorded_not_raised(small):
    Xtr, ytr, Xte, yte = small
    clf = MLPClassifier(width=64, depth=2, use_bn=False, activation="sigmoid", optimizer="sgd", lr=1e12,
                        momentum=0.9, max_epochs=5, batch_size=64, validation=0.2).fit(Xtr, ytr)
    assert clf.diverged_ and clf.n_epochs_ < 5
    assert np.isnan(clf.score(Xte, yte))
