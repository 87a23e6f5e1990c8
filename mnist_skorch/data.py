"""Loading MNIST and Fashion-MNIST through torchvision, with checksums and stratified helpers."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

#: Environment variable naming a data root (the folder that holds ``MNIST/raw``).
DATA_ENV = "MNIST_SKORCH_DATA"

#: Canonical MD5 sums of the four uncompressed MNIST files.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

#: Where Debian's ``dataset-fashion-mnist`` package puts its files, and its list of MD5 sums.
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_DEBIAN_MD5SUMS = Path("/var/lib/dpkg/info/dataset-fashion-mnist.md5sums")

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


class DataError(FileNotFoundError):
    """Raised when data files are missing, unreadable or corrupt."""


@dataclass(frozen=True)
class ImageDataset:
    """Train and test images (uint8, ``(N, 28, 28)``) with int64 labels."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    root: Path


def default_root() -> Path:
    """Data root: ``$MNIST_SKORCH_DATA``, else ``$XDG_CACHE_HOME/mnist_skorch`` (``~/.cache``)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mnist_skorch"


def md5sum(path: Path) -> str:
    """MD5 hex digest of a file."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_files(raw: Path, expected: dict[str, str]) -> None:
    """Raise :class:`DataError` unless every file in ``expected`` exists in ``raw`` with its MD5."""
    for name, md5 in expected.items():
        path = raw / name
        if not path.is_file():
            raise DataError(f"missing data file {path}")
        got = md5sum(path)
        if got != md5:
            raise DataError(
                f"corrupt or truncated data file {path}: MD5 {got}, expected {md5}. "
                "Delete it and download again, or point the loader at a good copy."
            )


def _to_arrays(ds) -> tuple[np.ndarray, np.ndarray]:
    X = ds.data.numpy().astype(np.uint8, copy=False)
    y = ds.targets.numpy().astype(np.int64, copy=False)
    return X, y


def _not_found(name: str, root: Path, err: Exception) -> DataError:
    return DataError(
        f"{name} not found under {root} and could not be downloaded ({err}). "
        f"Pass root=<folder holding {name}/raw> or set ${DATA_ENV} to a local copy."
    )


def load_mnist(root: str | Path | None = None, download: bool | None = None) -> ImageDataset:
    """Load MNIST via :class:`torchvision.datasets.MNIST`.

    Parameters
    ----------
    root : folder that holds ``MNIST/raw``; default :func:`default_root`.
    download : download when missing. ``None`` tries only if the files are absent.

    Returns
    -------
    ImageDataset with uint8 images ``(N, 28, 28)`` and int64 labels.
    """
    from torchvision.datasets import MNIST

    root = Path(root).expanduser() if root is not None else default_root()
    raw = root / "MNIST" / "raw"
    present = all((raw / n).is_file() for n in MNIST_MD5)
    if not present:
        if download is False:
            raise DataError(
                f"MNIST files missing in {raw} (download=False). "
                f"Pass root=<folder holding MNIST/raw> or set ${DATA_ENV}."
            )
        try:
            MNIST(root=str(root), train=True, download=True)
        except Exception as err:  # offline, permission denied, ...
            raise _not_found("MNIST", root, err) from err
    verify_files(raw, MNIST_MD5)
    X_train, y_train = _to_arrays(MNIST(root=str(root), train=True, download=False))
    X_test, y_test = _to_arrays(MNIST(root=str(root), train=False, download=False))
    return ImageDataset("mnist", X_train, y_train, X_test, y_test, tuple(str(i) for i in range(10)), root)


def _debian_md5s() -> dict[str, str]:
    """File name -> MD5 from the Debian package's own checksum list (Debian recompressed the files)."""
    if not FASHION_DEBIAN_MD5SUMS.is_file():
        return {}
    pairs = (line.split() for line in FASHION_DEBIAN_MD5SUMS.read_text().splitlines() if line.strip())
    return {Path(path).name: md5 for md5, path in pairs}


def load_fashion_mnist(root: str | Path | None = None, download: bool | None = None) -> ImageDataset:
    """Load Fashion-MNIST via :class:`torchvision.datasets.FashionMNIST`.

    When ``root`` lacks the files and Debian's ``dataset-fashion-mnist`` package is installed, its
    compressed files are checked against torchvision's MD5s or the package's own MD5 list and
    extracted into ``root``.
    """
    from torchvision.datasets import FashionMNIST
    from torchvision.datasets.utils import extract_archive

    root = Path(root).expanduser() if root is not None else default_root()
    raw = root / "FashionMNIST" / "raw"
    names = [Path(url).name for url, _ in FashionMNIST.resources]
    if not all((raw / Path(n).stem).is_file() for n in names):
        if FASHION_DEBIAN_DIR.is_dir():
            raw.mkdir(parents=True, exist_ok=True)
            debian = _debian_md5s()
            for name, md5 in ((Path(u).name, m) for u, m in FashionMNIST.resources):
                src = FASHION_DEBIAN_DIR / name
                allowed = {md5, debian.get(name)}
                got = md5sum(src) if src.is_file() else "missing"
                if got not in allowed:
                    raise DataError(f"corrupt or missing {src}: MD5 {got}, expected one of {sorted(allowed - {None})}")
                extract_archive(str(src), str(raw))
        elif download is False:
            raise DataError(f"Fashion-MNIST files missing in {raw} (download=False)")
        else:
            try:
                FashionMNIST(root=str(root), train=True, download=True)
            except Exception as err:
                raise _not_found("FashionMNIST", root, err) from err
    X_train, y_train = _to_arrays(FashionMNIST(root=str(root), train=True, download=False))
    X_test, y_test = _to_arrays(FashionMNIST(root=str(root), train=False, download=False))
    return ImageDataset("fashion_mnist", X_train, y_train, X_test, y_test, FASHION_CLASSES, root)


def load_dataset(name: str, root: str | Path | None = None) -> ImageDataset:
    """Load a dataset by name (``mnist`` or ``fashion_mnist``)."""
    loaders = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; allowed: {sorted(loaders)}")
    return loaders[name](root)


def stratified_split(
    y: np.ndarray, valid_size: float | int = 6000, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified train/validation split; returns sorted index arrays."""
    idx = np.arange(len(y))
    train, valid = train_test_split(idx, test_size=valid_size, stratify=y, random_state=random_state)
    return np.sort(train), np.sort(valid)


def stratified_subset(y: np.ndarray, n_per_class: int, random_state: int = 0) -> np.ndarray:
    """Indices of ``n_per_class`` examples of every class, drawn without replacement (sorted)."""
    if n_per_class <= 0:
        raise ValueError(f"n_per_class must be positive, got {n_per_class}")
    rng = np.random.default_rng(random_state)
    picks = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        if len(members) < n_per_class:
            raise ValueError(f"class {cls} has {len(members)} examples, fewer than n_per_class={n_per_class}")
        picks.append(rng.choice(members, n_per_class, replace=False))
    return np.sort(np.concatenate(picks))
