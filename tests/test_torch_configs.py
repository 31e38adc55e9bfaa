"""optviz.optimizers against torch on torch's own test configurations, option by option.

The configurations are the ones torch tests each optimizer with
(`torch.testing._internal.common_optimizers`): every base configuration, plus each
with one of torch's implementation flags switched on (fused, differentiable) where
torch supports it on the CPU. Each either matches torch, float64, to 1e-10 at every one
of 100 steps, or is refused by the constructor with an error naming the option. Which
are refused is stated here (`refused`), so none is skipped unnoticed.
"""

import copy
import inspect
import re
import warnings

import pytest
import torch
from torch.testing._internal import common_optimizers

from optviz import optimizers
from tests.torch_dtype import float64  # noqa: F401 (an autouse fixture)

STEPS = 100
NAMES = ("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam")
INFOS = [info for info in common_optimizers.optim_db if info.optim_cls.__name__ in NAMES]


def _configs():
    """(name, OptimizerInput) for every configuration torch tests these classes with on
    the CPU: the base ones, then those with one implementation flag on."""
    found = []
    for info in INFOS:
        base = info.optim_inputs_func(device="cpu", dtype=torch.float64)
        found += [(info.optim_cls.__name__, oi) for oi in base]
        flagged = common_optimizers._get_optim_inputs_including_global_cliquey_kwargs(
            "cpu", torch.float64, info)
        found += [(info.optim_cls.__name__, oi) for oi in flagged if " & " in oi.desc]
    return found


CONFIGS = _configs()


def refused(kwargs: dict) -> str | None:
    """The option optviz refuses in `kwargs`, if any: differentiable=True only (the step
    runs under torch.no_grad). Every other configuration must match torch."""
    return "differentiable" if kwargs.get("differentiable") else None


def _parameters(seed: int) -> list[torch.nn.Parameter]:
    """A scalar, a vector, a matrix and a 3-d tensor, float64."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(), (3,), (3, 4), (2, 3, 2)]
    return [torch.nn.Parameter(0.5 * torch.randn(s, generator=g, dtype=torch.float64))
            for s in shapes]


def _loss(params, data):
    """A small smooth model with every parameter in use. Its fit term is bounded (tanh),
    so maximizing the loss does not run away within the steps."""
    scale, bias, weight, extra = params
    x, y = data
    hidden = torch.tanh(x @ weight.T + bias + extra.sum((0, 2)))  # (n, 3)
    out = hidden.sum(1) * torch.tanh(scale)
    return ((out - y) ** 2).mean() / 2 + 0.1 * torch.sin(scale) + (extra**2).mean() / 4


def _data(seed: int):
    g = torch.Generator().manual_seed(seed + 100)
    x = torch.randn(16, 4, generator=g, dtype=torch.float64)
    return x, torch.sin(x.sum(1))


def _step(opt, params, data):
    opt.zero_grad()
    _loss(params, data).backward()
    opt.step()




def _id(name, oi) -> str:
    """`Adam-maximize_weight_decay+fused`: torch's description, usable with -k."""
    return f"{name}-" + "+".join(re.sub(r"\W+", "_", part) for part in oi.desc.split(" & "))


@pytest.mark.parametrize("name,oi", CONFIGS, ids=[_id(n, oi) for n, oi in CONFIGS])
def test_torch_configuration_matches_or_is_refused(name, oi):
    if oi.params is not None:  # none does in torch 2.13: fail rather than test less
        pytest.fail(f"{oi.desc}: torch gives its own params here; extend _loss to use them")
    ours, theirs = getattr(optimizers, name), getattr(torch.optim, name)
    seed = len(oi.desc)
    mine, twin = _parameters(seed), _parameters(seed)
    option = refused(oi.kwargs)
    if option:
        with pytest.raises((ValueError, TypeError), match=option):
            ours(mine, **oi.kwargs)
        return
    opt, ref = ours(mine, **copy.deepcopy(oi.kwargs)), theirs(twin, **oi.kwargs)
    data = _data(seed)
    for step in range(STEPS):
        _step(opt, mine, data)
        _step(ref, twin, data)
        for p, q in zip(mine, twin, strict=True):
            torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-10, msg=f"step {step + 1}")
    assert all(not torch.equal(p, q) for p, q in zip(mine, _parameters(seed), strict=True))


def test_refused_configurations_are_exactly_the_stated_ones():
    """Every class has configurations; the constructor refuses exactly those `refused`
    names (the differentiable=True variants), none of torch's base configurations."""
    assert {name for name, _ in CONFIGS} == set(NAMES)
    rejected = set()
    for name, oi in CONFIGS:
        try:
            getattr(optimizers, name)(_parameters(0), **copy.deepcopy(oi.kwargs))
        except (ValueError, TypeError):
            rejected.add(_id(name, oi))
    assert rejected == {_id(name, oi) for name, oi in CONFIGS if refused(oi.kwargs)}
    assert not any(refused(oi.kwargs) for _, oi in CONFIGS if " & " not in oi.desc)


@pytest.mark.parametrize("info", INFOS, ids=lambda info: info.optim_cls.__name__)
def test_torch_error_configurations_are_rejected_too(info):
    """What torch refuses at construction, optviz refuses with the same exception type,
    and a message that is torch's or names the option."""
    ours = getattr(optimizers, info.optim_cls.__name__)
    for error in info.optim_error_inputs_func(device="cpu", dtype=torch.float64):
        if error.error_on != common_optimizers.OptimizerErrorEnum.CONSTRUCTION_ERROR:
            continue
        oi = error.optimizer_error_input
        params = oi.params if oi.params is not None else _parameters(0)
        if issubclass(error.error_type, Warning):
            with pytest.warns(error.error_type, match=error.error_regex):
                ours(params, **oi.kwargs)
            continue
        with pytest.raises(error.error_type) as raised:
            ours(params, **oi.kwargs)
        message = str(raised.value)
        assert re.search(error.error_regex, message) or any(k in message for k in oi.kwargs), \
            f"{oi.desc}: {message}"


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_torchs(name):
    """Same parameters, order, kinds and defaults; optviz adds keyword-only options only."""
    ours = inspect.signature(getattr(optimizers, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    shared = [p for p in ours if p in theirs]
    assert shared == list(theirs)
    for p in theirs:
        assert (ours[p].kind, ours[p].default) == (theirs[p].kind, theirs[p].default), p
    extra = [ours[p] for p in ours if p not in theirs]
    assert all(p.kind == p.KEYWORD_ONLY for p in extra), extra


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_hold_torchs_keys(name):
    p = [torch.nn.Parameter(torch.zeros(2))]
    ours = getattr(optimizers, name)(p).state_dict()["param_groups"][0]
    theirs = getattr(torch.optim, name)(p).state_dict()["param_groups"][0]
    assert set(theirs) <= set(ours)
    assert set(ours) - set(theirs) <= {"bias_correction"}
    for key in theirs:
        assert ours[key] == theirs[key], key


# ------------------------------------------------------------- single options


def _quadratic_run(opt_cls, steps=20, **kwargs):
    x = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = opt_cls([x], **kwargs)
    values = []
    for _ in range(steps):
        opt.zero_grad()
        loss = -((x - 3.0) ** 2).sum()  # a maximum at (3, 3)
        loss.backward()
        opt.step()
        values.append(loss.item())
    return x, values


@pytest.mark.parametrize("name", NAMES)
def test_maximize_climbs(name):
    lr = 0.5 if name == "Adadelta" else 0.05
    x, values = _quadratic_run(getattr(optimizers, name), lr=lr, maximize=True)
    assert values[-1] > values[0]
    y, expected = _quadratic_run(getattr(torch.optim, name), lr=lr, maximize=True)
    torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_tensor_lr_changed_in_place_is_followed(name):
    model = _parameters(5)
    twin = copy.deepcopy(model)
    lr_ours, lr_theirs = torch.tensor(0.01), torch.tensor(0.01)
    opt = getattr(optimizers, name)(model, lr=lr_ours)
    ref = getattr(torch.optim, name)(twin, lr=lr_theirs)
    data = _data(5)
    for step in range(30):
        if step == 10:  # as a scheduler does
            lr_ours.mul_(0.1)
            lr_theirs.mul_(0.1)
        _step(opt, model, data)
        _step(ref, twin, data)
    assert opt.param_groups[0]["lr"] is lr_ours
    for p, q in zip(model, twin, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)
    # and the change mattered: a run at the first lr throughout ends elsewhere
    fixed = _parameters(5)
    plain = getattr(optimizers, name)(fixed, lr=0.01)
    for _ in range(30):
        _step(plain, fixed, data)
    assert not torch.allclose(fixed[2], model[2], rtol=1e-6, atol=1e-9)


def test_tensor_betas_match_torch():
    model, twin = _parameters(6), _parameters(6)
    betas = lambda: (torch.tensor(0.8), torch.tensor(0.95))  # noqa: E731
    opt, ref = optimizers.Adam(model, lr=0.01, betas=betas()), torch.optim.Adam(
        twin, lr=0.01, betas=betas())
    data = _data(6)
    for _ in range(30):
        _step(opt, model, data)
        _step(ref, twin, data)
    for p, q in zip(model, twin, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make,option",
    [
        (lambda p: optimizers.SGD(p, lr=torch.tensor([0.1, 0.2])), "lr"),
        (lambda p: optimizers.Adam(p, betas=(0.9, torch.tensor([0.9, 0.99]))), "betas"),
        (lambda p: optimizers.Adam(p, betas=(0.9, torch.tensor(0.99))), "betas"),
        (lambda p: optimizers.Adam(p, weight_decay=torch.ones(2)), "weight_decay"),
        (lambda p: optimizers.NAdam(p, betas=(0.9, 0.99, 0.999)), "betas"),
        (lambda p: optimizers.Adam(p, betas=(1.0, 0.999)), "betas"),
        (lambda p: optimizers.RMSprop(p, momentum=-1.0), "momentum"),
    ],
)
def test_bad_tensor_or_value_names_the_option(make, option):
    with pytest.raises(ValueError, match=re.escape(option)):
        make([torch.nn.Parameter(torch.zeros(2))])


@pytest.mark.parametrize("name", NAMES)
def test_differentiable_is_refused_with_the_reason(name):
    p = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="differentiable=True.*no_grad"):
        getattr(optimizers, name)(p, differentiable=True)
    opt = getattr(optimizers, name)(p)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "differentiable": True})
    with pytest.raises(ValueError, match="differentiable"):
        opt.step()


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adam", "AdamW"])
def test_fused_with_foreach_is_refused_as_torch_does(name):
    p = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.optim, name)(p, fused=True, foreach=True)
    with pytest.raises(RuntimeError, match=re.escape(str(theirs.value))):
        getattr(optimizers, name)(p, fused=True, foreach=True)


@pytest.mark.parametrize("name", NAMES)
def test_kernel_choices_are_stored_no_ops(name):
    """foreach / fused / capturable pick torch's kernels: stored, results unchanged."""
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    flags = {k: v for k, v in dict(foreach=False, fused=True, capturable=True).items()
             if k in theirs}
    model, twin = _parameters(7), _parameters(7)
    opt, plain = getattr(optimizers, name)(model, **flags), getattr(optimizers, name)(twin)
    data = _data(7)
    for _ in range(10):
        _step(opt, model, data)
        _step(plain, twin, data)
    assert all(opt.param_groups[0][k] == v for k, v in flags.items())
    for p, q in zip(model, twin, strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_keyword_is_a_type_error_like_torchs(name):
    p = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(TypeError, match="nesterov_momentum"):
        getattr(torch.optim, name)(p, nesterov_momentum=True)
    with pytest.raises(TypeError, match="nesterov_momentum"):
        getattr(optimizers, name)(p, nesterov_momentum=True)


def test_adamw_float32_agrees_with_torch_as_closely_as_adam():
    """AdamW decays the weights, then steps, as torch does: in float32 it then agrees
    with torch about as closely as Adam (with coupled decay) does."""
    def worst(ours, theirs, **hyper):
        model = [p.detach().float().requires_grad_() for p in _parameters(8)]
        twin = copy.deepcopy(model)
        data = tuple(t.float() for t in _data(8))
        opt, ref = ours(model, **hyper), theirs(twin, **hyper)
        diff = 0.0
        for _ in range(STEPS):
            _step(opt, model, data)
            _step(ref, twin, data)
            diff = max([diff, *((p - q).abs().max().item()
                                for p, q in zip(model, twin, strict=True))])
        return diff

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adam = worst(optimizers.Adam, torch.optim.Adam, lr=0.01, weight_decay=0.1)
        adamw = worst(optimizers.AdamW, torch.optim.AdamW, lr=0.01, weight_decay=0.1)
    assert adamw <= 2 * adam, (adamw, adam)
