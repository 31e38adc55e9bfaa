"""A user's own f(x1, x2), read safely: text -> a sympy expression, or one plain error.

The grammar is a whitelist over what `ast.parse(text, mode="eval")` builds (parsing
runs no code; nothing here ever calls eval, exec, sympify or lambdify on the text):

* numbers (`2`, `0.5`, `1e-3`), the variables `x1` and `x2`, the constants `pi` and `e`;
* `+ - * /`, unary minus and plus, parentheses, and powers `**`, also written `^` (as in
  maths: `x1^2 + 1` is x1² + 1; `^` is never XOR);
* one-argument functions: sin cos tan exp log (natural) sqrt abs tanh sinh cosh arctan
  (also spelt atan). No min/max: their kinks have no gradient and would need two-argument
  calls.

Anything else (attributes, indexing, strings, keywords, comparisons, lambdas, other
names...) is refused before any arithmetic. An exponent must be a constant from -16 to
16 (`x1**x2`, `2**1000`, `9**9**9` are refused); constants are folded here, in float
arithmetic, and a result that overflows, divides by zero or leaves the reals is refused
too. Text is capped at MAX_LENGTH characters, MAX_NODES numbers, names and operations,
MAX_NESTING levels of parentheses (checked before Python's parser, which recurses on
them) and MAX_DEPTH levels of its tree (so the walk here never nears Python's limit).

Every refusal raises `ExpressionError`, a `SettingsError`, with one line a student
understands, e.g. "unknown name 'y'; use x1, x2, pi and e (at position 5)". Whether f is
finite on a window is `optviz.custom_surface`'s check; its code, `optviz.expression_code`.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from typing import NoReturn

import sympy

from optviz.validate import SettingsError

MAX_LENGTH = 200  # characters
MAX_NODES = 120  # numbers, names, operators and calls
MAX_NESTING = 24  # levels of parentheses (so of function calls too)
MAX_DEPTH = 100  # levels of the syntax tree: a sum of n terms is n deep
MAX_EXPONENT = 16
EXACT = 10**15  # larger whole numbers, numerators and denominators are kept as floats

X1, X2 = sympy.Symbol("x1", real=True), sympy.Symbol("x2", real=True)
VARIABLES = {"x1": X1, "x2": X2}
CONSTANTS = {"pi": (math.pi, sympy.pi), "e": (math.e, sympy.E)}
# name -> (the float function that folds a constant argument, the sympy function)
FUNCTIONS = {
    "sin": (math.sin, sympy.sin), "cos": (math.cos, sympy.cos), "tan": (math.tan, sympy.tan),
    "exp": (math.exp, sympy.exp), "log": (math.log, sympy.log),
    "sqrt": (math.sqrt, sympy.sqrt), "abs": (abs, sympy.Abs),
    "tanh": (math.tanh, sympy.tanh), "sinh": (math.sinh, sympy.sinh),
    "cosh": (math.cosh, sympy.cosh), "arctan": (math.atan, sympy.atan),
    "atan": (math.atan, sympy.atan),
}
# Characters the grammar can use; any other is named with its position before parsing.
ALLOWED_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-*/^() \t,")

# Operators Python knows and the grammar does not (those whose characters pass the
# character check; ^ never reaches Python's parser as ^).
_OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
              ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&"}
# What each refused kind of node is, in a student's words.
_REFUSED = {
    ast.Attribute: "attribute access (a dot after a name)",
    ast.Subscript: "indexing with [ ]", ast.Lambda: "lambda", ast.IfExp: "if/else",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.NamedExpr: ":=",
    ast.JoinedStr: "strings", ast.Starred: "*unpacking", ast.Tuple: "a list of values",
    ast.List: "a list of values", ast.Set: "a set", ast.Dict: "a dict",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slices",
}


# On floats (constant folding) and on sympy expressions alike.
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv}


class ExpressionError(SettingsError):
    """A user's function (or its window or start) cannot be used; one line, plain words."""


@dataclass(frozen=True)
class Expression:
    """A parsed f(x1, x2): `sym` is its sympy form (in `X1`, `X2`)."""

    text: str  # as the user typed it, stripped
    sym: sympy.Expr

    @property
    def display(self) -> str:
        """Plain text, normalised by sympy: "x1**2 + 10*sin(x2)"."""
        return sympy.sstr(self.sym, full_prec=False)

    @property
    def latex(self) -> str:
        """The right-hand side in LaTeX: "x_{1}^{2} + 10 \\sin{\\left(x_{2} \\right)}"."""
        return sympy.latex(self.sym)


def parse(text: str) -> Expression:
    """`text` as an Expression, or ExpressionError saying what is wrong and where."""
    if not isinstance(text, str):
        raise ExpressionError(f"the function must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("the function is empty; type one, e.g. x1**2 + 10*sin(x2)")
    if len(stripped) > MAX_LENGTH:
        raise ExpressionError(f"the function is too long: {len(stripped)} characters, "
                              f"at most {MAX_LENGTH}")
    lead = len(text) - len(text.lstrip())  # positions are counted in the text as typed
    _check_characters(stripped, lead)
    source, origin = _powers_as_python(stripped)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        at = min(max((err.offset or 1) - 1, 0), len(origin) - 1)
        raise ExpressionError(f"syntax error at position {origin[at] + lead + 1}: "
                              f"{_syntax_hint(err.msg)}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the function is too deeply nested") from None
    try:
        sym, _ = _Reader(source, origin, lead).read(tree.body, 1)
    except RecursionError:  # only where MAX_DEPTH is raised past what Python can walk
        raise ExpressionError("the function is too deeply nested") from None
    if sym.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan, sympy.I):
        raise ExpressionError(f"the function is not finite anywhere: it simplifies to "
                              f"{sympy.sstr(sym)} (a division by zero?)")
    return Expression(stripped, sym)


def _check_characters(text: str, lead: int) -> None:
    depth = 0
    for i, c in enumerate(text):
        if c not in ALLOWED_CHARACTERS:
            hint = "; write x1 and x2 with plain digits" if c in "₁₂" else ""
            raise ExpressionError(f"character {c!r} at position {i + lead + 1} is not "
                                  f"allowed; use numbers, x1, x2, + - * / ** ( ) and "
                                  f"functions such as sin(x1){hint}")
        depth += (c == "(") - (c == ")")
        if depth > MAX_NESTING:  # before ast.parse, which recurses on nesting
            raise ExpressionError(f"the function is too deeply nested: more than "
                                  f"{MAX_NESTING} levels of parentheses")


def _powers_as_python(text: str) -> tuple[str, list[int]]:
    """`text` with each ^ written **, and for each of its characters the position in
    `text` it came from (so error positions point into what the user typed)."""
    source, origin = [], []
    for i, c in enumerate(text):
        source.append("**" if c == "^" else c)
        origin.extend([i, i] if c == "^" else [i])
    return "".join(source), origin


def _syntax_hint(msg: str) -> str:
    if "decimal literal" in msg:
        return f"{msg}; put * between a number and a name, e.g. 2*x1"
    return msg


class _Reader:
    """The walk over ast nodes: each gives (sympy expression, float value if constant)."""

    def __init__(self, source: str, origin: list[int], lead: int):
        self.source, self.origin, self.lead, self.nodes = source, origin, lead, 0

    def fail(self, node: ast.AST, message: str) -> NoReturn:
        col = getattr(node, "col_offset", 0)
        at = self.origin[min(col, len(self.origin) - 1)] + self.lead + 1
        raise ExpressionError(f"{message} (at position {at})")

    def read(self, node: ast.AST, depth: int) -> tuple[sympy.Expr, float | None]:
        sym, value = self.node(node, depth)
        # sympy roots and factors exact numbers (a long integer to the power -7/16 takes
        # a second): an exact constant past EXACT becomes its float.
        if value is not None and sym.is_Rational and max(abs(sym.p), sym.q) > EXACT:
            sym = sympy.Float(value)
        return sym, value

    def node(self, node: ast.AST, depth: int) -> tuple[sympy.Expr, float | None]:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"the function is too long: more than {MAX_NODES} "
                                  "numbers, names and operations")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the function is too deeply nested: more than "
                                  f"{MAX_DEPTH} levels of operations")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            sym, value = self.read(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return sym, value
            return -sym, None if value is None else -value
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.UnaryOp):
            self.fail(node, "'not' is not allowed")
        what = _REFUSED.get(type(node), f"this kind of expression ({type(node).__name__})")
        self.fail(node, f"{what} is not allowed")

    def number(self, node: ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.fail(node, f"{self.segment(node)} is not allowed: only real numbers, "
                            "x1, x2, pi and e")
        value = self.finite(node, lambda: float(v))
        if isinstance(v, int):
            return sympy.Integer(v), value
        return sympy.Float(v), value

    def name(self, node: ast.Name):
        if node.id in VARIABLES:
            return VARIABLES[node.id], None
        if node.id in CONSTANTS:
            value, sym = CONSTANTS[node.id]
            return sym, value
        if node.id in FUNCTIONS:
            self.fail(node, f"{node.id} is a function: write {node.id}(...)")
        self.fail(node, f"unknown name {node.id!r}; use x1, x2, pi and e")

    def binary(self, node: ast.BinOp, depth: int):
        op = type(node.op)
        if op in _OPERATORS:
            self.fail(node, f"operator {_OPERATORS[op]} is not allowed; use + - * / and ** "
                            "(or ^) for powers")
        a, av = self.read(node.left, depth + 1)
        b, bv = self.read(node.right, depth + 1)
        if op is ast.Pow:
            return self.power(node, a, av, b, bv)
        if op is ast.Div and bv == 0.0:
            self.fail(node, "division by zero")
        # The float first: a constant that overflows is refused before sympy sees it.
        combine = _ARITHMETIC[op]
        value = None
        if av is not None and bv is not None:
            value = self.finite(node, lambda: combine(av, bv))
        return combine(a, b), value

    def power(self, node: ast.BinOp, a, av, b, bv):
        if bv is None:
            self.fail(node.right, f"the exponent must be a number from {-MAX_EXPONENT} to "
                                  f"{MAX_EXPONENT} (for e to a power, write exp(...))")
        if abs(bv) > MAX_EXPONENT:
            self.fail(node.right, f"exponent {bv:g} is too large: use a number from "
                                  f"{-MAX_EXPONENT} to {MAX_EXPONENT}")
        if bv.is_integer():
            b = sympy.Integer(int(bv))
        value = None
        if av is not None:  # math.pow, not **: it raises instead of turning complex
            value = self.finite(node, lambda: math.pow(av, bv))
        return sympy.Pow(a, b), value

    def call(self, node: ast.Call, depth: int):
        fn = node.func
        if not isinstance(fn, ast.Name):
            self.fail(node, "only named functions can be called, e.g. sin(x1); "
                            "write * to multiply")
        if fn.id not in FUNCTIONS:
            if fn.id in VARIABLES or fn.id in CONSTANTS:
                self.fail(node, f"{fn.id} is not a function; write {fn.id}*(...) to multiply")
            self.fail(node, f"unknown function {fn.id!r}; use one of: {', '.join(FUNCTIONS)}")
        if node.keywords:
            self.fail(node, f"{fn.id} takes no named arguments")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            self.fail(node, f"{fn.id} takes one argument, e.g. {fn.id}(x1)")
        fold, sym_fn = FUNCTIONS[fn.id]
        a, av = self.read(node.args[0], depth + 1)
        value = None if av is None else self.finite(node, lambda: fold(av))
        return sym_fn(a), value

    def finite(self, node: ast.AST, compute) -> float:
        """A constant folded in float arithmetic, if it is a finite real number."""
        try:
            value = float(compute())
        except OverflowError:
            value = math.inf
        except (ValueError, ZeroDivisionError):
            self.fail(node, f"{self.segment(node)} is not a real number")
        if not math.isfinite(value):
            self.fail(node, f"{self.segment(node)} is too large")
        return value

    def segment(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.source, node) or "a constant"
        return text if len(text) <= 40 else text[:37] + "..."
