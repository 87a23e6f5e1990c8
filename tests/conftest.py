"""Shared fixtures: real MNIST from $MNIST_SKORCH_DATA (CI points it at ../shared/data)."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if not os.environ.get("MNIST_SKORCH_DATA") and (REPO.parent / "shared" / "data" / "MNIST").is_dir():
    os.environ["MNIST_SKORCH_DATA"] = str(REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def mnist():
    from mnist_skorch import load_mnist

    return load_mnist(download=False)


@pytest.fixture(scope="session")
def small(mnist):
    """2,000 stratified training images and 1,000 stratified test images."""
    from mnist_skorch import stratified_subset

    tr = stratified_subset(mnist.y_train, 200, random_state=0)
    te = stratified_subset(mnist.y_test, 100, random_state=0)
    return mnist.X_train[tr], mnist.y_train[tr], mnist.X_test[te], mnist.y_test[te]


@pytest.fixture(scope="session")
def quick_results(tmp_path_factory, mnist):
    """The quick profile's study for both models (run once per test session)."""
    from mnist_skorch.study import Study, load_profile

    root = Path(os.environ.get("MNIST_SKORCH_QUICK_RESULTS") or tmp_path_factory.mktemp("results"))
    for model in ("mlp", "cnn"):
        Study(model, load_profile("quick"), root, data=mnist, progress=False).run()
    return root
