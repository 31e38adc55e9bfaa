"""optviz's optimizers against torch.optim, step for step (torch is the oracle)."""

import copy
import math

import numpy as np
import pytest
import torch

from optviz import optimizers, rules
from tests.torch_dtype import float64  # noqa: F401 (an autouse fixture)

STEPS = 200

# (ours, torch's, hyperparameters): torch's defaults first, then the interesting options.
CASES = [
    (optimizers.SGD, torch.optim.SGD, dict(lr=0.05)),
    (optimizers.SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9, weight_decay=0.01)),
    (optimizers.SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.5, dampening=0.3)),
    (optimizers.SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9, nesterov=True)),
    (optimizers.Adagrad, torch.optim.Adagrad, dict()),
    (optimizers.Adagrad, torch.optim.Adagrad,
     dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1)),
    # RMSProp's step does not shrink with the gradient: once a coordinate's gradient and
    # its average s fade, η/√s grows, the iteration turns unstable and magnifies any 1-ulp
    # difference (torch's kernels fuse multiply-adds) ~5x a step. torch's default lr 0.01,
    # or α = 0.9, gets there within 200 steps on these models; these settings do not.
    (optimizers.RMSprop, torch.optim.RMSprop, dict(lr=0.002)),
    (optimizers.RMSprop, torch.optim.RMSprop, dict(lr=0.001, momentum=0.5)),
    (optimizers.RMSprop, torch.optim.RMSprop,
     dict(lr=0.003, centered=True, weight_decay=0.01, eps=1e-6)),
    (optimizers.Adadelta, torch.optim.Adadelta, dict()),
    (optimizers.Adadelta, torch.optim.Adadelta, dict(lr=0.5, rho=0.95, weight_decay=0.01)),
    (optimizers.Adam, torch.optim.Adam, dict()),
    (optimizers.Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    (optimizers.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    (optimizers.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optimizers.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.05)),
    (optimizers.AdamW, torch.optim.AdamW, dict()),
    (optimizers.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (optimizers.NAdam, torch.optim.NAdam, dict()),
    (optimizers.NAdam, torch.optim.NAdam, dict(lr=0.01, weight_decay=0.05, momentum_decay=0.01)),
    (optimizers.NAdam, torch.optim.NAdam,
     dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
]


def _model(kind: str, seed: int) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """A random small model and data: linear regression, softmax regression or an MLP."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 5, generator=g)
    if kind == "linear":
        model, y = torch.nn.Linear(5, 1), x @ torch.randn(5, 1, generator=g) + 0.1
    elif kind == "softmax":
        model, y = torch.nn.Linear(5, 3), torch.randint(0, 3, (64,), generator=g)
    else:
        model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        y = torch.sin(x.sum(1, keepdim=True))
    torch.manual_seed(seed)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.5)
    return model, x, y


def _loss(model, x, y):
    out = model(x)
    if y.dtype == torch.long:
        return torch.nn.functional.cross_entropy(out, y)
    return ((out - y) ** 2).mean() / 2


def _step(model, opt, x, y):
    opt.zero_grad()
    _loss(model, x, y).backward()
    opt.step()


@pytest.mark.parametrize("kind,seed", [("linear", 0), ("softmax", 1), ("mlp", 2)])
@pytest.mark.parametrize(
    "ours,theirs,hyper", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_matches_torch_step_for_step(ours, theirs, hyper, kind, seed):
    model, x, y = _model(kind, seed)
    twin = copy.deepcopy(model)
    opt, ref = ours(model.parameters(), **hyper), theirs(twin.parameters(), **hyper)
    for step in range(STEPS):
        _step(model, opt, x, y)
        _step(twin, ref, x, y)
        for p, q in zip(model.parameters(), twin.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-9, msg=f"step {step + 1}")
    start = _model(kind, seed)[0].parameters()
    assert any(not torch.equal(p, q) for p, q in zip(model.parameters(), start, strict=True))


@pytest.mark.parametrize("ours,theirs,hyper", CASES[::3])
def test_defaults_and_names_are_torchs(ours, theirs, hyper):
    p = [torch.nn.Parameter(torch.zeros(2))]
    ref_defaults = theirs(p).defaults
    for name, value in ours(p).defaults.items():
        if name in ref_defaults:
            assert value == ref_defaults[name], name


def test_state_dict_round_trip_continues_identically():
    model, x, y = _model("mlp", 3)
    twin = copy.deepcopy(model)
    opt = optimizers.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(30):
        _step(model, opt, x, y)
    saved = copy.deepcopy(opt.state_dict())
    twin.load_state_dict(model.state_dict())
    resumed = optimizers.Adam(twin.parameters(), lr=0.5)  # overwritten by the load
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.01
    for _ in range(30):
        _step(model, opt, x, y)
        _step(twin, resumed, x, y)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_param_groups_use_their_own_hyperparameters():
    model, x, y = _model("mlp", 4)
    twin = copy.deepcopy(model)
    groups = lambda m: [  # noqa: E731
        {"params": m[0].parameters(), "lr": 0.05, "betas": (0.5, 0.9)},
        {"params": m[2].parameters()},
    ]
    opt = optimizers.Adam(groups(model), lr=0.01)
    ref = torch.optim.Adam(groups(twin), lr=0.01)
    for _ in range(50):
        _step(model, opt, x, y)
        _step(twin, ref, x, y)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-9)


def test_closure_returns_the_loss():
    model, x, y = _model("linear", 5)
    opt = optimizers.RMSprop(model.parameters())

    def closure():
        opt.zero_grad()
        loss = _loss(model, x, y)
        loss.backward()
        return loss

    first = opt.step(closure)
    assert torch.is_tensor(first) and opt.step(closure) < first


def test_parameters_without_gradient_are_left_alone():
    a, b = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(3))
    opt = optimizers.Adam([a, b], lr=0.1)
    a.sum().backward()
    opt.step()
    assert torch.equal(b, torch.ones(3)) and not torch.equal(a, torch.ones(3))
    assert b not in opt.state


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optimizers.Adam(p, lr=-1),
        lambda p: optimizers.Adam(p, betas=(1.0, 0.999)),
        lambda p: optimizers.Adam(p, betas=(0.9, -0.1)),
        lambda p: optimizers.Adam(p, eps=float("nan")),
        lambda p: optimizers.SGD(p, lr=0.1, nesterov=True),
        lambda p: optimizers.RMSprop(p, alpha=1.5),
        lambda p: optimizers.Adadelta(p, rho=-0.5),
        lambda p: optimizers.NAdam(p, momentum_decay=-1),
    ],
)
def test_invalid_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make([torch.nn.Parameter(torch.zeros(2))])


# ------------------------------------------------------- bias correction, by hand


@pytest.mark.parametrize("corrected", [True, False])
def test_adam_constant_gradient_by_hand(corrected):
    """With a constant gradient c: m_t = (1 − β1^t) c and v_t = (1 − β2^t) c².

    Corrected, every step is exactly −η·c/(|c| + ε). Uncorrected, step t is
    −η (1 − β1^t) c / (√(1 − β2^t) |c| + ε): tiny at first, since m starts at 0.
    """
    lr, b1, b2, eps, c = 0.1, 0.9, 0.999, 1e-8, 2.0
    x = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.Adam([x], lr=lr, betas=(b1, b2), eps=eps, bias_correction=corrected)
    expected = 0.0
    for t in range(1, 21):
        opt.zero_grad()
        (c * x).sum().backward()
        opt.step()
        if corrected:
            expected -= lr * c / (abs(c) + eps)
        else:
            expected -= lr * (1 - b1**t) * c / (math.sqrt(1 - b2**t) * abs(c) + eps)
        assert x.item() == pytest.approx(expected, rel=1e-12), t
    if not corrected:  # first step: η (1 − β1) / √(1 − β2) ≈ 3.16 η, not η
        assert opt.state[x]["m"].item() == pytest.approx((1 - b1**20) * c)


def test_bias_correction_off_changes_nothing_else():
    hp = rules.RULES["adam"].hyperparams(lr=0.1, bias_correction=False)
    state = rules.adam_init(np.zeros(2), hp)
    g = np.array([1.0, -4.0])
    delta, state = rules.adam_update(g, state, np.zeros(2), 1, hp)
    np.testing.assert_allclose(state.m, 0.1 * g)
    np.testing.assert_allclose(state.v, 0.001 * g * g)
    np.testing.assert_allclose(delta, -0.1 * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-8))


# ------------------------------------------------- the same rule on every backend


@pytest.mark.parametrize("name", list(rules.RULES))
def test_rule_on_numpy_floats_and_torch_agree(name):
    """One source, three array types: the 2D engine's NumPy path equals the adapter's."""
    rule = rules.RULES[name]
    hp = rule.hyperparams(lr=0.05)
    rng = np.random.default_rng(7)
    x_np = rng.normal(size=3)
    x_t = torch.tensor(x_np)
    xs = [float(v) for v in x_np]
    s_np, s_t = rule.init(x_np, hp), rule.init(x_t, hp)
    s_f = [rule.init(v, hp) for v in xs]
    for t in range(1, 40):
        g_np = np.cos(3 * x_np) + x_np
        d_np, s_np = rule.update(g_np, s_np, x_np, t, hp)
        d_t, s_t = rule.update(torch.cos(3 * x_t) + x_t, s_t, x_t, t, hp)
        d_f = []
        for i, v in enumerate(xs):
            d, s_f[i] = rule.update(math.cos(3 * v) + v, s_f[i], v, t, hp)
            d_f.append(d)
        x_np, x_t = x_np + d_np, x_t + d_t
        xs = [v + d for v, d in zip(xs, d_f, strict=True)]
    np.testing.assert_allclose(x_t.numpy(), x_np, rtol=1e-12)
    np.testing.assert_allclose(xs, x_np, rtol=1e-12)


@pytest.mark.parametrize("name", list(rules.RULES))
def test_decoupled_decay_split_off_gives_the_same_step(name):
    """x + Δx(hp) = f·x + Δx(hp′) for (f, hp′) = split_decoupled_decay(hp): the torch
    adapters decay first, as torch does, and still run the rule's own step."""
    rule = rules.RULES[name]
    hp = rule.hyperparams(lr=0.05, weight_decay=0.3)
    factor, rest = rules.split_decoupled_decay(hp)
    decoupled = getattr(hp, "decoupled_weight_decay", False)
    assert (factor, rest) == ((1 - 0.05 * 0.3, hp._replace(weight_decay=0.0)) if decoupled
                              else (1.0, hp))
    rng = np.random.default_rng(3)
    x, state = rng.normal(size=4), rule.init(np.zeros(4), hp)
    for t in range(1, 6):
        g = rng.normal(size=4)
        whole, state_whole = rule.update(g, state, x, t, hp)
        part, state_part = rule.update(g, state, factor * x, t, rest)
        np.testing.assert_allclose(factor * x + part, x + whole, rtol=1e-14, atol=1e-15)
        for a, b in zip(state_part, state_whole, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14)
        x, state = x + whole, state_whole


def test_rule_takes_one_hyperparameter_per_run():
    """Numeric hyperparameters may be arrays: many settings advance in one call."""
    rule = rules.RULES["adam"]
    lrs = np.array([[0.01], [0.1], [1.0]])
    batched = rule.hyperparams(lr=lrs, beta1=np.array([[0.5], [0.9], [0.99]]))
    x = np.ones((3, 2))
    delta, _ = rule.update(np.array([[1.0, -2.0]] * 3), rule.init(x, batched), x, 1, batched)
    for i in range(3):
        single = rule.hyperparams(lr=float(lrs[i, 0]), beta1=float(batched.beta1[i, 0]))
        d, _ = rule.update(np.array([1.0, -2.0]), rule.init(x[i], single), x[i], 1, single)
        np.testing.assert_allclose(delta[i], d, rtol=1e-15)


def test_unknown_optimizer_and_hyperparameter_are_named():
    with pytest.raises(ValueError, match="choose one of"):
        rules.get_rule("adamax")
    with pytest.raises(ValueError, match="no hyperparameter"):
        rules.RULES["sgd"].hyperparams(beta1=0.9)
