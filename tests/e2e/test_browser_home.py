"""The home page in a real browser."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_home_page_renders_the_equations(app_page):
    expect(app_page.get_by_role("heading", name="Adam, explained")).to_be_visible()
    expect(app_page.locator(".katex").first).to_be_visible()
    assert app_page.locator(".katex-display").count() >= 5
    expect(app_page.locator("[data-testid='stException']")).to_have_count(0)
