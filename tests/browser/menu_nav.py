"""Open a main-menu entry the way a user does: open its group's dropdown first."""

from __future__ import annotations

from typing import Any


def click_menu_entry(page: Any, label: str) -> None:
    nav = page.get_by_role("navigation", name="主菜单")
    link = nav.get_by_role("link", name=label, exact=True, include_hidden=True)
    if not link.is_visible():
        link.locator("xpath=ancestor::details[1]/summary").click()
    link.click()
