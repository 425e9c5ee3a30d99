"""The admin's look in headless Chromium: a phone-sized screen, focus for keyboard users."""

from __future__ import annotations

from .helpers import PHONE, TIMEOUT, expect, login, screenshot, table


def test_the_list_on_a_phone(browser, server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        login(page, server)
        page.goto(f"{server.url}/admin/book/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert len(table(page)) > 0
        layout = page.evaluate(
            """() => {
            const root = document.documentElement;
            const table = document.querySelector('main table');
            let scroller = table.parentElement;
            while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX))
                scroller = scroller.parentElement;
            return {
                viewport: window.innerWidth,
                page: root.scrollWidth,
                table: table.getBoundingClientRect().width,
                scroller: scroller && scroller !== root && scroller !== document.body
                    ? scroller.getBoundingClientRect().width : null,
            };
        }"""
        )
        # the page itself never scrolls sideways ...
        assert layout["page"] <= layout["viewport"], layout
        # ... a table wider than the screen scrolls inside its own container
        if layout["table"] > layout["viewport"]:
            assert layout["scroller"] is not None and layout["scroller"] <= layout["viewport"]
        # the filters are folded away, so the first rows are on the first screen
        panel = page.locator("details.filter-panel")
        expect(panel).not_to_have_attribute("open", "")
        first_row = page.locator("main table tbody tr").first.bounding_box()
        assert first_row and first_row["y"] + first_row["height"] <= PHONE["height"], first_row
        screenshot(page, "list-phone", docs=True)
        panel.locator("summary").click()
        # the search box and the pagination are on the screen, not cut off
        for locator in (
            page.get_by_role("search", name="Filters").get_by_label("Search"),
            page.get_by_role("navigation", name="Pagination"),
        ):
            box = locator.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= layout["viewport"], box
    finally:
        context.close()


FOCUS_STYLE = """e => {
    const s = getComputedStyle(e);
    return {outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
            shadow: s.boxShadow, width: parseFloat(s.outlineWidth), style: s.outlineStyle};
}"""


def test_keyboard_focus_is_visible(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/new")
    title = page.locator("#field-title")
    expect(title).to_have_count(1)
    before = title.evaluate(FOCUS_STYLE)
    for _ in range(80):  # tab through the page until the title field has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "field-title":
            break
    else:
        raise AssertionError("Tab never reached the title field")
    assert title.evaluate("e => e.matches(':focus-visible')")
    after = title.evaluate(FOCUS_STYLE)
    outlined = after["style"] != "none" and after["width"] >= 2
    shadowed = after["shadow"] != "none" and after["shadow"] != before["shadow"]
    assert outlined or shadowed, (before, after)
    assert after != before
    page.keyboard.type("Typed by keyboard")
    expect(title).to_have_value("Typed by keyboard")
    screenshot(page, "focus")
