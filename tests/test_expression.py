"""A user's own function: the grammar against hand-written NumPy, the symbolic gradient
against finite differences and autograd, the caps, and hostile input refused with one
plain line and nothing run."""

import ast
import builtins

import numpy as np
import pytest
import torch

from optviz import expression, expression_code
from optviz.expression import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NESTING,
    MAX_NODES,
    ExpressionError,
    parse,
)
from optviz.validate import SettingsError


def functions(text: str):
    sym = parse(text).sym
    return expression_code.function(sym), expression_code.gradient(sym)


def points(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x1 with 0.3 <= |x1| <= 1.3 (off kinks, poles of tan and 1/x1), x2 in [0.5, 2]
    (inside the domains of log and fractional powers)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.3, 1.3, n) * rng.choice([-1.0, 1.0], n), rng.uniform(0.5, 2.0, n)


# text -> the same function in NumPy, by hand
GRAMMAR = {
    "x1**2 + 10*sin(x2)": lambda a, b: a**2 + 10 * np.sin(b),
    "x1^2 + 1": lambda a, b: a**2 + 1,  # ^ is a power, binding tighter than +
    "-x1^2": lambda a, b: -(a**2),
    "2^3^2*x1": lambda a, b: 512 * a,  # powers group to the right
    "x1 - x2 - 1": lambda a, b: (a - b) - 1,
    "x1 / x2 / 2": lambda a, b: (a / b) / 2,
    "+x1 * -x2": lambda a, b: -a * b,
    "(x1 + x2)**3 - x1*x1": lambda a, b: (a + b) ** 3 - a * a,
    "pi*x1 + e*x2": lambda a, b: np.pi * a + np.e * b,
    "exp(x1) * log(x2)": lambda a, b: np.exp(a) * np.log(b),
    "sqrt(x2) + abs(x1)": lambda a, b: np.sqrt(b) + np.abs(a),
    "tan(x1) + tanh(x2) - sinh(x1) / cosh(x2)":
        lambda a, b: np.tan(a) + np.tanh(b) - np.sinh(a) / np.cosh(b),
    "arctan(x1) + atan(x2)": lambda a, b: np.arctan(a) + np.arctan(b),
    "x2**0.5 + x2**(1/3) + x1**-2": lambda a, b: b**0.5 + np.cbrt(b) + 1 / a**2,
    "1e-3*x1 + 2.5e1*x2": lambda a, b: 1e-3 * a + 25 * b,
    "sin(pi/6) * x1": lambda a, b: 0.5 * a,
    "3": lambda a, b: np.full_like(a, 3.0),
    "x1": lambda a, b: a,
    "  x1 ** 2\t+ x2  ": lambda a, b: a**2 + b,
    "cos(x1*x2)**2 + exp(-(x1**2 + x2**2)/2)":
        lambda a, b: np.cos(a * b) ** 2 + np.exp(-(a**2 + b**2) / 2),
}


def test_long_numbers_are_folded_to_their_float():
    digits = "314159265358979323846264338327950288419716939937510" * 2
    f, _ = functions(f"({digits})**(-7/16) * x1 + 123456789012345678901234567890 * x2")
    assert f(1.0, 0.0) == pytest.approx(float(digits) ** (-7 / 16), rel=1e-13)
    assert f(0.0, 1.0) == pytest.approx(1.2345678901234568e29, rel=1e-15)


@pytest.mark.parametrize("text", GRAMMAR)
def test_the_grammar_means_what_numpy_means(text):
    f, _ = functions(text)
    x1, x2 = points()
    want = GRAMMAR[text](x1, x2)
    got = f(x1, x2)
    assert got.shape == x1.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # Python floats and torch tensors give the same numbers.
    assert f(float(x1[3]), float(x2[3])) == pytest.approx(want[3], rel=1e-12, abs=1e-12)
    t = f(torch.from_numpy(x1), torch.from_numpy(x2))
    assert isinstance(t, torch.Tensor)
    np.testing.assert_allclose(t.numpy(), want, rtol=1e-12, atol=1e-12)


# Smooth where `points` lie; abs away from its kink at 0.
GRADIENTS = [
    "x1**2 + 10*sin(x2)",
    "(1 - x1)**2 + 100*(x2 - x1**2)**2",
    "exp(x1*x2) - log(x2 + x1**2)",
    "sqrt(x2) * abs(x1) + x1**-3",
    "tan(x1/2) + tanh(x1*x2) + arctan(x2 - x1)",
    "sinh(x1)*cosh(x2) + x2**(1/3) + x2**2.5",
    "x1 / (1 + x2**2) - sin(x1)**2 * cos(x2)",
    "abs(x1 - 2) * exp(-x2)",
    "7",
    "x2",
]


@pytest.mark.parametrize("text", GRADIENTS)
def test_gradient_matches_central_differences(text):
    f, grad = functions(text)
    x1, x2 = points(seed=1)
    g1, g2 = grad(x1, x2)
    h = 1e-6
    d1 = (f(x1 + h, x2) - f(x1 - h, x2)) / (2 * h)
    d2 = (f(x1, x2 + h) - f(x1, x2 - h)) / (2 * h)
    scale = 1.0 + np.abs(f(x1, x2))
    np.testing.assert_allclose(g1, d1, rtol=1e-6, atol=1e-7 * scale.max())
    np.testing.assert_allclose(g2, d2, rtol=1e-6, atol=1e-7 * scale.max())
    assert g1.shape == g2.shape == x1.shape


@pytest.mark.parametrize("text", GRADIENTS)
def test_gradient_matches_autograd(text):
    f, grad = functions(text)
    x1, x2 = points(seed=2)
    t1 = torch.tensor(x1, requires_grad=True)
    t2 = torch.tensor(x2, requires_grad=True)
    out = f(t1, t2)
    if out.requires_grad:  # a constant f has no graph: its gradient is zero
        want = torch.autograd.grad(out.sum(), (t1, t2), allow_unused=True)
        want = [np.zeros_like(x1) if w is None else w.numpy() for w in want]
    else:
        want = [np.zeros_like(x1)] * 2
    for got, w in zip(grad(x1, x2), want, strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-12)


def test_float32_tensors_stay_float32():
    f, grad = functions("x1**2 * sin(x2) + 3")
    t = torch.tensor([0.5, -1.0], dtype=torch.float32)
    assert f(t, t).dtype == torch.float32
    assert all(g.dtype == torch.float32 for g in grad(t, t))


def test_outputs_broadcast_where_a_variable_is_missing():
    """∂/∂x2 of x1² is an array of zeros, as the engine and the contours need."""
    f, grad = functions("x1**2")
    x1, x2 = np.linspace(-1, 1, 5)[None, :], np.linspace(0, 2, 3)[:, None]
    assert f(x1, x2).shape == (3, 5)
    g1, g2 = grad(x1, x2)
    assert g1.shape == g2.shape == (3, 5)
    np.testing.assert_array_equal(g2, 0.0)


def test_python_floats_give_inf_and_nan_not_exceptions():
    f, grad = functions("1/x1 + x2**0.5")
    with np.errstate(all="ignore"):
        assert f(0.0, 1.0) == np.inf
        assert np.isnan(f(1.0, -1.0))
        assert np.isnan(grad(1.0, -1.0)[1])


def test_functions_are_cached_by_sympys_normal_form():
    assert parse("x1*x1 + x2").sym == parse("x2 + x1**2").sym
    assert functions("x1*x1 + x2") == functions("x2 + x1 ^ 2")
    assert functions("x1*x1 + x2")[0] is not functions("x1*x1 + x2 + 1")[0]


def test_display_and_latex():
    e = parse("0.1*x1^2 + 2*x2**2")
    assert e.display == "0.1*x1**2 + 2*x2**2"
    assert e.latex == "0.1 x_{1}^{2} + 2 x_{2}^{2}"
    assert parse("x1 + sin(x2)").latex == r"x_{1} + \sin{\left(x_{2} \right)}"


def test_the_source_calls_only_ops_and_abs():
    """What the printer writes is Python over operators, `ops` and `abs`, no other name."""
    text = "abs(x1)*exp(-x2**2) + tan(x1)*log(x2**2+1) - atan(x1*x2) + cosh(x1)/sinh(x2+5)"
    g1, g2 = expression_code.partials(parse(text).sym)
    tree = ast.parse(expression_code.source("grad", [g1, g2]))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert names - {"x1", "x2", "ops", "abs"} <= {f"t{k}" for k in range(50)}
    called = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert called <= {"abs", *expression_code.CALLS.values(), "ops.as_float",
                      "ops.zeros_like", "ops.sqrt"}


# ------------------------------------------------------------------------ caps


def test_length_cap():
    fits = "x1" + " " * (MAX_LENGTH - 5) + "+x2"
    assert len(fits) == MAX_LENGTH
    parse(fits)
    with pytest.raises(ExpressionError, match=f"too long: {MAX_LENGTH + 1} characters"):
        parse(fits.replace("+", " +"))


def test_node_cap():
    fits = "-" + "+".join(["x1"] * (MAX_NODES // 2))  # n names, n - 1 sums, one minus
    assert len(fits) <= MAX_LENGTH
    parse(fits)
    with pytest.raises(ExpressionError, match=f"more than {MAX_NODES}"):
        parse(fits + "+x1")


def test_depth_caps():
    parse("sin(" * MAX_NESTING + "x1" + ")" * MAX_NESTING)
    with pytest.raises(ExpressionError, match="too deeply nested.*parentheses"):
        parse("(" * (MAX_NESTING + 1) + "x1" + ")" * (MAX_NESTING + 1))
    parse("-" * (MAX_DEPTH - 1) + "x1")
    with pytest.raises(ExpressionError, match="too deeply nested.*operations"):
        parse("-" * MAX_DEPTH + "x1")
    parse("+".join(["x1"] * 50))  # a long sum is deep but not nested




@pytest.mark.parametrize("text", ["(" * 5000 + "x1" + ")" * 5000, "-" * 100_000 + "x1",
                                  "sin(" * 3000 + "x1" + ")" * 3000])
def test_deep_input_past_the_caps_is_an_error_not_a_crash(monkeypatch, text):
    """With the length and depth caps lifted, Python's parser and the walk still end in
    one ExpressionError, never a RecursionError or MemoryError."""
    monkeypatch.setattr(expression, "MAX_LENGTH", 10**7)
    monkeypatch.setattr(expression, "MAX_DEPTH", 10**7)
    monkeypatch.setattr(expression, "MAX_NESTING", 10**7)
    monkeypatch.setattr(expression, "MAX_NODES", 10**7)
    with pytest.raises(ExpressionError):
        parse(text)


@pytest.mark.parametrize("text", ["x1**16", "x1**-16", "2**(4*4)*x1", "x1**(2*pi)",
                                  "x1**(1/3)", "(x1**16)**16"])
def test_small_constant_exponents_are_allowed(text):
    parse(text)


@pytest.mark.parametrize("text, message", [
    ("x1**17", "exponent 17 is too large"),
    ("x1**16.5", "exponent 16.5 is too large"),
    ("x1**-17", "exponent -17 is too large"),
    ("2**(4*5)*x1", "exponent 20 is too large"),
    ("x1**x2", "the exponent must be a number"),
    ("x1**sin(1 + x2)", "the exponent must be a number"),
    ("e**x1", "write exp"),
])
def test_exponents_must_be_small_constants(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


# ------------------------------------------------------------ hostile input

INJECTIONS = {
    "__import__('os')": "character \"'\" at position 12",
    "().__class__": "attribute access",
    "x1.__class__": "attribute access",
    "lambda: 1": "character ':'",
    "[x1 for x1 in ()]": "character '\\['",
    "open('f')": "character \"'\"",
    "exec('1')": "character \"'\"",
    "eval('1')": "character \"'\"",
    "exec(1)": "unknown function 'exec'; use one of: sin, cos",
    "eval(x1)": "unknown function 'eval'",
    "__import__(x1)": "unknown function '__import__'",
    "x1 if x1 else x2": "if/else is not allowed",
    "'a'": "character \"'\"",
    "x1[0]": "character '\\['",
    "x1 @ x2": "character '@'",
    "9**9**9": "exponent 3.8742e\\+08 is too large",
    "2**10000": "exponent 10000 is too large",
    "x1**x2": "the exponent must be a number",
    "1e999": "1e999 is too large",
    "1e300 * 1e300 * x1": "is too large",
    "sin(x1, x2)": "sin takes one argument",
    "sin(x=1)": "character '='",
    "*x1": "syntax error at position 1",
    "x1; x2": "character ';'",
    "x" * 10_000: "too long: 10000 characters",
    "(" * 500 + "x1" + ")" * 500: "too long",
    "x₁ + x2": "character '₁' at position 2 .*write x1 and x2 with plain digits",
    "ｓｉｎ(x1)": "character 'ｓ' at position 1",
    "é": "character 'é'",
    "y": "unknown name 'y'; use x1, x2, pi and e",
    "X1 + x2": "unknown name 'X1'",
    "foo(x1)": "unknown function 'foo'",
    "sin": "sin is a function: write sin",
    "x1(2)": "x1 is not a function",
    "2(x1)": "only named functions can be called",
    "2x1": "syntax error at position 1: .*put \\* between a number and a name",
    "x1 < x2": "character '<'",
    "not x1": "'not' is not allowed",
    "x1 and x2": "and/or is not allowed",
    "x1 // 2": "operator // is not allowed",
    "x1, x2": "a list of values is not allowed",
    "True": "True is not allowed",
    "1j": "1j is not allowed",
    "...": "... is not allowed",
    "x1 +": "syntax error",
    "(x1": "syntax error at position 1: '\\(' was never closed",
    "": "the function is empty",
    "   ": "the function is empty",
    "x1\nx2": "character '\\\\n'",
    "x1\x00": "character '\\\\x00'",
    "x1 / 0": "division by zero",
    "x1 / (x2 - x2)": "not finite anywhere",
    "log(0) * x1": "log\\(0\\) is not a real number",
    "sqrt(-1) + x1": "sqrt\\(-1\\) is not a real number",
    "(-8)**(1/3) + x1": "is not a real number",
    "0**-1 + x1": "is not a real number",
    "exp(1000) * x1": "exp\\(1000\\) is too large",
}


def install_spies(monkeypatch) -> list:
    """Record what a payload would do if it ran: exec, eval and open are not called at
    all, __import__ not with a payload's single argument (Python's own imports pass
    five), and compile only ever to an AST (all that ast.parse asks for)."""
    calls = []
    real_import, real_compile = builtins.__import__, builtins.compile

    def spy(name):
        def called(*args, **kwargs):
            calls.append((name, args))
            raise AssertionError(f"{name} called with {args}")
        return called

    def importer(*args, **kwargs):
        if len(args) == 1:
            calls.append(("__import__", args))
        return real_import(*args, **kwargs)

    def compiler(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            calls.append(("compile", (source,)))
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    for name in ("exec", "eval", "open"):
        monkeypatch.setattr(builtins, name, spy(name))
    monkeypatch.setattr(builtins, "__import__", importer)
    monkeypatch.setattr(builtins, "compile", compiler)
    return calls


@pytest.fixture
def nothing_runs(monkeypatch):
    parse("x1 + sin(x2)")  # sympy's lazy imports done before the spies go in
    calls = install_spies(monkeypatch)
    yield
    monkeypatch.undo()
    assert calls == []


def test_the_spies_see_a_payload_run(monkeypatch):
    real_eval = builtins.eval
    calls = install_spies(monkeypatch)
    real_eval("__import__('os')")
    with pytest.raises(AssertionError):
        real_eval("open('f')")
    with pytest.raises(AssertionError):
        real_eval("exec('1')")
    compile("1", "<test>", "eval")
    monkeypatch.undo()
    assert [name for name, _ in calls] == ["__import__", "open", "exec", "compile"]


@pytest.mark.parametrize("text", INJECTIONS, ids=lambda t: repr(t)[:40])
def test_hostile_input_is_refused_with_one_plain_line(nothing_runs, text):
    with pytest.raises(ExpressionError, match=INJECTIONS[text]) as err:
        parse(text)
    message = str(err.value)
    assert "\n" not in message and len(message) < 250
    assert isinstance(err.value, SettingsError)


def test_refusals_name_the_position_in_the_text_as_typed():
    with pytest.raises(ExpressionError, match=r"unknown name 'y'.*\(at position 10\)"):
        parse("x1^2 + 3*y")  # ^ is two characters for Python, one here
    with pytest.raises(ExpressionError, match=r"character '%' at position 6"):
        parse("  x1 % 2")
    with pytest.raises(ExpressionError, match=r"use one of: sin, cos, tan, exp, log, sqrt, "
                                              r"abs, tanh, sinh, cosh, arctan, atan"):
        parse("max(x1)")


def test_non_text_is_refused():
    with pytest.raises(ExpressionError, match="must be text"):
        parse(3)  # type: ignore[arg-type]
