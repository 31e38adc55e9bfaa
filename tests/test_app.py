"""The Streamlit app starts and the home page explains Adam (AppTest, no browser)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optviz import presets
from ui.presets import url

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture
def at() -> AppTest:
    # An absolute path: AppTest resolves relative ones against this test file.
    return AppTest.from_file(str(APP), default_timeout=30).run()


def test_app_runs_without_exception(at: AppTest) -> None:
    assert not at.exception


def test_home_page_title(at: AppTest) -> None:
    assert [t.value for t in at.title] == ["Adam, explained"]


@pytest.mark.parametrize(
    "fragment",
    [
        r"m_t = \beta_1 m_{t-1}",
        r"v_t = \beta_2 v_{t-1}",
        r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}",
        r"\hat{v}_t = \frac{v_t}{1 - \beta_2^t}",
        r"x_t = x_{t-1} - \eta",
    ],
)
def test_home_page_shows_update_equation(at: AppTest, fragment: str) -> None:
    assert any(fragment in latex.value for latex in at.latex)


def test_home_page_shows_five_equations(at: AppTest) -> None:
    assert len(at.latex) == 5


def test_home_page_mentions_cli(at: AppTest) -> None:
    assert any("python -m optviz trajectory" in c.value for c in at.code)


def test_home_page_links_every_lecture_preset(at: AppTest) -> None:
    html = "\n".join(m.value for m in at.markdown)
    for p in presets.PRESETS.values():
        assert f'href="{url(p, lecture=True)}"' in html
        assert f'href="{url(p, lecture=False)}"' in html and p.title in html
