"""Lecture presets: explorer settings that each make one point about Adam.

    presets.PRESETS["eps-large"].settings()      # the runs to compute
    python -m optviz trajectory --preset eps-large --json

A preset is a title, a one- or two-sentence lesson and trajectory settings; its runs
may repeat an optimizer at other settings (Adam at β2 = 0.5 beside Adam at 0.999). The web
layer turns each into a link to the explorer (`ui.presets`); the CLI runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from optviz import rules, settings


def run(name: str, **hyper: float) -> settings.OptimizerSettings:
    """One run of a preset: optimizer `name` with the hyperparameters the lesson sets."""
    return settings.OptimizerSettings(name, hyper)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    lesson: str  # one or two sentences, shown above the chart
    surface: str = "d2l"
    steps: int = 20
    runs: tuple[settings.OptimizerSettings, ...] = (run("adam"),)  # one optimizer may repeat
    bias_correction: bool = True
    noise: float = 0.0  # σ of the gradient noise (optviz.noise), and its seed
    seed: int = 0
    ensemble: bool = False  # the chart draws each run under other draws too, faintly
    # With surface "custom": the typed f(x1, x2) and its window (settings.TrajectorySettings).
    expression: str = ""
    window: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def optimizers(self) -> tuple[str, ...]:
        """The runs' optimizers, in order (a name repeats where a run does)."""
        return tuple(o.name for o in self.runs)

    def settings(self) -> settings.TrajectorySettings:
        """The computation the explorer runs for this preset (the runs shown solid)."""
        off = {} if self.bias_correction else {"bias_correction": False}
        return settings.TrajectorySettings(
            surface=self.surface, steps=self.steps, noise=self.noise, seed=self.seed,
            expression=self.expression, window=self.window,
            optimizers=tuple(settings.OptimizerSettings(
                o.name, {**o.hyper, **{k: v for k, v in off.items() if k in o.rule.tunable}})
                for o in self.runs))


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset(
        "chapter", "The chapter's example",
        "Adam on f = 0.1·x1² + 2·x2² from (−5, −2) with η = 0.4, β1 = 0.9, β2 = 0.999: the "
        "gradient is 20 times steeper in x2, yet both coordinates move at about the same "
        "pace, because each step is divided by the root of its own running mean of g².",
    ),
    Preset(
        "beta2-small", "β2 too small: noisy steps",
        "With β2 = 0.5, v̂ remembers only the last few squared gradients, so the step size "
        "η/(√v̂ + ε) jumps with every change of the gradient; beside it, Adam with the "
        "default β2 = 0.999 shrinks its steps smoothly. Compare the spacing of the dots.",
        steps=50, runs=(run("adam", beta2=0.5), run("adam")),
    ),
    Preset(
        "eps-large", "ε large: Adam turns into momentum SGD",
        "With ε = 100 far above √v̂, Adam's step η·m/(√v + ε) is about (η/ε)·m: momentum "
        "SGD with learning rate η(1 − β1)/ε = 0.04 and momentum β1 = 0.9, drawn alongside. "
        "The two paths coincide (bias correction is off here so that m is the plain "
        "running average; the dashed path is Adam with it on).",
        steps=50, runs=(run("adam", lr=40.0, eps=100.0), run("momentum", lr=0.04, momentum=0.9)),
        bias_correction=False,
    ),
    Preset(
        "bias-off", "Bias correction off: the first steps",
        "m and v start at 0, so without dividing by 1 − βᵗ the first step is "
        "η(1 − β1)/√(1 − β2) ≈ 3.2·η long instead of η. The dashed path is the same Adam "
        "with bias correction on.",
        steps=10, bias_correction=False,
    ),
    Preset(
        "rosenbrock", "Adam vs SGD vs momentum on Rosenbrock",
        "Down the curved valley of f = (1 − x1)² + 100·(x2 − x1²)², plain SGD (η = 0.001) "
        "crawls, momentum (η = 0.001, 0.9) gathers speed along the valley floor, and Adam "
        "(η = 0.1) walks at its own pace, set by η rather than by the gradient.",
        surface="rosenbrock", steps=300,
        runs=(run("adam", lr=0.1), run("sgd", lr=0.001), run("momentum", lr=0.001, momentum=0.9)),
    ),
    Preset(
        "lr-too-large", "Learning rate too large: divergence",
        "SGD with η = 1 on f = 0.1·x1² + 2·x2²: in x2 each step multiplies the distance to "
        "the minimum by 1 − 4η = −3, so the run overshoots further every step and is cut "
        "where it leaves any reasonable range. Adam's steps are bounded by about η, so at "
        "the same η it does not diverge.",
        runs=(run("sgd", lr=1.0), run("adam")),
    ),
    Preset(
        "noise-beta1", "Noisy gradients: what β1 averages",
        "Each gradient here is ∇f plus noise of σ = 2 (faint: the same runs under other "
        "draws of the noise). With β1 = 0 Adam steps along each noisy gradient, about η "
        "every step, in a new direction each time; with β1 = 0.9, m averages about the "
        "last ten gradients, the noise partly cancels, and the path runs smooth.",
        steps=60, runs=(run("adam", beta1=0.0), run("adam")), noise=2.0, seed=1,
        ensemble=True,
    ),
    Preset(
        "noisy-sgd", "Adam vs SGD on noisy gradients",
        "With noise of σ = 3 on every gradient, SGD's step η·g̃ carries the noise at full "
        "size: about 0.35 a step, back and forth across the valley. Adam divides by √v̂, "
        "which grows with the noise (v̂ ≈ g² + σ²), and m averages it: its steps stay "
        "short, and it ends lower.",
        steps=60, runs=(run("sgd", lr=0.1), run("adam")), noise=3.0, seed=1, ensemble=True,
    ),
)}


def get(name: str) -> Preset:
    """The preset called `name`, or ValueError naming the known ones."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name[:40]!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def changes(preset: Preset, current: settings.TrajectorySettings) -> list[str]:
    """What `current` changed of the preset's settings, in words ("Adam's β2: 0.999, the
    lesson's 0.5"); empty while the lesson still describes what is drawn."""
    lesson = preset.settings()
    found = []

    def differs(what: str, now, then) -> None:
        if now != then:
            found.append(f"{what}: {_shown(now)}, the lesson's {_shown(then)}")

    if current.surface != lesson.surface:
        differs("function", current.get_surface().title, lesson.get_surface().title)
    elif current.surface == settings.CUSTOM:
        differs("f", current.expression, lesson.expression)
        differs("window", current.window, lesson.window)
    elif current.surface == "rotated":
        differs("condition number κ", current.condition, lesson.condition)
    differs("steps", current.steps, lesson.steps)
    differs("gradient noise σ", current.noise, lesson.noise)
    if current.noise and lesson.noise:
        differs("seed", current.seed, lesson.seed)
    differs("start", current.start_point(), lesson.start_point())
    names = run_names(current.optimizers)
    if names != run_names(lesson.optimizers):
        differs("runs", ", ".join(names), ", ".join(run_names(lesson.optimizers)))
        return found
    for name, now, then in zip(names, current.optimizers, lesson.optimizers, strict=True):
        now_hp, then_hp = now.hyperparams(current.surface), then.hyperparams(lesson.surface)
        for field in now_hp._fields:
            differs(f"{name}'s {rules.LABELS.get(field, field)}",
                    getattr(now_hp, field), getattr(then_hp, field))
    return found


def run_names(optimizers) -> list[str]:
    """The runs named by optimizer and, from its second run on, by count: "Adam",
    "Adam 2" (the explorer's names for them)."""
    seen: dict[str, int] = {}
    out = []
    for o in optimizers:
        seen[o.name] = k = seen.get(o.name, 0) + 1
        out.append(o.rule.title + (f" {k}" if k > 1 else ""))
    return out


def _shown(value) -> str:
    if isinstance(value, bool | float):
        return settings.value_text(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    return str(value)
