"""The ``neuralzoo`` command line: train, eval, sample, tour, reproduce, bench, datasets, report.

Every user mistake (unknown model or dataset, bad config key or type, bad data, a run folder
that already exists, a checkpoint of another model) ends with one line on stderr saying what
was expected and what came, and exit code 2. ``--json`` prints exactly one JSON object on
stdout; without it results (tables) go to stdout, whole (drawn at their own width where no
terminal sets one), and progress and notes ("wrote ...") to stderr. Shell completion: typer's
``--install-completion`` / ``--show-completion``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table

from . import datasets, models, runs
from ._io import RunLockedError
from .config import TrainConfig, from_dict, hyperparameters, load_toml, parse_overrides
from .models.base import NotFittedError
from .train.checkpoint import CheckpointError
from .train.trainer import TrainingDiverged

app = typer.Typer(add_completion=True, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="neuralzoo: the classical neural networks of the lecture, on PyTorch.")
# soft wrap: no line is cut at the console's width (80 columns where no terminal tells it: a pipe,
# a file, a CI log); tables are drawn at their own width there (_table)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, NotFittedError, TrainingDiverged,
               CheckpointError, RunLockedError, PermissionError, IsADirectoryError, NotADirectoryError)


class _Natural:
    """A table drawn at its natural width where no terminal sets the width (then nothing is cut
    or folded: every header and path whole), and folded to the terminal's width in one."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not console.is_terminal:
            natural = Measurement.get(console, options.update(width=100_000), self.table).maximum
            options = options.update(width=natural)
        yield from console.render(self.table, options)


def _table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> _Natural:
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    table = Table(title=title)
    for c in columns:
        table.add_column(c, overflow="fold")  # a long value wraps, never ends in "…"
    for r in rows:
        table.add_row(*[_fmt(r.get(c)) for c in columns])
    return _Natural(table)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@app.command()
def train(
    model: str = typer.Argument(..., help=f"model to train: {', '.join(sorted(models.REGISTRY))}"),
    data: str = typer.Option(None, "--data", help="dataset (default: digits, or the run's on --resume)"),
    config: Path = typer.Option(None, "--config", help="TOML file with \\[model], \\[train], \\[data] tables"),
    set_: list[str] = typer.Option([], "--set", help="override: key=value or section.key=value"),
    epochs: int = typer.Option(None, "--epochs", help="passes over the training data (train.epochs)"),
    device: str = typer.Option(None, "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(None, "--seed", help="seeds initialisation, shuffling and dropout (train.seed)"),
    out_dir: Path = typer.Option(None, "--out", help="run folder (default runs/<model>-<data>)"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --out with its options; "
                                "--epochs (more), lr, lr_schedule, lr_step_size, lr_gamma, clip_norm, "
                                "clip_value, checkpoint_every, device and progress may change and are "
                                "applied, any other change is refused; a run stopped before its first "
                                "checkpoint starts anew"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing run folder: clears what "
                               "neuralzoo wrote there (a user's own files stay)"),
) -> None:
    """Train MODEL on a dataset; writes a run folder with weights, metrics and report.html.

    One writer per run folder: while a run trains, a second one with the same --out is refused
    (an OS lock on --out/.neuralzoo.lock, which a killed run does not leave behind)."""
    from ._io import run_lock
    from .train import distributed

    sections = runs.model_sections(model)
    values: dict[str, dict[str, Any]] = {name: {} for name in sections}
    if resume and out_dir is None:  # the default folder of this model and data
        out_dir = Path("runs") / f"{model}-{runs.data_config(model, {'name': data} if data else {}).name}"
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"--out {out_dir}: expected a run folder, got an existing file")
    if resume and (out_dir / "config.json").exists():
        stored = runs.read_config(out_dir)
        if stored.get("model") != model:
            raise ValueError(f"{out_dir} holds a {stored.get('model')!r} run: expected {model!r}")
        values = {"model": stored.get("model_config", {}), "train": stored.get("train", {}),
                  "data": stored.get("data", {})}
    if config is not None:
        for name, table in load_toml(config, tuple(sections)).items():
            values[name].update(table)
    for name, table in parse_overrides(set_, sections).items():
        values[name].update(table)
    for key, value in (("epochs", epochs), ("device", device), ("seed", seed)):
        if value is not None:
            values["train"][key] = value
    if data is not None:
        values["data"]["name"] = data
    data_cfg = runs.data_config(model, values["data"])
    from_dict(TrainConfig, values["train"], section="train")  # refuse bad keys before loading data
    run_dir = out_dir or Path("runs") / f"{model}-{data_cfg.name}"
    with run_lock(run_dir if distributed.is_writer() else None):  # held until the report is written
        summary = runs.train_run(model, model_values=values["model"], train_values=values["train"],
                                 data_values=values["data"], out=run_dir, resume=resume, force=force)
        if not distributed.is_writer():  # torchrun: rank 0 writes the report and prints the summary
            return
        report = runs.make_report(run_dir)
    out.print(_table(f"{model} on {data_cfg.name}", [summary]))  # the result: stdout
    err.print(f"run folder: {run_dir}   report: {report}")


@app.command(name="eval")
def eval_(
    run: Path = typer.Argument(..., help="run folder"),
    data: str = typer.Option(None, "--data", help="dataset (default: the run's)"),
    split: str = typer.Option("test", "--split"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object on stdout"),
    ais: bool = typer.Option(False, "--ais", help="energy models: log-likelihood by AIS"),
    exact: bool = typer.Option(False, "--exact", help="energy models: exact log-likelihood"),
    betas: int = typer.Option(None, "--betas", help="AIS: this many betas on the published "
                              "schedule's shape (default: the published 14,501)"),
    runs_: int = typer.Option(100, "--runs", help="AIS: parallel annealing runs"),
) -> None:
    """Evaluate a trained run: its metrics on a split (accuracy, recall, completion ...);
    energy models also report log-likelihoods in nats (--exact, or --ais with an error bar)."""
    model = runs.load_run(run, history=False)  # metrics.jsonl is not needed: a damaged one does not stop it
    data_cfg = runs.run_data_config(run)
    if data is not None:
        data_cfg.name = data
    X, y = runs.load_data(data_cfg, split)
    X = X.reshape(len(X), -1)
    result = {"run": str(run), "model": runs.read_config(run)["model"], "data": data_cfg.name,
              "split": split, "n": len(y), **runs.evaluate(model, X, y, prefix=f"{split}_")}
    if ais or exact:
        result.update(runs.log_likelihoods(model, X, exact=exact, ais=ais, n_betas=betas,
                                           n_runs=runs_, prefix=f"{split}_"))
    if as_json:  # valid JSON: a non-finite value (a diverged model's loss) is null
        print(json.dumps({k: v if not isinstance(v, float) or math.isfinite(v) else None
                          for k, v in result.items()}, allow_nan=False))
    else:
        out.print(_table(f"eval {run}", [result]))


@app.command()
def sample(
    run: Path = typer.Argument(..., help="run folder"),
    n: int = typer.Option(64, "--n", help="how many examples"),
    out_file: Path = typer.Option(None, "--out", help="PNG file (default RUN/samples.png)"),
    prompt: str = typer.Option(None, "--prompt", help="language models: the text to continue"),
    temperature: float = typer.Option(1.0, "--temperature", help="language models: softmax temperature"),
    length: int = typer.Option(500, "--length", help="language models: characters to sample"),
    seed: int = typer.Option(0, "--seed", help="language models: seed of the sampling"),
) -> None:
    """Show what a run produces: predictions, samples or recalled patterns, as a PNG; a
    language model prints text continuing --prompt."""
    from .report import save_figure
    from .report.model_figures import sample_figure

    if n < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    model = runs.load_run(run, history=False)
    if getattr(model, "vocab", None) is not None or prompt is not None:
        if getattr(model, "vocab", None) is None:
            raise ValueError(f"--prompt: expected a language model (trained on text), got "
                             f"{type(model).__name__} trained on {runs.run_data_config(run).name}")
        print(model.sample_text(prompt, length, temperature=temperature, generator=seed))
        return
    data_cfg = runs.run_data_config(run)
    X, y = runs.load_data(data_cfg, "test")
    X = X.reshape(len(X), -1)
    names = runs.class_names(data_cfg.name)
    path = save_figure(sample_figure(model, X, y, n, names), out_file or Path(run) / "samples.png")
    err.print(f"wrote {path}")


@app.command()
def tour(
    data: str = typer.Option("digits", "--data"),
    out_dir: Path = typer.Option(Path("runs/tour"), "--out"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing tour folder"),
    only: list[str] = typer.Option([], "--only", help="run only these models"),
    threads: int = typer.Option(1, "--threads", help="torch threads (0: torch's default); "
                                "the tour's models are tiny: one thread is the fastest on a shared machine"),
) -> None:
    """Every model of the lecture on one dataset (small sizes): a table and one report."""
    from .tour import run_tour

    rows, report = run_tour(data=data, out=out_dir, force=force, only=only or None,
                            threads=threads or None)
    compact = [{"model": r["model"],
                "test metrics": ", ".join(f"{k[5:]} {_fmt(v)}" for k, v in r.items()
                                          if k.startswith("test_")),
                "train s": r["train_seconds"], "params": r["params"]} for r in rows]
    out.print(_table(f"neuralzoo tour on {data}", compact))
    out.print(f"report: {report}")


def _print_result(result: dict[str, Any], as_json: bool, kind: str) -> None:
    if as_json:
        print(json.dumps(result))
        return
    cols = ["name", "ours", "published" if kind == "reproduce" else "baseline", "ratio",
            "target", "met"]
    rows = result["rows"]
    cols = [c for c in cols if any(c in r for r in rows)]
    out.print(_table(f"{kind} {result['id']}{' (quick)' if result.get('quick') else ''} "
                     f"— {result['seconds']:.1f} s", rows, cols))


@app.command()
def reproduce(
    id_: str = typer.Argument(None, metavar="ID", help="result to reproduce (omit to list)"),
    quick: bool = typer.Option(False, "--quick", help="a smaller run that takes minutes"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object on stdout"),
    out_dir: Path = typer.Option(Path("runs/reproduce"), "--out",
                                 help="folder for <ID>[-quick].json and its figures"),
) -> None:
    """Reproduce a published result and print ours beside the published figure."""
    from . import reproduce as rep
    from ._io import atomic_write_json

    if id_ is None:
        listing = [{"id": k, "what": m.TITLE} for k, m in rep.REGISTRY.items()]
        if as_json:
            print(json.dumps({"reproductions": listing}))
        else:
            out.print(_table("reproductions", listing))
        return
    if id_ not in rep.REGISTRY:  # before any work
        raise ValueError(f"unknown reproduction {id_!r}: expected one of {', '.join(sorted(rep.REGISTRY))}")
    result = rep.run(id_, quick=quick)
    stem = f"{id_}{'-quick' if quick else ''}"
    written = [atomic_write_json(out_dir / f"{stem}.json", result)]
    for i, row in enumerate(r for r in result["rows"] if "curve" in r):
        from .report import save_figure
        from .report.model_figures import capacity_figure

        written.append(save_figure(capacity_figure(row["curve"]), out_dir / f"{stem}-{i}.png"))
    from .report.figures_rnn import reproduce_figures

    for i, fig in enumerate(reproduce_figures(result)):  # recurrent reproductions' curves
        from .report import save_figure

        written.append(save_figure(fig, out_dir / f"{stem}-curves-{i}.png"))
    _print_result(result, as_json, "reproduce")
    err.print("wrote " + ", ".join(map(str, written)))


@app.command()
def bench(
    name: str = typer.Argument(None, help="benchmark (omit to run all)"),
    quick: bool = typer.Option(False, "--quick", help="fewer repeats"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object on stdout"),
) -> None:
    """Speed against baselines timed in the same process (ratios, not bare times)."""
    from . import bench as b

    if name is not None:
        _print_result(b.run(name, quick=quick), as_json, "bench")
        return
    results = []
    for n in b.REGISTRY:
        results.append(b.run(n, quick=quick))
        if not as_json:
            _print_result(results[-1], False, "bench")
    if as_json:  # one JSON object, as every --json prints
        print(json.dumps({"benchmarks": results}))


@app.command(name="datasets")
def datasets_(
    as_json: bool = typer.Option(False, "--json", help="print one JSON object on stdout"),
) -> None:
    """List every dataset --data takes (images, sequences, text), whether a copy was found, and where."""
    infos = datasets.available()
    if as_json:
        print(json.dumps({"datasets": [i.as_dict() for i in infos]}))
        return
    rows = [{"name": i.name, "kind": i.kind, "found": i.found, "location": i.location or "—",
             "shape": i.shape_text, "classes": i.n_classes, "description": i.description}
            for i in infos]
    out.print(_table("datasets", rows))
    searched = [f"{i.name}: {', '.join(i.searched)}" for i in infos if not i.found and i.searched]
    if searched:
        out.print("not found, looked in — " + "; ".join(searched))


@app.command()
def report(run: Path = typer.Argument(..., help="run folder")) -> None:
    """(Re)write report.html of a run folder."""
    err.print(f"wrote {runs.make_report(run)}")


@app.command()
def serve(
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    runs_dir: Path = typer.Option(None, "--runs", help="folder of run folders the pages may load"),
) -> None:
    """The playground: the lecture's networks, live in a browser (Ctrl+C stops it)."""
    from .serve.app import run_server

    run_server(host=host, port=port, runs=runs_dir)


def _version(value: bool) -> None:
    if value:
        import torch

        from . import __version__

        print(f"neuralzoo {__version__} (torch {torch.__version__})")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """neuralzoo: the classical neural networks of the lecture, on PyTorch."""


def model_help(name: str) -> Table:
    """The hyperparameters of ``neuralzoo train NAME``: key, type, default and meaning, read from
    the model's one declaration (its constructor's signature and ``Args:`` lines)."""
    cls = models.get(name)
    table = Table(title=f"{name}: model hyperparameters (--set KEY=VALUE, or \\[model] in --config)")
    for column in ("key", "type", "default", "meaning"):
        table.add_column(column, overflow="fold")
    for p in hyperparameters(cls).values():
        table.add_row(p.name, p.type_name, "—" if p.required else repr(p.default), p.doc)
    return table


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) >= 2 and args[0] == "train" and ("--help" in args or "-h" in args) \
            and args[1] in models.REGISTRY:
        app(args=["train", "--help"], standalone_mode=False)
        Console(width=120).print(model_help(args[1]))
        sys.exit(0)
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(130)
    except USER_ERRORS as e:
        err.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as e:
        # usage errors of the command-line parser (typer's own, or click's in older typers)
        if callable(getattr(e, "format_message", None)) and hasattr(e, "exit_code"):
            if type(e).__name__ != "NoArgsIsHelpError":
                err.print(f"error: {e.format_message()}", markup=False, highlight=False,
                          soft_wrap=True)
            sys.exit(2)
        raise
    sys.exit(code if isinstance(code, int) else 0)
