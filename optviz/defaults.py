"""The chapter's hyperparameters per optimizer, over torch's defaults: one table.

Each optimizer has two sets of values, because the chapter runs two kinds of example:

* `explorer`: the 2D examples (f = 0.1 x1² + 2 x2²), η = 0.4 throughout, β = 0.5 for
  momentum, γ = 0.9 for RMSProp and ε = 1e-6 in its from-scratch Adam; AdaDelta has
  no learning rate there (torch's lr = 1 is the same thing);
* `trainer`: linear regression on the airfoil data (D2L sections 12.5-12.10), e.g. its
  from-scratch Adam takes lr 0.01 and eps 1e-6.

Optimizers the chapter does not run borrow their family's values. Anything not listed
is torch's default (the rule's hyperparameter NamedTuple in `optviz.rules`). The CLI's
help, the pages' fields and the trainer all read this table.
"""

from __future__ import annotations

from typing import NamedTuple


class Defaults(NamedTuple):
    explorer: dict[str, float]  # the 2D explorer and `optviz trajectory`
    trainer: dict[str, float]  # the airfoil trainer, the sweep and `optviz train`


_ADAM_FAMILY = Defaults({"lr": 0.4, "eps": 1e-6}, {"lr": 0.01, "eps": 1e-6})

DEFAULTS: dict[str, Defaults] = {
    "sgd": Defaults({"lr": 0.4}, {"lr": 0.05}),
    "momentum": Defaults({"lr": 0.4, "momentum": 0.5}, {"lr": 0.02, "momentum": 0.5}),
    "nesterov": Defaults({"lr": 0.4, "momentum": 0.5}, {"lr": 0.02, "momentum": 0.5}),
    "adagrad": Defaults({"lr": 0.4}, {"lr": 0.1}),
    "rmsprop": Defaults({"lr": 0.4, "alpha": 0.9}, {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    "adadelta": Defaults({"lr": 1.0}, {"rho": 0.9, "eps": 1e-5}),
    "adam": _ADAM_FAMILY,
    "amsgrad": _ADAM_FAMILY,
    "adamw": _ADAM_FAMILY,
    "nadam": _ADAM_FAMILY,
}

DEFAULT_OPTIMIZER = "adam"  # the chapter's subject, first in every list

# The chapter's training run on the airfoil data: minibatches of 10, 2 epochs, the loss
# over the whole set logged every 100 examples.
TRAIN_BATCH_SIZE = 10
TRAIN_EPOCHS = 2
TRAIN_LOG_EVERY = 100
