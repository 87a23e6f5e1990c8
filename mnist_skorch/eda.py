"""Data understanding: statistics of MNIST-like image sets (seed sections 2.1-2.7)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import ImageDataset

#: A pixel counts as "on" above this intensity (on the [0, 1] scale), as in the seed.
ON_THRESHOLD = 0.30
#: A pixel counts as near saturation at or above this intensity.
SATURATION = 0.90


def scaled(X: np.ndarray) -> np.ndarray:
    """uint8 images as float32 in [0, 1]."""
    return X.astype(np.float32) / 255.0


def structure_table(data: ImageDataset) -> pd.DataFrame:
    """Shapes, dtypes, value ranges and label coverage of both splits."""
    rows = []
    for split, X, y in (("train", data.X_train, data.y_train), ("test", data.X_test, data.y_test)):
        rows.append({"split": split, "images": len(X), "image shape": "x".join(map(str, X.shape[1:])),
                     "dtype": str(X.dtype), "min": int(X.min()), "max": int(X.max()),
                     "label dtype": str(y.dtype), "classes": len(np.unique(y))})
    return pd.DataFrame(rows)


def class_counts(data: ImageDataset) -> pd.DataFrame:
    """Images per class in train and test, with their shares."""
    df = pd.DataFrame({"train": np.bincount(data.y_train, minlength=10),
                       "test": np.bincount(data.y_test, minlength=10)})
    df.index.name = "class"
    df["train share"] = df["train"] / df["train"].sum()
    df["test share"] = df["test"] / df["test"].sum()
    return df


def pixel_stats(X: np.ndarray) -> dict[str, float]:
    """Mean, std, share of zero pixels and share near saturation on the [0, 1] scale."""
    x = scaled(X)
    return {"mean": float(x.mean()), "std": float(x.std()), "zero_share": float((X == 0).mean()),
            "saturated_share": float((x >= SATURATION).mean()), "saturation_threshold": SATURATION}


def class_means(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean image of every class, shape ``(10, 28, 28)``."""
    x = scaled(X)
    return np.stack([x[y == c].mean(axis=0) for c in range(10)])


def class_variances(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-pixel variance of every class, shape ``(10, 28, 28)``."""
    x = scaled(X)
    return np.stack([x[y == c].var(axis=0) for c in range(10)])


def centroids(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Intensity-weighted stroke centroid (row, column) per class: mean and standard deviation."""
    x = scaled(X)
    mass = x.sum(axis=(1, 2))
    grid = np.arange(28, dtype=np.float32)
    row = (x.sum(axis=2) @ grid) / mass
    col = (x.sum(axis=1) @ grid) / mass
    df = pd.DataFrame({"class": y, "row": row, "col": col})
    out = df.groupby("class").agg(row_mean=("row", "mean"), row_sd=("row", "std"),
                                  col_mean=("col", "mean"), col_sd=("col", "std"))
    return out


def symmetry_scores(X: np.ndarray) -> np.ndarray:
    """Left-right mirror symmetry per image: ``1 - sum|x - flip(x)| / sum(x + flip(x))`` in [0, 1]."""
    x = scaled(X)
    flipped = x[:, :, ::-1]
    return 1.0 - np.abs(x - flipped).sum(axis=(1, 2)) / (x + flipped).sum(axis=(1, 2))


def thickness(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Ink mass (mean intensity) and on-pixel ratio (share above :data:`ON_THRESHOLD`) per image."""
    x = scaled(X)
    return pd.DataFrame({"class": y, "ink mass": x.mean(axis=(1, 2)),
                         "on-pixel ratio": (x > ON_THRESHOLD).mean(axis=(1, 2)),
                         "symmetry": symmetry_scores(X)})


def per_class_summary(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Class means of ink mass, on-pixel ratio and symmetry, with centroids."""
    t = thickness(X, y).groupby("class").mean()
    return t.join(centroids(X, y))


def cosine_similarity_of_means(means: np.ndarray) -> np.ndarray:
    """Cosine similarity between flattened class-mean images, shape ``(10, 10)``."""
    flat = means.reshape(len(means), -1)
    unit = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    return unit @ unit.T


def top_pairs(similarity: np.ndarray, k: int = 5) -> pd.DataFrame:
    """The ``k`` most similar distinct class pairs."""
    i, j = np.triu_indices(len(similarity), k=1)
    order = np.argsort(similarity[i, j])[::-1][:k]
    return pd.DataFrame({"class a": i[order], "class b": j[order], "cosine": similarity[i, j][order]})


def split_shift_maps(data: ImageDataset) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel test-minus-train difference of the mean and of the standard deviation."""
    tr, te = scaled(data.X_train), scaled(data.X_test)
    return te.mean(axis=0) - tr.mean(axis=0), te.std(axis=0) - tr.std(axis=0)


def mmd_test(A: np.ndarray, B: np.ndarray, n: int = 1000, permutations: int = 200,
             random_state: int = 0) -> dict[str, float]:
    """Kernel two-sample test (RBF kernel, median-heuristic bandwidth) with a permutation p-value.

    ``n`` images are drawn from each set; the statistic is the biased MMD^2 estimate.
    """
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(random_state)
    a = scaled(A[rng.choice(len(A), n, replace=False)]).reshape(n, -1)
    b = scaled(B[rng.choice(len(B), n, replace=False)]).reshape(n, -1)
    Z = np.concatenate([a, b]).astype(np.float64)
    D2 = cdist(Z, Z, "sqeuclidean")
    bandwidth = np.median(D2[np.triu_indices(2 * n, k=1)])
    K = np.exp(-D2 / bandwidth)

    def stat(idx: np.ndarray) -> float:
        x, y = idx[:n], idx[n:]
        return K[np.ix_(x, x)].mean() + K[np.ix_(y, y)].mean() - 2 * K[np.ix_(x, y)].mean()

    observed = stat(np.arange(2 * n))
    null = np.array([stat(rng.permutation(2 * n)) for _ in range(permutations)])
    return {"mmd2": float(observed), "p_value": float((1 + (null >= observed).sum()) / (1 + permutations)),
            "n_per_split": n, "permutations": permutations, "bandwidth": float(bandwidth)}
