import numpy as np
import pytest

from mnist_skorch import eda
from mnist_skorch.metrics import class_report, confusion_pairs, evaluate


def test_evaluate_on_known_predictions():
    y = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    proba = np.eye(4)[[0, 1, 1, 1, 2, 2, 0, 3]] * 0.9 + 0.025
    out = evaluate(y, proba)
    assert out["accuracy"] == pytest.approx(6 / 8) and out["n_errors"] == 2
    cm = np.array(out["confusion_matrix"])
    assert cm[0, 1] == 1 and cm[2, 0] == 1 and cm.trace() == 6
    assert out["log_loss"] == pytest.approx(-np.mean(np.log(proba[np.arange(8), y])), rel=1e-6)
    rep = class_report(y, proba.argmax(1), 4)
    assert rep.loc["micro avg", "f1"] == pytest.approx(6 / 8)
    assert rep.loc["1", "precision"] == pytest.approx(2 / 3) and rep.loc["1", "recall"] == 1.0
    assert rep.loc["2", "prevalence"] == pytest.approx(3 / 8) and rep["support"].iloc[:4].sum() == 8


def test_confusion_pairs_sorted():
    cm = np.array([[5, 3, 0], [1, 5, 7], [0, 0, 5]])
    p = confusion_pairs(cm, top=2)
    assert p.values.tolist() == [[1, 2, 7], [0, 1, 3]]


def test_symmetry_and_thickness():
    img = np.zeros((2, 28, 28), np.uint8)
    img[0, 10:18, 10:18] = 255  # centred square: mirror-symmetric
    img[1, 5:10, 2:6] = 255  # left blob: no overlap with its mirror image
    s = eda.symmetry_scores(img)
    assert s[0] == pytest.approx(1.0) and s[1] == pytest.approx(0.0)
    t = eda.thickness(img, np.array([0, 1]))
    assert t["ink mass"].tolist() == pytest.approx([64 / 784, 20 / 784])
    c = eda.centroids(np.repeat(img[:1], 3, axis=0), np.zeros(3, int))
    assert c.loc[0, "row_mean"] == pytest.approx(13.5) and c.loc[0, "col_mean"] == pytest.approx(13.5)


def test_mmd_detects_shift_and_not_sameness(mnist):
    same = eda.mmd_test(mnist.X_train[:3000], mnist.X_train[3000:6000], n=300, permutations=100)
    zeros = mnist.X_train[mnist.y_train == 0]
    ones = mnist.X_train[mnist.y_train == 1]
    shifted = eda.mmd_test(zeros, ones, n=300, permutations=100)
    assert same["p_value"] > 0.05 and shifted["p_value"] < 0.02 and shifted["mmd2"] > same["mmd2"]


def test_pixel_stats_match_the_known_constants(mnist):
    s = eda.pixel_stats(mnist.X_train)
    assert s["mean"] == pytest.approx(0.1307, abs=1e-4) and s["std"] == pytest.approx(0.3081, abs=1e-4)
    assert 0.75 < s["zero_share"] < 0.85
