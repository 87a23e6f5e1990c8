"""MLP and CNN on MNIST as scikit-learn estimators (skorch), with a resumable hyperparameter study."""

from .data import ImageDataset, load_fashion_mnist, load_mnist, stratified_split, stratified_subset
from .estimators import CNNClassifier, MLPClassifier
from .models import CNN, MLP, count_parameters

__all__ = [
    "CNN", "CNNClassifier", "ImageDataset", "MLP", "MLPClassifier", "count_parameters",
    "load_fashion_mnist", "load_mnist", "stratified_split", "stratified_subset",
]
__version__ = "0.1.0"
