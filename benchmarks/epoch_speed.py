"""Time one training epoch (with validation) of our estimators against a plain PyTorch loop.

Prints, for MLP and CNN at batch sizes 64 and 256, the min and median over interleaved repeats of
the epoch time of: a plain PyTorch loop over in-memory tensors (1.00x), skorch's default
``NeuralNetClassifier`` (per-sample Dataset + DataLoader collate) and our ``MLPClassifier`` /
``CNNClassifier``. Same module, same data, same batch size, one thread setting.

    python benchmarks/epoch_speed.py [--n-train 20000] [--repeats 4] [--models mlp cnn] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from mnist_skorch import CNNClassifier, MLPClassifier, load_mnist, stratified_subset
from mnist_skorch.models import CNN, MLP

CONFIGS = {
    "mlp": (MLPClassifier, MLP, dict(width=256, depth=3, use_bn=True)),
    "cnn": (CNNClassifier, CNN, dict(width=32, depth=3, use_bn=False)),
}


def tensors(X, mean, std, channels_last):
    t = torch.from_numpy(((X.astype(np.float32) / 255 - mean) / std)[:, None].copy())
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def plain_epoch(module_cls, arch, Xt, yt, Xv, yv, batch_size, channels_last) -> float:
    """One epoch of a hand-written loop: shuffle, step, track loss/accuracy, then validate."""
    torch.manual_seed(0)
    model = module_cls(**arch)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    perm = torch.randperm(len(Xt))
    Xs, ys = Xt[perm], yt[perm]
    losses, correct = [], 0
    for i in range(0, len(Xs), batch_size):
        xb, yb = Xs[i:i + batch_size], ys[i:i + batch_size]
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        correct += (out.argmax(1) == yb).sum().item()
    model.eval()
    vloss, vcorrect = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(Xv), batch_size):
            out = model(Xv[i:i + batch_size])
            vloss += loss_fn(out, yv[i:i + batch_size]).item()
            vcorrect += (out.argmax(1) == yv[i:i + batch_size]).sum().item()
    elapsed = time.perf_counter() - start
    assert np.isfinite(vloss + sum(losses)) and correct + vcorrect > 0
    return elapsed


def skorch_default_epoch(module_cls, arch, Xt, yt, Xv, yv, batch_size, channels_last) -> float:
    torch.manual_seed(0)
    net = NeuralNetClassifier(module_cls, **{f"module__{k}": v for k, v in arch.items()},
                              optimizer=torch.optim.AdamW, lr=1e-3, optimizer__weight_decay=1e-4,
                              batch_size=batch_size, max_epochs=1, iterator_train__shuffle=True,
                              train_split=predefined_split(Dataset(Xv, yv)), verbose=0)
    net.initialize()
    if channels_last:
        net.module_.to(memory_format=torch.channels_last)
    net.fit(Xt, yt)
    return net.history[-1, "dur"]


def ours_epoch(est_cls, arch, X, y, Xv_raw, yv_raw, batch_size) -> tuple[float, float]:
    est = est_cls(**arch, optimizer="adamw", lr=1e-3, weight_decay=1e-4, batch_size=batch_size, max_epochs=1,
                  n_threads=torch.get_num_threads())
    start = time.perf_counter()
    est.fit(X, y, X_valid=Xv_raw, y_valid=yv_raw)
    return est.history_[-1, "dur"], time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=20000)
    ap.add_argument("--n-valid", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=list(CONFIGS))
    ap.add_argument("--batch-sizes", nargs="+", type=int, default=[64, 256])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_mnist()
    tr = stratified_subset(data.y_train, args.n_train // 10, random_state=0)
    va = np.setdiff1d(np.arange(len(data.y_train)), tr)[: args.n_valid]
    X, y, Xv_raw, yv_raw = data.X_train[tr], data.y_train[tr], data.X_train[va], data.y_train[va]
    mean, std = float(X.mean() / 255), float((X / 255).std())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.n_train} train / "
          f"{args.n_valid} valid images, {args.repeats} interleaved repeats; times in seconds per epoch")
    print(f"{'model':5} {'batch':>5} {'plain min':>9} {'skorch-default':>16} {'ours (epoch)':>14} "
          f"{'ours (whole fit)':>17}")
    for model in args.models:
        est_cls, module_cls, arch = CONFIGS[model]
        cl = model == "cnn"
        Xt, Xv = tensors(X, mean, std, cl), tensors(Xv_raw, mean, std, cl)
        yt, yv = torch.from_numpy(y), torch.from_numpy(yv_raw)
        for bs in args.batch_sizes:
            times = {"plain": [], "skorch": [], "ours": [], "ours_fit": []}
            for _ in range(args.repeats):
                times["plain"].append(plain_epoch(module_cls, arch, Xt, yt, Xv, yv, bs, cl))
                times["skorch"].append(skorch_default_epoch(module_cls, arch, Xt, yt, Xv, yv, bs, cl))
                epoch, whole = ours_epoch(est_cls, arch, X, y, Xv_raw, yv_raw, bs)
                times["ours"].append(epoch)
                times["ours_fit"].append(whole)
            base_min, base_med = min(times["plain"]), statistics.median(times["plain"])

            def ratio(key, base_min=base_min, base_med=base_med, times=times):
                return f"{min(times[key]) / base_min:.2f}x/{statistics.median(times[key]) / base_med:.2f}x"

            print(f"{model:5} {bs:5d} {base_min:9.2f} {ratio('skorch'):>16} {ratio('ours'):>14} "
                  f"{ratio('ours_fit'):>17}")
    print("ratios: min/median against the plain loop's min/median")


if __name__ == "__main__":
    main()
