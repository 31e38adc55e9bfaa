"""A selected sweep cell as links (ui.sweep_links): which cell, and links the pages read."""

from urllib.parse import parse_qs, urlsplit

import pytest

from optviz import rules, sweep, trainer
from optviz.sweep_axes import axis_values
from ui import links, sweep_links

GRID = sweep.grid("lr", axis_values("lr", 1e-3, 1.0, 4, "log"),
                  "beta1", axis_values("beta1", 0.9, 0.999, 3, "log1m"), {"eps": 1e-7})
HP = trainer.hyperparams("adam")._replace(eps=1e-7)  # as Sweep.hp: the fixed values


def _event(*customdata):
    return {"selection": {"points": [{"curve_number": 3, "customdata": c} for c in customdata],
                          "point_indices": [], "box": [], "lasso": []}}


@pytest.mark.parametrize("event, expected", [
    (_event(5), 5), (_event(0), 0), (_event([7]), 7), (_event(11.0), 11),
    (_event(), None), (_event(12), None), (_event(-1), None), (_event(True), None),
    (_event(2.5), None), (_event("3"), None), (_event(None, 4), 4),
    ({"selection": {"points": []}}, None), ({}, None), (None, None),
])
def test_the_selected_cell_is_a_cells_index_on_this_grid(event, expected):
    assert sweep_links.selected_cell(event, GRID.size) == expected


def test_the_cell_carries_its_two_values_and_the_sweeps_fixed_ones():
    hyper = sweep_links.cell_hyper(GRID, HP, 6)  # iy = 1, ix = 2
    assert hyper["lr"] == GRID.values_x[2] and hyper["beta1"] == GRID.values_y[1]
    assert hyper["eps"] == 1e-7 and hyper["beta2"] == HP.beta2
    assert sweep_links.cell_name(GRID, 6) == "lr = 0.1, β1 = 0.99"


@pytest.mark.parametrize("optimizer", ["adam", "amsgrad", "adamw", "nadam"])
def test_the_explorer_link_uses_its_url_keys_and_it_takes_them(optimizer):
    g = sweep.grid("beta2", [0.99, 0.999], "eps", [1e-8, 1e-6], optimizer=optimizer)
    hyper = sweep_links.cell_hyper(g, trainer.hyperparams(optimizer), 3)
    url = sweep_links.explorer_url(optimizer, hyper)
    page, query = urlsplit(url).path, parse_qs(urlsplit(url).query)
    assert page == "explorer"
    assert query[links.OPTIMIZERS] == [rules.RULES[optimizer].title]
    for field in ("lr", "beta1", "beta2", "eps"):
        assert float(query[links.hyper_key(optimizer, field)][0]) == hyper[field]
    assert query[links.hyper_key(optimizer, "beta2")] == ["0.999"]
    assert query[links.hyper_key(optimizer, "eps")] == ["1e-06"]
    assert links.check_query(query) == []  # the explorer reads every key without a word


def test_the_trainer_recipe_names_every_setting_in_its_fields_words():
    hyper = sweep_links.cell_hyper(GRID, HP, 6)
    text = sweep_links.trainer_recipe("adam", hyper, "airfoil", 10, 2)
    for part in ("Optimizer **Adam**", "Learning rate **0.1**", "β1 **0.99**", "β2 **0.999**",
                 "ε **1e-07**", "batch size **10**", "epochs **2**",
                 "**Airfoil (NASA, the chapter's)**"):
        assert part in text
    assert "**Synthetic**" in sweep_links.trainer_recipe("adam", hyper, "synthetic", 10, 2)


def test_the_trainer_link_opens_the_trainer_with_the_setting(monkeypatch):
    from pathlib import Path
    from urllib.parse import parse_qs, urlsplit

    from streamlit.testing.v1 import AppTest

    hyper = sweep_links.cell_hyper(GRID, HP, 6)
    href = sweep_links.trainer_url("adam", hyper, "synthetic", 20, 3)
    assert urlsplit(href).path == "trainer"
    query = parse_qs(urlsplit(href).query)
    page = Path(__file__).resolve().parents[1] / "pages" / "trainer.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    for key, (value,) in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="data").value == "Synthetic"
    assert at.selectbox(key="optimizer").value == "adam"
    for field in ("lr", "beta1", "beta2", "eps"):
        assert at.number_input(key=f"train.adam.{field}").value == hyper[field]
    assert (at.number_input(key="batch").value, at.number_input(key="epochs").value) == (20, 3)

