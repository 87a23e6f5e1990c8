"""scikit-learn classifiers that train :mod:`mnist_skorch.models` through skorch."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EarlyStopping, EpochScoring, LRScheduler
from skorch.dataset import Dataset, ValidSplit
from skorch.helper import predefined_split

from .models import CNN, MLP, check_choice, check_positive_int, count_parameters

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}
MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")
#: Learning-rate schedules: constant (the seed's protocol) or cosine decay over ``max_epochs``.
LR_SCHEDULES = ("constant", "cosine")
N_CLASSES = 10
IMAGE_SHAPE = (28, 28)


def resolve_device(device: str) -> str:
    """``"auto"`` becomes ``"cuda"`` when a GPU is visible, else ``"cpu"``."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def as_images(X) -> np.ndarray:
    """Return ``X`` as float32 pixels in [0, 1] of shape ``(N, 28, 28)``.

    Accepts ``(N, 28, 28)``, ``(N, 1, 28, 28)`` or ``(N, 784)``; uint8 input is divided by 255,
    float input is taken to be on the [0, 1] scale already.
    """
    X = X.numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    if X.ndim == 4 and X.shape[1] == 1:
        X = X[:, 0]
    elif X.ndim == 2 and X.shape[1] == math.prod(IMAGE_SHAPE):
        X = X.reshape(-1, *IMAGE_SHAPE)
    if X.ndim != 3 or X.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"images must have shape (N, 28, 28), (N, 1, 28, 28) or (N, 784); got {X.shape}"
        )
    if X.dtype == np.uint8:
        return X.astype(np.float32) / np.float32(255.0)
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"images must be numeric, got dtype {X.dtype}")
    return X.astype(np.float32, copy=False)


def as_labels(y, n_samples: int) -> np.ndarray:
    """Validate integer labels in ``0..9`` and return them as int64."""
    y = np.asarray(y)
    if y.shape != (n_samples,):
        raise ValueError(f"labels must have shape ({n_samples},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= N_CLASSES:
        raise ValueError(
            f"labels must be integers in 0..{N_CLASSES - 1}; got dtype {y.dtype}, "
            f"range [{y.min()}, {y.max()}]"
        )
    return y.astype(np.int64)


def _dataset_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The (X, y) tensors behind a skorch ``Dataset`` or a ``Subset`` of one."""
    if isinstance(dataset, torch.utils.data.Subset):
        X, y = _dataset_tensors(dataset.dataset)
        idx = torch.as_tensor(dataset.indices)
        return X[idx], (None if y is None else y[idx])
    X, y = dataset.X, dataset.y
    X = torch.as_tensor(X)
    return X, (None if y is None else torch.as_tensor(y))


class TensorLoader:
    """Batches by slicing in-memory tensors: skorch's ``iterator_train``/``iterator_valid``.

    One gather per epoch replaces the per-sample ``Dataset.__getitem__`` + collate path of a
    ``DataLoader``. With ``shuffle`` the order comes from a generator seeded with ``seed``. In
    training, a final batch of a single example is dropped (BatchNorm cannot normalise it).
    """

    def __init__(self, dataset, batch_size: int = 64, shuffle: bool = False, seed: int | None = None,
                 memory_format: torch.memory_format = torch.contiguous_format) -> None:
        self.X, self.y = _dataset_tensors(dataset)
        if memory_format is not torch.contiguous_format and self.X.dim() == 4:
            self.X = self.X.contiguous(memory_format=memory_format)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def _stops(self) -> range:
        n = len(self.X)
        end = n - 1 if self.shuffle and n % self.batch_size == 1 and n > 1 else n
        return range(0, end, self.batch_size)

    def __len__(self) -> int:
        return len(self._stops())

    def __iter__(self):
        X, y = self.X, self.y
        if self.shuffle:
            perm = torch.randperm(len(X), generator=self.generator)
            X = X[perm]
            y = None if y is None else y[perm]
        for start in self._stops():
            stop = start + self.batch_size
            yield X[start:stop], (None if y is None else y[start:stop])


class LeanNeuralNetClassifier(NeuralNetClassifier):
    """skorch classifier with a lean train step: no closure and gradients set to ``None``.

    The closure form of :meth:`skorch.NeuralNet.train_step` exists for optimizers such as
    LBFGS that evaluate the loss several times; none of ours do.
    """

    def train_step(self, batch, **fit_params):
        for name in self._optimizers:
            getattr(self, name + "_").zero_grad(set_to_none=True)
        step = self.train_step_single(batch, **fit_params)
        for name in self._optimizers:
            getattr(self, name + "_").step()
        return step


class LearningRateLog(Callback):
    """Record the first parameter group's learning rate in the history every epoch."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])


class DivergenceGuard(Callback):
    """Stop training when the epoch's train (or valid) loss is NaN or infinite.

    Sets ``diverged_`` and raises ``KeyboardInterrupt``, skorch's way to end ``fit`` early
    (as :class:`skorch.callbacks.EarlyStopping` does).
    """

    def initialize(self):
        self.diverged_ = False
        return self

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = [row[k] for k in ("train_loss", "valid_loss") if k in row]
        if not all(math.isfinite(v) for v in losses):
            self.diverged_ = True
            raise KeyboardInterrupt


class _ImageClassifier(ClassifierMixin, BaseEstimator):
    """Shared implementation of :class:`MLPClassifier` and :class:`CNNClassifier`.

    Parameters
    ----------
    width, depth, activation, dropout_p, use_bn, weight_init : architecture (see the module).
    optimizer : one of ``adam``, ``adamw``, ``sgd``, ``rmsprop``.
    lr, weight_decay : optimizer step size and L2 weight decay (decoupled for AdamW).
    momentum : momentum for ``sgd`` and ``rmsprop`` (ignored by the Adam family).
    batch_size, max_epochs : mini-batch size and number of epochs.
    lr_schedule : ``"constant"`` (the seed's protocol) or ``"cosine"``: the rate decays from ``lr``
        along a half cosine over ``max_epochs``, stepped once per epoch.
    validation : ``None`` (no validation inside ``fit``) or a fraction for a seeded, stratified
        hold-out; ``fit(X, y, X_valid=..., y_valid=...)`` gives an explicit validation set instead.
    patience : stop after this many epochs without a better validation accuracy (``None``: never).
    restore_best : load the weights of the best validation-accuracy epoch at the end of ``fit``.
    random_state : seed of weight init, dropout, shuffling and the validation split.
    device : ``"auto"`` (cuda when present), ``"cpu"`` or ``"cuda"``.
    n_threads : torch CPU threads to use while fitting (``None``: leave as is).
    verbose : print skorch's per-epoch table when > 0.
    """

    _module_cls: type[torch.nn.Module]

    def __init__(
        self,
        width: int = 256,
        depth: int = 3,
        activation: str = "relu",
        dropout_p: float = 0.0,
        use_bn: bool = True,
        weight_init: str = "he",
        optimizer: str = "adamw",
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 1e-4,
        batch_size: int = 64,
        max_epochs: int = 10,
        lr_schedule: str = "constant",
        validation: float | None = None,
        patience: int | None = None,
        restore_best: bool = True,
        random_state: int = 0,
        device: str = "auto",
        n_threads: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.width = width
        self.depth = depth
        self.activation = activation
        self.dropout_p = dropout_p
        self.use_bn = use_bn
        self.weight_init = weight_init
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr_schedule = lr_schedule
        self.validation = validation
        self.patience = patience
        self.restore_best = restore_best
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    # -- construction -------------------------------------------------------------------------
    def _check_params(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("max_epochs", self.max_epochs)
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.validation is not None and not 0.0 < float(self.validation) < 1.0:
            raise ValueError(f"validation must be None or a fraction in (0, 1), got {self.validation!r}")
        if self.patience is not None:
            check_positive_int("patience", self.patience)
        check_choice("device", self.device, ("auto", "cpu", "cuda"))

    def module_params(self) -> dict:
        """Keyword arguments of the torch module."""
        return dict(width=self.width, depth=self.depth, activation=self.activation,
                    dropout_p=self.dropout_p, use_bn=self.use_bn, weight_init=self.weight_init)

    def _memory_format(self) -> torch.memory_format:
        return torch.contiguous_format

    def _build_net(self, train_split, has_valid: bool) -> NeuralNetClassifier:
        optimizer_kwargs = {"optimizer__weight_decay": self.weight_decay}
        if self.optimizer in MOMENTUM_OPTIMIZERS:
            optimizer_kwargs["optimizer__momentum"] = self.momentum
        callbacks = [
            ("train_acc", EpochScoring("accuracy", on_train=True, name="train_acc", lower_is_better=False)),
            ("lr_log", LearningRateLog()),
            ("divergence", DivergenceGuard()),
        ]
        if self.lr_schedule == "cosine":
            # after lr_log, so the history shows the rate each epoch trained with
            callbacks.append(("lr_scheduler", LRScheduler(
                policy=torch.optim.lr_scheduler.CosineAnnealingLR, T_max=self.max_epochs, event_name=None)))
        if has_valid:
            callbacks.append(("best", EarlyStopping(
                monitor="valid_acc", lower_is_better=False,
                patience=self.patience or self.max_epochs + 1, load_best=self.restore_best)))
        fmt = self._memory_format()
        return LeanNeuralNetClassifier(
            module=self._module_cls,
            **{f"module__{k}": v for k, v in self.module_params().items()},
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.lr,
            **optimizer_kwargs,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=TensorLoader,
            iterator_train__shuffle=True,
            iterator_train__seed=self.random_state,
            iterator_train__memory_format=fmt,
            iterator_valid=TensorLoader,
            iterator_valid__memory_format=fmt,
            train_split=train_split,
            callbacks=callbacks,
            callbacks__print_log=None if not self.verbose else "print_log",
            classes=list(range(N_CLASSES)),
            device=self.device_,
            verbose=self.verbose,
        )

    def _to_tensor(self, X) -> torch.Tensor:
        images = (as_images(X) - self.mean_) / self.std_
        return torch.from_numpy(np.ascontiguousarray(images[:, None], dtype=np.float32))

    # -- scikit-learn API ----------------------------------------------------------------------
    def fit(self, X, y, X_valid=None, y_valid=None):
        """Train on images ``X`` (uint8 or [0, 1] floats) and labels ``y`` in 0..9.

        ``X_valid``/``y_valid`` give an explicit validation set (it overrides ``validation``).
        The normalisation mean/std are computed from ``X`` alone.
        """
        self._check_params()
        self._module_cls(**self.module_params())  # validates the architecture early
        images = as_images(X)
        y = as_labels(y, len(images))
        self.device_ = resolve_device(self.device)
        self.mean_ = np.float32(images.mean())
        self.std_ = np.float32(images.std())
        Xt = self._to_tensor(images)
        if X_valid is not None:
            Xv = self._to_tensor(X_valid)
            yv = torch.from_numpy(as_labels(y_valid, len(Xv)))
            train_split = predefined_split(Dataset(Xv, yv))
        elif self.validation is not None:
            train_split = ValidSplit(self.validation, stratified=True, random_state=self.random_state)
        else:
            train_split = None
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        torch.manual_seed(self.random_state)
        self.net_ = self._build_net(train_split, has_valid=train_split is not None)
        self.net_.initialize()
        if self._memory_format() is not torch.contiguous_format:
            self.net_.module_.to(memory_format=self._memory_format())
        start = time.perf_counter()
        # partial_fit trains the network initialised above; fit would initialise it again.
        self.net_.partial_fit(Xt, torch.from_numpy(y))
        self.fit_seconds_ = time.perf_counter() - start
        self.classes_ = np.arange(N_CLASSES)
        self.history_ = self.net_.history
        self.n_epochs_ = len(self.history_)
        self.diverged_ = bool(dict(self.net_.callbacks_)["divergence"].diverged_)
        self.n_parameters_ = count_parameters(self.net_.module_)
        if train_split is not None and not self.diverged_:
            self.best_epoch_ = int(np.nanargmax(self.history_[:, "valid_acc"])) + 1
        else:
            self.best_epoch_ = self.n_epochs_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(N, 10)``."""
        check_is_fitted(self, "net_")
        return self.net_.predict_proba(self._to_tensor(X))

    def predict(self, X) -> np.ndarray:
        """Predicted labels, shape ``(N,)``."""
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy; ``nan`` for a run that diverged."""
        check_is_fitted(self, "net_")
        if self.diverged_:
            return float("nan")
        return super().score(X, y, sample_weight=sample_weight)

    def history_frame(self):
        """Per-epoch history as a DataFrame (epoch, losses, accuracies, lr, seconds)."""
        import pandas as pd

        check_is_fitted(self, "net_")
        keys = ["epoch", "train_loss", "train_acc", "valid_loss", "valid_acc", "lr", "dur"]
        rows = [{k: row.get(k) for k in keys if k in row} for row in self.history_]
        return pd.DataFrame(rows)


class MLPClassifier(_ImageClassifier):
    __doc__ = "Multilayer perceptron on flattened 28x28 images.\n" + (_ImageClassifier.__doc__ or "")
    _module_cls = MLP


class CNNClassifier(_ImageClassifier):
    __doc__ = "Convolutional network on 28x28 images (channels-last on CPU).\n" + (
        _ImageClassifier.__doc__ or "")
    _module_cls = CNN

    def _memory_format(self) -> torch.memory_format:
        return torch.channels_last
