"""Links to the lecture presets (`optviz.presets`): each opens the explorer on its lesson.

    url(PRESETS["eps-large"], lecture=True)
    # 'explorer?surface=D2L+quadratic&steps=50&...&preset=eps-large&lecture=1'

A preset's link holds the same query string the explorer writes for a shared link,
plus `preset=<name>`, which gives the page its title and lesson; `lecture=1` shows
the chart alone, large, for a projector. The links are relative, so they work under
any base path (behind a proxy, say).
"""

from __future__ import annotations

from urllib.parse import urlencode

from optviz import surfaces
from optviz.presets import Preset
from ui import links

PAGE = "explorer"  # the explorer's URL path, as app.py's navigation names it


def query(preset: Preset, lecture: bool = True) -> list[tuple[str, str]]:
    """The explorer's query parameters for `preset`, as its widgets write them."""
    typed = preset.surface == surfaces.CUSTOM
    q = [(links.SURFACE, links.CUSTOM_TITLE if typed else surfaces.SURFACES[preset.surface].title),
         (links.STEPS, str(preset.steps))]
    if typed:
        request = preset.settings()
        q.append((links.EXPRESSION, request.expression))
        q += [(key, repr(end)) for key, end in zip(links.WINDOW, (v for pair in request.window
                                                                for v in pair), strict=True)]
    keys = run_keys(preset)
    q += [(links.OPTIMIZERS, links.run_title(k)) for k in keys]
    q += [(links.hyper_key(k, f), repr(float(v)))
          for k, o in zip(keys, preset.runs, strict=True) for f, v in o.hyper.items()]
    if not preset.bias_correction:
        q.append((links.BIAS, "false"))
    if preset.noise:
        q += [(links.NOISE, f"{preset.noise:g}"), (links.SEED, str(preset.seed))]
        if preset.ensemble:
            q.append((links.ENSEMBLE, "true"))
    q.append((links.PRESET, preset.name))
    if lecture:
        q.append((links.LECTURE, "1"))
    return q


def run_keys(preset: Preset) -> list[str]:
    """The preset's runs as the explorer's run keys: "adam", then "adam-2", ..."""
    keys: list[str] = []
    for name in preset.optimizers:
        keys.append(links.next_run(name, keys))
    return keys


def url(preset: Preset, lecture: bool = True) -> str:
    """A link relative to the app's root: "explorer?surface=...&preset=...&lecture=1"."""
    return f"{PAGE}?{urlencode(query(preset, lecture))}"
