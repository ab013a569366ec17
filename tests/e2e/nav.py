"""Driving the navigation bar in browser tests: its entries sit in dropdown menus
(pae_ops.navigation) and, below 1200 px, behind the toggler."""

from __future__ import annotations

from playwright.sync_api import Page


def open_bar(page: Page) -> None:
    """Open the collapsed bar (narrow screens); nothing on a wide one."""
    toggler = page.get_by_test_id("nav-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#main-nav.show").wait_for()


def go_to(page: Page, key: str) -> None:
    """Follow the bar's entry ``key`` (``data-nav``), opening its menu first."""
    open_bar(page)
    link = page.get_by_test_id("nav").locator(f'[data-nav="{key}"]')
    menu = page.locator(f'li.dropdown:has([data-nav="{key}"]) > [data-bs-toggle="dropdown"]')
    if menu.count() and not link.is_visible():
        menu.click()
    link.click()


def open_user_menu(page: Page) -> None:
    open_bar(page)
    toggle = page.get_by_test_id("user-menu")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def log_out(page: Page) -> None:
    open_user_menu(page)
    page.get_by_test_id("logout").click()
