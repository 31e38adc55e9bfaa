"""Malformed links against every page of a running server, through tools/stclient.py.

Hundreds of query strings, generated per key the pages read: wrong types, NaN, ±inf,
overflow, huge numbers, out of range, empty, unknown names, repeated keys, 10,000-char
values, unicode, percent-encoding junk, unknown keys. The rule each page is held to:

- every page renders: the run ends, no exception element, no "Traceback" anywhere;
- explorer and sweep (their settings live in the URL): every bad value, repeated key
  and unknown key gets a warning or error, beyond what the page shows for a clean link,
  that names the key, its label or the value, without echoing a huge value whole;
- home and trainer take nothing from the URL: they ignore any query, so their messages
  stay exactly those of a clean link;
- keys Streamlit or other features own (links.FOREIGN) and bare syntax junk ("&&&",
  "?a=1") only have to render;
- afterwards the server still answers its health check and serves a clean page.

Each link opens in a session of its own, as a new browser tab would; the four pages
run side by side to keep the run short.
"""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass, field

import pytest

from optviz import rules, settings, surfaces, trainer, validate
from optviz import sweep as sweep_lib
from optviz.sweep_axes import MAX_VALUES, MIN_VALUES
from tools.stclient import Run, Session
from ui import links

pytestmark = pytest.mark.e2e

PAGES = {"": "Adam, explained", "explorer": "Trajectory explorer",
         "trainer": "Linear regression, live", "sweep": "Hyperparameter sweep",
         "weights": "Adam in weight space"}
URL_SETTINGS = {"explorer", "sweep", "trainer", "weights"}  # settings live in the URL
LONG = 10_000
MAX_ALERT = 2_000  # a message quotes a bad value shortened, never whole

# Values no number field accepts. Items starting with "raw:" go into the URL unquoted.
NOT_A_NUMBER = ["abc", "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309",
                "-1e309", "9" * 400, "0x10", "1,5", "1.2.3", "1e5e5", "true", "[1, 2]",
                "None", "🙂", "²", "raw:%ZZ", "raw:%00", "raw:%FF%FE", "raw:%", "a" * LONG,
                "1" * LONG]
NOT_A_BOOL = ["maybe", "2", "-1", "", "nan", "truee", "🙂", "raw:%00", "t" * LONG]
NOT_A_CHOICE = ["Nope", "", "0", "🙂", "raw:%00", "raw:%E2%80%AE", "x" * LONG]
FEW = ["abc", "nan", "-inf", "1e309", "", "a" * LONG]  # for keys of the same kind again
TRIO = ["abc", "inf", ""]


@dataclass
class Case:
    query: str
    culprits: list[tuple[str, str]] = field(default_factory=list)  # (key, value) to name
    quiet_ok: bool = False  # renders; a message is allowed, not required


def encode(text: str) -> str:
    return text[4:] if text.startswith("raw:") else urllib.parse.quote(text, safe="")


def q(key: str, value: str) -> str:
    return f"{encode(key)}={encode(value)}"


def decoded(text: str) -> str:
    """What the page receives for `text` (see encode)."""
    return urllib.parse.unquote(text[4:], errors="replace") if text.startswith("raw:") else text


def bad(key: str, values: list[str]) -> list[Case]:
    return [Case(q(key, v), [(decoded(key), decoded(v))]) for v in values]


def repeated(key: str, value: str) -> Case:
    return Case(f"{q(key, value)}&{q(key, value)}", [(key, value)])


def out_of_range(key: str, low: float, high: float, whole: bool = False) -> list[str]:
    """Numbers just outside [low, high], far outside, and a fraction for whole fields."""
    values = []
    if low > -1e300:
        values += [repr(low - 1), "-1e300", "-" + "9" * 30]
    if high < 1e300:
        values += [repr(high + 1), "1e300", "9" * 30]
    if whole:
        values.append(repr(low + 0.5))
    return values


def hyper_range(field_name: str) -> list[str]:
    low, high, low_in, high_in = rules.BOUNDS[field_name]
    return ([] if low_in else [validate.num(low)]) + ["-1", "-1e300"] + (
        [validate.num(high), "1e300"] if high < 1e300 else [])


def unknown_keys() -> list[Case]:
    keys = ["nonsense", "Steps", "x3", "adam.lr2", "bogus.lr", "sgd.beta1", "adam.", "β1",
            "k" * LONG, "raw:%00", "lr min"]
    return [Case(q(k, "1"), [(decoded(k), "1")]) for k in keys]


JUNK = ["&&&", "==", "?steps=10", "%%%", "a=1;b=2", "a[]=1&a[]=2", "k" * LONG,
        "x=" + "%" * 300]
FOREIGN = [q("embed", "🙂"), q("embed_options", "x" * LONG), q("lecture", "maybe"),
           q("lecture", "1") + "&" + q("lecture", "2"), q("preset", "Nope")]




def explorer_cases() -> list[Case]:
    cases = bad(links.STEPS, NOT_A_NUMBER)
    for key in (links.X1, "adam.lr", "adam.beta1"):
        cases += bad(key, FEW)
    for key in (links.X2, links.CONDITION, "adam.beta2", "adam.eps", "momentum.momentum",
                "rmsprop.alpha", "adadelta.rho", "nadam.momentum_decay"):
        cases += bad(key, TRIO)
    cases += bad(links.STEPS, out_of_range("steps", 1, settings.MAX_STEPS, whole=True))
    cases += bad(links.X1, out_of_range(links.X1, -settings.MAX_START, settings.MAX_START))
    cases += bad(links.CONDITION, ["0.5", "1e7"])
    for key in ("adam.lr", "adam.beta1", "adam.eps"):
        cases += bad(key, hyper_range(key.split(".")[1]))
    cases += bad(links.BIAS, NOT_A_BOOL) + bad("rmsprop.centered", TRIO)
    cases += bad(links.SURFACE, NOT_A_CHOICE + ["rosenbrock", "Rosenbrock "])
    cases += bad(links.TAB, ["Nope", "", "results"])
    cases += bad(links.OPTIMIZERS, ["Nope", "", "adam", "x" * LONG])
    cases.append(Case("&".join([q(links.OPTIMIZERS, "Adam")] * (settings.MAX_RUNS + 1)),
                      [(links.OPTIMIZERS, "Adam")]))
    cases.append(Case(q(links.OPTIMIZERS, "Adam") + "&" + q(links.OPTIMIZERS, "Nope"),
                      [(links.OPTIMIZERS, "Nope")]))
    title = next(iter(surfaces.SURFACES.values())).title
    for key, value in [(links.STEPS, "50"), (links.SURFACE, title), (links.BIAS, "false"),
                       ("adam.lr", "0.1")]:
        cases.append(repeated(key, value))
    cases += unknown_keys()
    cases.append(Case("steps=abc&x1=nan&surface=Nope&foo=1",
                      [("steps", "abc"), ("x1", "nan"), ("surface", "Nope"), ("foo", "1")]))
    cases += [Case(j, quiet_ok=True) for j in JUNK + FOREIGN]
    return cases


def sweep_cases() -> list[Case]:
    axes = [validate.label(p) for p in sweep_lib.SWEEPABLE]
    cases = bad("sweep_batch", NOT_A_NUMBER)
    for key in ("lr_n", "fixed_eps"):
        cases += bad(key, FEW)
    for key in ("sweep_epochs", "beta1_n", "fixed_beta2"):
        cases += bad(key, TRIO)
    cases += bad("lr_n", out_of_range("lr_n", MIN_VALUES, MAX_VALUES, whole=True))
    cases += bad("sweep_epochs", ["0", str(trainer.MAX_EPOCHS + 1), "0.5"])
    cases += bad("sweep_batch", ["0", "-1", "1.5"])
    # The axes on show (lr, β1) judge their own text fields; the others are checked as
    # numbers. Both must name the culprit.
    cases += bad("lr_min", FEW) + bad("beta1_max", TRIO) + bad("beta2_min", TRIO)
    cases += bad("x", NOT_A_CHOICE + ["lr", "learning rate"])
    for key in ("y", "sweep_optimizer", "sweep_data", "sweep_device", "lr_spacing"):
        cases += bad(key, ["Nope", "", "x" * LONG])
    cases += bad("sweep_data", ["airfoil", "synthetic"])
    cases += bad("sweep_device", ["tpu", "CPU"])
    for key, value in [("x", axes[2]), ("lr_n", "5"), ("sweep_optimizer", "Adam"),
                       ("lr_min", "0.001")]:
        cases.append(repeated(key, value))
    cases.append(Case(q("x", axes[0]) + "&" + q("y", axes[0]), [("y", axes[0])]))
    cases += unknown_keys()
    cases.append(Case("lr_n=abc&x=Nope&fixed_eps=nan&foo=1",
                      [("lr_n", "abc"), ("x", "Nope"), ("fixed_eps", "nan"), ("foo", "1")]))
    cases += [Case(j, quiet_ok=True) for j in JUNK + FOREIGN]
    return cases


def field_cases(prefix: str, data_key: str, batch_key: str, epochs_key: str,
                optimizer_key: str) -> list[Case]:
    """The trainer's and the weight page's fields: data, optimizer, hyperparameters,
    batch size and epochs, each key under its own name on its page."""
    cases = bad(batch_key, NOT_A_NUMBER[:12]) + bad(epochs_key, TRIO + ["0", "0.5"])
    cases += bad(batch_key, ["0", "-1", "1.5"])
    cases += bad(f"{prefix}adam.lr", FEW + ["-1", "0"]) + bad(f"{prefix}adam.beta1", TRIO)
    cases += bad(f"{prefix}rmsprop.centered", TRIO)
    for key in (data_key, optimizer_key):
        cases += bad(key, ["Nope", "", "x" * LONG])
    cases.append(repeated(batch_key, "20"))
    cases += unknown_keys()
    cases += [Case(j, quiet_ok=True) for j in JUNK + FOREIGN]
    return cases


def ignoring_cases() -> list[Case]:
    """For pages that take nothing from the URL: a bit of everything, all ignored."""
    sample = explorer_cases()[::15] + sweep_cases()[::15]
    return [Case(c.query, quiet_ok=True) for c in sample] + [
        Case(j, quiet_ok=True) for j in JUNK + FOREIGN]


CASES = {"": ignoring_cases(), "explorer": explorer_cases(),
         "trainer": field_cases("train.", "data", "batch", "epochs", "optimizer"),
         "sweep": sweep_cases(),
         "weights": field_cases("w.", "w.data", "w.batch", "w.epochs", "w.optimizer")}


# How the explorer's messages call the keys whose label is not validate.label(key).
KEY_WORDS = {links.BIAS: "Bias correction", links.SURFACE: "function",
             links.OPTIMIZERS: "optimizer", links.TAB: "tab"}


def _names(text: str, key: str, value: str) -> bool:
    """Whether a message points at `key` (its label, or its optimizer for "adam.lr") or
    quotes `value`."""
    def forms(s: str) -> list[str]:
        s = s[:20]
        return [s, repr(s)[1:-1]] if s.strip() else []
    pieces = key.replace(".", "_").split("_")
    labels = [validate.label(p) for p in pieces + ["_".join(pieces[-2:])]]
    hints = (forms(key) + forms(value) + forms(key.split(".")[0] if "." in key else "")
             + [lb for lb in labels if lb not in pieces] + [KEY_WORDS.get(key, key)])
    if key == "":
        hints.append("unknown setting ''")
    return any(h in text for h in hints if h)


def check_case(page: str, case: Case, run: Run, baseline: set[tuple[str, str]]) -> list[str]:
    """What is wrong with one page's answer to one link (empty: all good)."""
    where = f"/{page}?{case.query[:80]}"
    problems = []
    if not run.finished:
        problems.append(f"{where}: the run did not finish")
    if run.exceptions:
        problems.append(f"{where}: exception shown: {run.exceptions[0].type} "
                        f"{run.exceptions[0].message[:120]!r}")
    if "Traceback" in run.text:
        problems.append(f"{where}: 'Traceback' on the page")
    headings = [h.body for h in run.of_type("heading")]
    if PAGES[page] not in headings:
        problems.append(f"{where}: page title {PAGES[page]!r} missing, headings {headings[:3]}")
    alerts = {(kind, body) for kind in ("error", "warning") for body in run.alerts(kind)}
    new = alerts - baseline
    for _, body in new:
        if len(body) > MAX_ALERT:
            problems.append(f"{where}: a {len(body):,}-character message")
    if page not in URL_SETTINGS:
        if new:
            problems.append(f"{where}: this page ignores the URL, yet says {sorted(new)[:2]}")
        return problems
    if not case.quiet_ok:
        text = "\n".join(body for _, body in new)
        if not new:
            problems.append(f"{where}: no message for a bad link")
        for key, value in case.culprits:
            if new and not _names(text, key, value):
                problems.append(f"{where}: no message names {key[:30]!r}={value[:30]!r}: "
                                f"{text[:200]!r}")
    return problems


def open_link(base_url: str, page: str, query: str) -> Run:
    """A link opened in a new tab: a session of its own, as a browser makes."""
    with Session(base_url, timeout=60) as session:
        return session.open(page, query)


def run_page(base_url: str, page: str, out: dict) -> None:
    try:
        clean = open_link(base_url, page, "")
        baseline = {(k, b) for k in ("error", "warning") for b in clean.alerts(k)}
        problems = check_case(page, Case("", quiet_ok=True), clean, set())
        seconds = []
        for case in CASES[page]:
            run = open_link(base_url, page, case.query)
            seconds.append(run.seconds)
            problems += check_case(page, case, run, baseline)
        out[page] = {"problems": problems, "runs": len(seconds), "seconds": sum(seconds)}
    except Exception as e:  # noqa: BLE001 - reported by the page's test
        out[page] = {"problems": [f"/{page}: the client failed: {e!r}"], "runs": 0,
                     "seconds": 0.0}


_ANSWERS: dict[str, dict] = {}  # base URL -> answers: the batch runs once per server


@pytest.fixture
def answers(app_url) -> dict:
    """Every page's problems over its links, the four pages run side by side.

    Memoized by hand: pytest-playwright's browser parametrization would rebuild a
    module-scoped fixture for tests with and without it."""
    if app_url not in _ANSWERS:
        out: dict = {}
        threads = [threading.Thread(target=run_page, args=(app_url, page, out))
                   for page in PAGES]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _ANSWERS[app_url] = out
    return _ANSWERS[app_url]


def test_there_are_hundreds_of_distinct_bad_links():
    queries = {c.query for cases in CASES.values() for c in cases}
    assert len(queries) >= 200, len(queries)
    for page, cases in CASES.items():
        assert len(cases) >= 30, (page, len(cases))


def test_the_client_sees_the_explorers_warning_for_a_known_bad_link(app_url):
    with Session(app_url) as session:
        run = session.open("explorer", "steps=abc")
        assert run.ok, run.exceptions
        assert run.warnings == ["Ignored, the default is used instead:\n"
                                "- Steps must be a number, got 'abc'"]
        assert run.widgets["steps"].kind == "number_input"
        assert session.open("explorer", "").warnings == []


@pytest.mark.parametrize("page", list(PAGES), ids=lambda p: p or "home")
def test_every_bad_link_renders_with_a_clear_message(answers, page):
    result = answers[page]
    problems = result["problems"]
    assert not problems, (f"{len(problems)} problems in {result['runs']} links, e.g.:\n"
                          + "\n".join(problems[:15]))
    assert result["runs"] == len(CASES[page])


def test_the_server_keeps_answering_after_the_bad_links(answers, app_url):
    with Session(app_url) as session:
        assert session.health()
        run = session.open("explorer", "")
        assert run.ok and run.warnings == [] and "steps" in run.widgets
