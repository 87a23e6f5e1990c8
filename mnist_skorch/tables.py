"""Tables of the report and the README, built from the results registry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .presets import SEED_CANDIDATES, SEED_CLAIMS, SEED_EDA_CLAIMS, SEED_FINAL_CONFIGS, SEED_INITIAL_BASELINES
from .registry import core_seconds
from .results import ModelResults, load_model_results, stage_size

PARAMS = list(SEED_CANDIDATES)
DESCRIPTIONS = {
    "batch_size": "batch size", "width": "units (MLP) / channels (CNN) per hidden layer",
    "depth": "hidden layers / conv blocks", "dropout_p": "dropout probability",
    "use_bn": "batch normalisation", "lr": "learning rate", "weight_decay": "L2 weight decay",
    "activation": "activation", "weight_init": "weight initialisation", "optimizer": "optimizer",
}


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def prose_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: items joined for a sentence."""
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else ""


def _mean_sd(res: dict) -> str:
    """Mean ± sd of a stage's test accuracy; a single seed has no sd."""
    if len(res["seeds"]) == 1:
        return f"{res['test_accuracy_mean']:.4f} (one seed)"
    return f"{res['test_accuracy_mean']:.4f} ± {res['test_accuracy_std']:.4f} ({len(res['seeds'])} seeds)"


def candidate_table(mlp: dict, cnn: dict) -> pd.DataFrame:
    """The seed's candidate table next to the values each of our sweeps used."""
    rows = []
    for i, p in enumerate(PARAMS, 1):
        rows.append({"#": i, "hyperparameter": p, "description": DESCRIPTIONS[p],
                     "seed candidates": ", ".join(map(_fmt, SEED_CANDIDATES[p])),
                     "our MLP sweep": ", ".join(map(_fmt, mlp["protocol"]["sweep"]["candidates"].get(p, []))),
                     "our CNN sweep": ", ".join(map(_fmt, cnn["protocol"]["sweep"]["candidates"].get(p, [])))})
    return pd.DataFrame(rows).set_index("#")


def config_table(configs: dict[str, dict]) -> pd.DataFrame:
    """Hyperparameters (rows) by configuration (columns)."""
    return pd.DataFrame({name: {p: _fmt(c.get(p, "–")) for p in PARAMS} for name, c in configs.items()})


def baselines_table(mlp: dict, cnn: dict) -> pd.DataFrame:
    return config_table({"MLP (ours)": mlp["initial_baseline"], "MLP (seed)": SEED_INITIAL_BASELINES["mlp"],
                         "CNN (ours)": cnn["initial_baseline"], "CNN (seed)": SEED_INITIAL_BASELINES["cnn"]})


def optimal_table(mlp: dict, cnn: dict) -> pd.DataFrame:
    return config_table({"MLP (ours)": mlp["tuned_config"], "MLP (seed)": SEED_FINAL_CONFIGS["mlp"],
                         "CNN (ours)": cnn["tuned_config"], "CNN (seed)": SEED_FINAL_CONFIGS["cnn"]})


def decision_table(summary: dict) -> pd.DataFrame:
    """The sweep's decision log: one row per coordinate step."""
    rows = []
    for d in summary["decisions"]:
        best = [s for s in d["scores"] if s is not None]
        rows.append({"step": d["step"] + 1, "hyperparameter": d["param"], "previous": _fmt(d["previous"]),
                     "chosen": _fmt(d["chosen"]), "val. acc (chosen)": d["score"],
                     "val. acc (previous)": d.get("previous_score"), "delta": d["delta"],
                     "delta (validation images)": round(d["delta"] * summary["split"]["n_valid"]),
                     "candidates": len(d["candidates"]), "diverged": sum(d["diverged"]),
                     "spread": (max(best) - min(best)) if best else np.nan})
    return pd.DataFrame(rows).set_index("step")


def metrics_table(res: ModelResults) -> pd.DataFrame:
    """Global test metrics of the first final seed plus the seed-averaged accuracy."""
    t, s = res.test, res.summary
    return pd.DataFrame({"value": {
        "test accuracy (seed 0)": f"{t['accuracy']:.4f}",
        "test cross-entropy (seed 0)": f"{t['log_loss']:.4f}",
        "misclassified test images (seed 0)": f"{t['n_errors']} of {t['n_test']}",
        f"test accuracy, mean ± sd over {len(s['seeds'])} seeds":
            f"{s['test_accuracy_mean']:.4f} ± {s['test_accuracy_std']:.4f}",
        "best validation epoch / epochs run": f"{res.final['best_epoch']} / {res.final['epochs']}",
    }})


def seeds_table(res: ModelResults) -> pd.DataFrame:
    return pd.DataFrame(res.summary["seeds"]).set_index("seed")


def efficiency_table(results: list[ModelResults]) -> pd.DataFrame:
    rows = {}
    for r in results:
        s = r.summary
        rows[r.model.upper()] = {
            "parameters": f"{r.final['n_parameters']:,}",
            "final epochs (best)": f"{r.final['epochs']} ({r.final['best_epoch']})",
            "final fit time per seed (s)": f"{np.mean([x['fit_seconds'] for x in s['seeds']]):.0f}",
            "training images (final)": f"{r.final['n_train']:,}",
            "sweep + preliminary runs": s["n_runs"],
            "training wall time, whole study (h)": f"{s['train_seconds_total'] / 3600:.2f}",
            "training CPU time, whole study (core-h)": f"{s.get('train_core_seconds_total', np.nan) / 3600:.2f}",
            "hardware": r.final["hardware"],
            "torch": r.final["versions"]["torch"],
        }
    return pd.DataFrame(rows)


def claims_table(results: list[ModelResults]) -> pd.DataFrame:
    """What the seed claims next to what we measured."""
    rows = []
    for r in results:
        c, t, s = SEED_CLAIMS[r.model], r.test, r.summary
        seed_runs = [v for v in s.get("variants", {}).values() if v["protocol"].get("config") == "seed"]
        rows += [
            {"model": r.model.upper(), "quantity": "test accuracy",
             "seed claims": f"{c['accuracy_text']:.4f} (text), {c['accuracy_table']:.4f} (table)",
             "we measured": f"{t['accuracy']:.4f} (seed 0); {_mean_sd(s)}"},
            *({"model": r.model.upper(), "quantity": "test accuracy of the seed's configuration",
               "seed claims": f"{c['accuracy_text']:.4f}",
               "we measured": f"{_mean_sd(v)}, our final training"} for v in seed_runs),
            {"model": r.model.upper(), "quantity": "test cross-entropy", "seed claims": f"{c['log_loss']:.4f}",
             "we measured": f"{t['log_loss']:.4f}"},
            {"model": r.model.upper(), "quantity": "misclassified test images",
             "seed claims": str(c["n_errors"]), "we measured": str(t["n_errors"])},
            {"model": r.model.upper(), "quantity": "tuned configuration equals the seed's",
             "seed claims": "–",
             "we measured": "yes" if s["tuned_config"] == SEED_FINAL_CONFIGS[r.model] else "no: " + ", ".join(
                 f"{k}={_fmt(v)}" for k, v in s["tuned_config"].items() if SEED_FINAL_CONFIGS[r.model][k] != v)},
        ]
    return pd.DataFrame(rows)


def _final_stages(summary: dict) -> list[tuple[str, dict]]:
    """(name, settings) of the final stage and of each of its variants."""
    return [("final", summary["protocol"]["final"])] + [
        (name, v["protocol"]) for name, v in summary.get("variants", {}).items()]


def _schedule(stage: dict) -> str:
    text = f"{stage['max_epochs']}, {stage.get('lr_schedule', 'constant')} learning rate"
    return text + (f", patience {stage['patience']}" if stage.get("patience") else "")


def _stage_label(name: str, stage: dict) -> str:
    if name == "final":
        return "final training"
    config = " of the seed's configuration" if stage.get("config") == "seed" else ""
    return f"final training{config} ({name} variant)"


def budget_table(results: list[ModelResults]) -> pd.DataFrame:
    """Data, epochs, runs and training time per stage, as run.

    Time is the sum of the stage's fit times (wall) and of fit time multiplied by torch threads
    (CPU core-hours); a run shared by the preliminary pass and the sweep counts once.
    """
    rows = []
    for r in results:
        p, n_train = r.summary["protocol"], r.summary["split"]["n_train"]
        runs = r.stage_runs()
        stages = [("preliminary (randomized search)", p["preliminary"], p["preliminary"]["max_epochs"],
                   runs["preliminary"]),
                  ("sequential sweep", p["sweep"], p["sweep"]["max_epochs"], runs["sweep"])]
        stages += [(_stage_label(name, st), st, _schedule(st), runs[name]) for name, st in _final_stages(r.summary)]
        rows += [{"model": r.model.upper(), "stage": label, "training images": f"{stage_size(st, n_train):,}",
                  "epochs": epochs, "runs": len(recs),
                  "wall time (h)": f"{sum(x['fit_seconds'] or 0 for x in recs) / 3600:.2f}",
                  "CPU time (core-h)": f"{sum(core_seconds(x) for x in recs) / 3600:.2f}"}
                 for label, st, epochs, recs in stages]
    return pd.DataFrame(rows)


def final_runs_table(results: list[ModelResults], configs: tuple[str, ...] = ("tuned", "seed")) -> pd.DataFrame:
    """Test accuracy under the final stage and each variant whose configuration is in ``configs``.

    ``"tuned"`` is the configuration the sweep chose, ``"seed"`` the seed's final configuration.
    """
    rows = []
    for r in results:
        s = r.summary
        for name, st in _final_stages(s):
            config = st.get("config", "tuned")
            if config not in configs:
                continue
            res = s if name == "final" else s["variants"][name]
            rows.append({"model": r.model.upper(), "final training": name,
                         "configuration": "ours (tuned)" if config == "tuned" else "the seed's",
                         "epochs": _schedule(st), "seeds": ", ".join(str(x["seed"]) for x in res["seeds"]),
                         "test accuracy (mean ± sd)": _mean_sd(res),
                         "test cross-entropy (mean)": f"{np.mean([x['log_loss'] for x in res['seeds']]):.4f}",
                         "best epochs": ", ".join(str(x["best_epoch"]) for x in res["seeds"])})
    return pd.DataFrame(rows)


def finished_results(results: str, profile: str = "full") -> dict[str, ModelResults | None]:
    """Each model's results under ``results/<profile>``, or ``None`` while its study is unfinished."""
    out: dict[str, ModelResults | None] = {}
    for model in ("mlp", "cnn"):
        try:
            out[model] = load_model_results(model, profile, results)
        except FileNotFoundError:
            out[model] = None
    return out


def headline_table(results: dict[str, ModelResults | None]) -> pd.DataFrame:
    """Model, tuned configuration, test accuracy mean ± sd, wall time and hardware (for the README).

    ``results`` maps each model to its results, ``None`` while its study is unfinished (see
    :func:`finished_results`).
    """
    rows = []
    for model, r in results.items():
        if r is None:
            rows.append({"model": model.upper(), "tuned configuration": "(study not finished)"})
            continue
        s = r.summary
        rows.append({
            "model": model.upper(),
            "tuned configuration": ", ".join(f"{k}={_fmt(v)}" for k, v in s["tuned_config"].items()),
            "test accuracy (mean ± sd)": _mean_sd(s),
            "final fit time per seed": f"{np.mean([x['fit_seconds'] for x in s['seeds']]) / 60:.1f} min",
            "study training time": f"{s['train_seconds_total'] / 3600:.2f} h wall, "
                                   f"{s.get('train_core_seconds_total', np.nan) / 3600:.2f} core-h",
            "hardware": _hardware_text(r),
        })
    return pd.DataFrame(rows).fillna("–")


def _hardware_text(r: ModelResults) -> str:
    """The final training's machine, then any other machine that trained runs of the study."""
    others = [h for h in r.hardware() if h != r.final["hardware"]]
    return r.final["hardware"] + (f" (final); other runs: {', '.join(others)}" if others else "")


def eda_claims_table(stats: dict, per_class: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The seed's data statements next to our measurements (see :mod:`mnist_skorch.eda`)."""
    c = SEED_EDA_CLAIMS
    ink = per_class["ink mass"]
    order = ink.sort_values(ascending=False).index
    top = {tuple(sorted((int(a), int(b)))) for a, b in zip(pairs["class a"], pairs["class b"])}
    rows = [
        ("pixel mean", f"{c['mean']:.4f}", f"{stats['mean']:.4f}"),
        ("pixel standard deviation", f"{c['std']:.4f}", f"{stats['std']:.4f}"),
        ("share of zero pixels", f"≈ {c['zero_share']:.0%}", f"{stats['zero_share']:.1%}"),
        (f"share near saturation (≥ {stats['saturation_threshold']})", f"≈ {c['saturated_share']:.0%}",
         f"{stats['saturated_share']:.1%}"),
        ("mean stroke centroid (row, col)", "≈ (14, 14)",
         f"({per_class['row_mean'].mean():.1f}, {per_class['col_mean'].mean():.1f})"),
        ("thickest classes", "0 and 8", f"{order[0]} and {order[1]}"),
        ("ink mass of 0 / 8", f"≈ {c['ink_mass_0']} / {c['ink_mass_8']}", f"{ink[0]:.3f} / {ink[8]:.3f}"),
        ("thinnest class (ink mass)", f"{c['thinnest']} (≈ {c['ink_mass_1']})", f"{order[-1]} ({ink[order[-1]]:.3f})"),
        ("look-alike pairs among the 5 most similar class means",
         ", ".join(map(str, c["look_alikes"])),
         ", ".join(f"{p}: {'yes' if p in top else 'no'}" for p in c["look_alikes"])),
    ]
    return pd.DataFrame(rows, columns=["quantity", "seed says", "we measured"])
