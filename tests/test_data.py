import gzip
import shutil

import numpy as np
import pytest

from mnist_skorch import data as D  # noqa: N812


def test_mnist_shapes_dtypes_and_balance(mnist):
    assert mnist.X_train.shape == (60000, 28, 28) and mnist.X_train.dtype == np.uint8
    assert mnist.X_test.shape == (10000, 28, 28) and mnist.y_test.dtype == np.int64
    assert set(np.unique(mnist.y_train)) == set(range(10))
    counts = np.bincount(mnist.y_train)
    assert counts.min() >= 5400 and counts.max() <= 6800


def test_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(D.DATA_ENV, str(tmp_path))
    assert D.default_root() == tmp_path
    monkeypatch.delenv(D.DATA_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert D.default_root() == tmp_path / "cache" / "mnist_skorch"


def _write_idx(raw, n=5):
    """Small valid IDX files (not the canonical ones)."""
    raw.mkdir(parents=True)
    header = lambda magic, *dims: np.array([magic, *dims], dtype=">i4").tobytes()  # noqa: E731
    for prefix, count in (("train", n), ("t10k", n)):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(header(2051, count, 28, 28) + bytes(count * 784))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(header(2049, count) + bytes(count))


def test_missing_files_error_names_place_and_fix(tmp_path):
    with pytest.raises(D.DataError, match="MNIST_SKORCH_DATA") as err:
        D.load_mnist(tmp_path, download=False)
    assert str(tmp_path) in str(err.value)


def test_offline_download_failure_is_clear(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    def offline(self):
        raise RuntimeError("network unreachable")

    monkeypatch.setattr(MNIST, "download", offline)
    with pytest.raises(D.DataError, match="could not be downloaded.*network unreachable"):
        D.load_mnist(tmp_path)


def test_non_canonical_files_are_rejected(tmp_path):
    _write_idx(tmp_path / "MNIST" / "raw")
    with pytest.raises(D.DataError, match="corrupt or truncated.*train-images"):
        D.load_mnist(tmp_path, download=False)


def test_truncated_copy_of_real_file_is_rejected(tmp_path, mnist):
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(mnist.root / "MNIST" / "raw", raw)
    (raw / "t10k-labels-idx1-ubyte").chmod(0o644)
    data = (raw / "t10k-labels-idx1-ubyte").read_bytes()
    (raw / "t10k-labels-idx1-ubyte").write_bytes(data[:-10])
    with pytest.raises(D.DataError, match="t10k-labels"):
        D.load_mnist(tmp_path, download=False)


def test_md5_of_good_file(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(gzip.compress(b"x"))
    assert D.md5sum(p) == __import__("hashlib").md5(p.read_bytes()).hexdigest()


def test_stratified_split_keeps_class_shares(mnist):
    train, valid = D.stratified_split(mnist.y_train, 6000, random_state=0)
    assert len(valid) == 6000 and len(train) == 54000 and not set(train) & set(valid)
    share_all = np.bincount(mnist.y_train) / 60000
    share_val = np.bincount(mnist.y_train[valid]) / 6000
    assert np.abs(share_all - share_val).max() < 0.002
    again = D.stratified_split(mnist.y_train, 6000, random_state=0)[1]
    assert np.array_equal(valid, again)
    assert not np.array_equal(valid, D.stratified_split(mnist.y_train, 6000, random_state=1)[1])


def test_stratified_subset_exact_per_class(mnist):
    idx = D.stratified_subset(mnist.y_train, 37, random_state=3)
    assert np.array_equal(np.bincount(mnist.y_train[idx]), np.full(10, 37))
    with pytest.raises(ValueError, match="n_per_class"):
        D.stratified_subset(mnist.y_train, 0)
    with pytest.raises(ValueError, match="fewer than"):
        D.stratified_subset(mnist.y_train[:50], 40)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="allowed.*fashion_mnist"):
        D.load_dataset("cifar")


@pytest.mark.skipif(not D.FASHION_DEBIAN_DIR.is_dir(),
                    reason="Debian package dataset-fashion-mnist not installed (.ci/run installs it)")
def test_fashion_mnist_from_debian_package(tmp_path):
    ds = D.load_fashion_mnist(tmp_path)
    assert ds.X_train.shape == (60000, 28, 28) and ds.X_test.shape == (10000, 28, 28)
    assert ds.classes[9] == "Ankle boot" and np.bincount(ds.y_test).tolist() == [1000] * 10
