"""Command line: ``python -m mnist_skorch study|headline``."""

from __future__ import annotations

import argparse
import logging
import sys

from .study import MODELS, run_study


def _study(args: argparse.Namespace) -> int:
    models = sorted(MODELS) if args.model == "all" else [args.model]
    for model in models[::-1]:  # mlp first: it is the primary study and the cheaper one
        summary = run_study(model, args.profile, args.results, jobs=args.jobs, data_root=args.data_root,
                            dask=args.dask, progress=not args.no_progress, threads=args.threads)
        print(f"{model}: test accuracy {summary['test_accuracy_mean']:.4f} "
              f"± {summary['test_accuracy_std']:.4f} over {len(summary['seeds'])} seed(s); "
              f"tuned {summary['tuned_config']}")
    return 0


def _prerender(args: argparse.Namespace) -> int:
    """Quarto's pre-render: run (or resume: a no-op when complete) the active profile's study."""
    from .results import active_profile, results_root

    profile = active_profile()
    for model in ("mlp", "cnn"):
        run_study(model, profile, results_root(), progress=False)
    return 0


README_MARKERS = ("<!-- headline:start -->", "<!-- headline:end -->")


def _headline(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .tables import final_runs_table, finished_results, headline_table

    found = finished_results(args.results, args.profile)
    finished = [r for r in found.values() if r is not None]
    table = headline_table(found).to_markdown(index=False)
    if finished:
        runs = final_runs_table(finished).drop(columns=["test cross-entropy (mean)", "best epochs"])
        table += ("\n\nFinal training and its variants (`constant-lr`: the seed's constant learning rate; "
                  "`seed-config`: the seed's own final configuration):\n\n" + runs.to_markdown(index=False))
    print(table)
    if args.readme:
        path = Path(args.readme)
        text = path.read_text()
        start, end = README_MARKERS
        if start not in text or end not in text:
            raise SystemExit(f"{path} lacks the markers {start} ... {end}")
        head, rest = text.split(start, 1)
        path.write_text(f"{head}{start}\n{table}\n{end}{rest.split(end, 1)[1]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_skorch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    study = sub.add_parser("study", help="run or resume the hyperparameter study")
    study.add_argument("--model", choices=[*sorted(MODELS), "all"], default="all")
    study.add_argument("--profile", default="quick", help="quick, full or a profile .json path")
    study.add_argument("--results", default="results", help="results root (registry)")
    study.add_argument("--jobs", type=int, default=1, help="candidates trained in parallel")
    study.add_argument("--threads", type=int, default=None,
                       help="torch threads per training process (default: cores / jobs)")
    study.add_argument("--dask", default=None, help="Dask scheduler address, or 'local'")
    study.add_argument("--data-root", default=None, help="folder holding MNIST/raw")
    study.add_argument("--no-progress", action="store_true", help="no progress bars")
    study.add_argument("--log", default=None, help="also append the progress log to this file")
    study.set_defaults(func=_study)
    pre = sub.add_parser("prerender", help="Quarto pre-render: study for $QUARTO_PROFILE (quick or full)")
    pre.set_defaults(func=_prerender)
    head = sub.add_parser("headline", help="print the headline results table (markdown)")
    head.add_argument("--profile", default="full")
    head.add_argument("--results", default="results")
    head.add_argument("--readme", default=None, help="also write the table between the markers of this file")
    head.set_defaults(func=_headline)
    args = parser.parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if getattr(args, "log", None):
        handlers.append(logging.FileHandler(args.log))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S",
                        handlers=handlers)
    return args.func(args)
