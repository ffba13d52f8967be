"""`humanize --plot out.html`: the interactive piano roll, in a real headless Chromium
(Debian's chromium and chromium-driver, which .ci/run installs)."""

import time

import pytest
from browser import chromium, console_errors, needs_chromium, until

pytest.importorskip("plotly")
pytest.importorskip("selenium")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

BAND = "humanizer/examples/band.mid"
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    from humanizer.cli import main

    assert main(["humanize", BAND, "-o", str(folder / "band.mid"), "--timing", "1",
                 "--articulation", "1", "--plot", str(folder / "band.html")]) == 0
    return folder / "band.html"


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def loaded(browser, page) -> None:
    browser.get(page.as_uri())
    assert until(lambda: browser.execute_script(
        "const g = document.getElementById('humanized'); return !!(g && g._fullLayout);")), \
        "the plot never drew"


def test_the_page_opens_offline_with_no_console_error_and_shows_every_part(browser, page):
    loaded(browser, page)
    assert console_errors(browser) == []
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert [name for name in fetched if name.startswith("http")] == []  # self-contained
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".annotation-text")]
    for lane in ("melody", "pad", "bass", "drums - drum kit", "timing"):
        assert any(title.startswith(lane) for title in titles), (lane, titles)
    assert any("channel 3, bass, style bass" in title for title in titles)
    pieces = browser.execute_script(
        "return document.getElementById('humanized')._fullLayout.yaxis4.ticktext")
    assert {"Bass Drum", "Snare", "Closed Hi-Hat"} <= set(pieces)  # a row per drum piece


def test_dragging_zooms_to_a_bar_and_double_click_zooms_out(browser, page):
    loaded(browser, page)
    whole = browser.execute_script(
        "return document.getElementById('humanized')._fullLayout.xaxis.range")
    area = browser.find_elements(By.CSS_SELECTOR, ".nsewdrag")[0]
    ActionChains(browser).move_to_element_with_offset(area, -100, 0).click_and_hold() \
        .move_by_offset(120, 0).release().perform()
    zoomed = browser.execute_script(
        "return document.getElementById('humanized')._fullLayout.xaxis.range")
    assert zoomed[1] - zoomed[0] < (whole[1] - whole[0]) / 3
    later = browser.execute_script(  # every lane follows: one time axis
        "return document.getElementById('humanized')._fullLayout.xaxis4.range")
    assert later == zoomed
    ActionChains(browser).double_click(area).perform()
    time.sleep(0.5)
    again = browser.execute_script(
        "return document.getElementById('humanized')._fullLayout.xaxis.range")
    assert again == pytest.approx(whole)


def test_buttons_switch_every_lane_between_humanized_drawn_and_difference(browser, page):
    loaded(browser, page)
    shown = ("return document.getElementById('humanized').data"
             ".filter(t => t.type === 'bar' && t.visible === true).map(t => t.meta)")
    assert set(browser.execute_script(shown)) == {"humanized"}
    assert len(browser.execute_script(shown)) == 4  # a lane per part
    for label in ("drawn", "difference", "humanized"):
        button = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".updatemenu-button")
                      if b.text == label)
        button.click()
        time.sleep(0.3)
        assert set(browser.execute_script(shown)) == {label}


def test_hovering_a_note_gives_its_before_and_after(browser, page):
    loaded(browser, page)
    note = browser.find_elements(By.CSS_SELECTOR, ".barlayer .point path")[5]
    ActionChains(browser).move_to_element(note).perform()
    time.sleep(0.3)
    hover = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".hovertext"))
    assert "velocity 100 ->" in hover and "moved" in hover and "length" in hover, hover
