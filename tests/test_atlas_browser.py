"""The atlas page in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
installed by .ci/run) driven by selenium. Skipped, with the reason, where either is absent."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

BACKGROUND = np.array([250, 250, 250])
HIGHLIGHT = np.array([232, 0, 11])  # the page's colour for search matches
BAR = 45  # the search bar's height in CSS pixels; the map is below it


def _browser_or_skip():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does it)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture()
def browser():
    driver = _browser_or_skip()
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, script: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _map_pixels(driver) -> np.ndarray:
    import io

    from PIL import Image

    shot = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")).astype(int)
    return shot[BAR + 5:]


def test_the_page_draws_points_highlights_a_search_and_logs_no_error(use_index, tmp_path, browser):
    from selenium.webdriver.common.by import By

    import promptkit

    result = promptkit.atlas(out=tmp_path / "atlas.html")
    page = result.html.read_text(encoding="utf-8")
    prompts = json.loads(page.split('id="atlas-data">', 1)[1].split("</script>", 1)[0])["prompts"]
    browser.get(result.html.resolve().as_uri())
    assert _wait(browser, "return window.atlasState && window.atlasState.drawn") == len(prompts)

    before = _map_pixels(browser)
    drawn = np.abs(before - BACKGROUND).sum(axis=2) > 60
    assert drawn.sum() > 500  # points (and labels) were drawn in the plot area
    rows, columns = np.nonzero(drawn)
    assert np.ptp(columns) > 0.5 * drawn.shape[1] and np.ptp(rows) > 0.5 * drawn.shape[0]  # across the window, not in a corner
    assert not (np.abs(before - HIGHLIGHT).sum(axis=2) < 40).any()

    browser.find_element(By.ID, "search").send_keys("lighthouse")
    expected = sum("lighthouse" in p.lower() for p in prompts)
    assert 0 < expected < len(prompts)
    assert _wait(browser, "return window.atlasState.matches") == expected
    assert "matching prompts" in browser.find_element(By.ID, "count").text
    after = _map_pixels(browser)
    assert (np.abs(after - HIGHLIGHT).sum(axis=2) < 40).sum() >= expected  # the matches drawn as red dots (some overlap)

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [] and browser.execute_script("return window.atlasErrors") == []


def test_hover_shows_the_prompt_and_click_copies_it(use_index, tmp_path, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    import promptkit

    result = promptkit.atlas(out=tmp_path / "atlas.html")
    browser.get(result.html.resolve().as_uri())
    _wait(browser, "return window.atlasState && window.atlasState.drawn")
    canvas = browser.find_element(By.ID, "map")
    x, y, prompt = browser.execute_script("const p = toScreen(0); return [p[0], p[1], data.prompts[0]];")
    rect = canvas.rect
    ActionChains(browser).move_to_element_with_offset(canvas, int(x - rect["width"] / 2), int(y - rect["height"] / 2)).perform()
    card = browser.find_element(By.ID, "card")
    _wait(browser, "return document.getElementById('card').style.display === 'block'")
    assert browser.execute_script("return data.prompts[hover]") in card.text
    ActionChains(browser).click().perform()
    _wait(browser, "return document.getElementById('toast').style.display === 'block'")
    assert browser.find_element(By.ID, "toast").text == "prompt copied"
    assert prompt
    assert browser.execute_script("return window.atlasErrors") == []
