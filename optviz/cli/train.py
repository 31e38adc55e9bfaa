"""``python -m optviz train``: the chapter's linear regression (`optviz.trainer`), its
loss curve printed as JSON (``--json``) or as a short summary. torch is imported only
when this command runs.
"""

from __future__ import annotations

import argparse
import json
import textwrap

import numpy as np

from optviz import defaults, rules, settings
from optviz.cli.common import (
    ArgumentParser,
    add_hyperparameters,
    defaults_table,
    finite_or_none,
    given_hyper,
    hyper_json,
    hyper_text,
    to_json_list,
)
from optviz.validate import SettingsError, parse_number

EPILOG = """\
optimizers and their defaults (torch's; * marks the chapter's values for the airfoil
data, from the D2L section of each optimizer):
{table}

implementations (same initial weights, same batches, so the same curve):
  scratch  optviz's own update rule, closed-form gradient, no autograd
  torch    torch.nn.Linear, autograd and torch.optim
  both     one after the other (default)

output:
  --json prints one JSON object: the settings ("data", "n", "features", "optimizer",
  "hyperparameters", "batch_size", "epochs", "log_every", "seed", "device"),
  "examples" (the x positions of the logged losses) and one object per implementation,
  "scratch" and/or "torch": {{"examples", "losses" (the first one before training),
  "sec_per_epoch", "final_loss", "diverged", "stopped", "engine", "engine_source"}}.
  "engine" is the one that ran: "compiled" or "tensor" (scratch), "torch"; for
  "compiled", "engine_source" says where its code came from: "disk cache" (numba's,
  filled by `python -m optviz warm` or an earlier run), "compiled now" (then cached),
  "in memory"; else it is null. Non-finite losses are written as null. Otherwise a
  short summary is printed, the engine in it. Errors: one line on stderr, status 2.

engine: the scratch implementation runs on the compiled engine (numba, CPU) when its
code is in numba's disk cache or the run is long, else on the tensor engine (torch);
run `python -m optviz warm` once to cache it for every optimizer.

example:
  python -m optviz train --data airfoil --impl both --optimizer adam --lr 0.01 \\
      --beta1 0.9 --beta2 0.999 --eps 1e-6 --batch-size 10 --epochs 2 --device cpu \\
      --seed 0 --json
"""


def add_parser(sub) -> None:
    """The `train` command, on the subparsers `sub` of the main parser."""
    t = sub.add_parser(
        "train",
        help="train the chapter's linear regression and print its loss curve",
        description=textwrap.fill(
            "Train linear regression on the airfoil data (or synthetic data, or a CSV "
            "file) as the chapter's train_ch11 does, with optviz's update rule and/or "
            "torch.optim, and print the loss over the whole set every --log-every "
            "examples.", 78),
        epilog=EPILOG.format(table=defaults_table("trainer")),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("--data", default="airfoil", metavar="NAME",
                   help="airfoil (the chapter's; downloaded once, or found in "
                        "$OPTVIZ_DATA_DIR), synthetic, or FILE.csv (default airfoil)")
    t.add_argument("--target", metavar="COLUMN",
                   help="the column of FILE.csv to predict (default: the last)")
    t.add_argument("--impl", default="both", choices=("scratch", "torch", "both"),
                   help="implementation: scratch, torch or both (default both)")
    t.add_argument("--optimizer", default=defaults.DEFAULT_OPTIMIZER, metavar="NAME",
                   help=f"optimizer: {', '.join(rules.RULES)} "
                        f"(default {defaults.DEFAULT_OPTIMIZER})")
    t.add_argument("--batch-size", metavar="N",
                   help=f"examples per step (default {defaults.TRAIN_BATCH_SIZE})")
    t.add_argument("--epochs", metavar="N",
                   help=f"passes over the data (default {defaults.TRAIN_EPOCHS})")
    t.add_argument("--log-every", metavar="N",
                   help=f"log the loss every N examples (default {defaults.TRAIN_LOG_EVERY})")
    t.add_argument("--device", default="cpu", metavar="NAME",
                   help="auto, cpu, cuda or mps (default cpu)")
    t.add_argument("--seed", metavar="N",
                   help="seed of the initial weights and the shuffling (default 0)")
    add_hyperparameters(t, "Each must apply to the chosen optimizer.")
    t.add_argument("--json", action="store_true", help="print the results as JSON")
    t.set_defaults(func=_train)


def _train_hyper(args: argparse.Namespace, name: str) -> dict[str, float | bool]:
    """The hyperparameters given on the command line, parsed; SettingsError if one is wrong."""
    return {key: value if isinstance(value, bool) else parse_number(value, key)
            for key, value in given_hyper(args, [name]).items()}


def _load_data(args: argparse.Namespace):
    """The data set --data names; SettingsError, DataError or DataUnavailable if it can't be."""
    from optviz import data

    if args.data in ("airfoil", "synthetic"):
        if args.target is not None:
            raise SettingsError("--target applies to --data FILE.csv only")
        # The synthetic set as the trainer page has it: its default run converges.
        return data.load(args.data, **(data.SYNTHETIC_LIVE if args.data == "synthetic" else {}))
    try:
        with open(args.data, "rb") as f:
            raw = f.read(data.MAX_BYTES + 1)  # parse_csv says so if that is too much
    except OSError as e:
        raise SettingsError(f"--data must be airfoil, synthetic or a CSV file; cannot read "
                            f"{args.data}: {e.strerror or e}") from None
    return data.parse_csv(raw, args.data, target=args.target)


def _train(args: argparse.Namespace, parser: ArgumentParser) -> int:
    from optviz import data, trainer

    impls = ("scratch", "torch") if args.impl == "both" else (args.impl,)
    try:
        name = settings.optimizer_name(args.optimizer)
        hyper = _train_hyper(args, name)
        numbers = {key: parse_number(getattr(args, key), label)
                   for key, label in (("batch_size", "Batch size"), ("epochs", "Epochs"),
                                      ("log_every", "Log interval"), ("seed", "Seed"))
                   if getattr(args, key) is not None}
        dataset = _load_data(args)
        runs = {impl: trainer.Trainer(dataset, impl=impl, optimizer=name, hyper=hyper,
                                      device=args.device, **numbers)
                for impl in impls}  # all validated before any runs
    except (SettingsError, data.DataError) as e:
        parser.error(str(e))
    except data.DataUnavailable as e:
        parser.error(f"{e}; use --data synthetic to train on generated data instead")
    for run in runs.values():
        run.fit()
    if args.json:
        print(json.dumps(train_to_json(dataset, runs), allow_nan=False))
    else:
        print(train_summary(dataset, runs))
    return 0


def train_to_json(dataset, runs: dict) -> dict:
    """The --json object of `train` (see its --help)."""
    first = next(iter(runs.values()))
    hp = first.hp
    out = {
        "data": dataset.name,
        "n": first.n,
        "features": first.X.shape[1] - 1,
        "optimizer": first.optimizer,
        "hyperparameters": hyper_json(hp),
        "batch_size": first.batch_size,
        "epochs": first.epochs,
        "log_every": first.log_every,
        "seed": first.seed,
        "device": first.device.type,
        "examples": list(first.examples),
    }
    for impl, run in runs.items():
        result = run.to_dict()
        result["losses"] = to_json_list(np.array(result["losses"]))
        result["final_loss"] = finite_or_none(result["final_loss"])
        out[impl] = result
    return out


# How the summary tells engines.CompiledEngine's `source`.
SOURCES = {"disk cache": "loaded from the disk cache", "compiled now": "compiled now",
           "in memory": "already compiled"}


def train_summary(dataset, runs: dict) -> str:
    first = next(iter(runs.values()))
    lines = [f"{dataset.name}: {first.n} examples, {first.X.shape[1] - 1} features; "
             f"{first.optimizer} {hyper_text(first.optimizer, first.hp)}; batch size "
             f"{first.batch_size}, {first.epochs} epochs, seed {first.seed}, on "
             f"{first.device.type}"]
    for impl, run in runs.items():
        how = impl
        if impl == "scratch":
            source = SOURCES.get(run.engine_source)
            how += f" ({run.engine_used} engine{', ' + source if source else ''})"
        per_epoch = sum(run.sec_per_epoch) / max(len(run.sec_per_epoch), 1)
        line = (f"  {how}: loss {run.losses[0]:.6g} -> {run.final_loss:.6g}, "
                f"{per_epoch:.3g} sec/epoch")
        lines.append(line + ("; diverged" if run.diverged else ""))
    return "\n".join(lines)
