"""A real browser (headless Chromium) loads the page, submits the form and sees the new entry."""

import shutil
from pathlib import Path

import pytest

from conftest import ROOT

ARTIFACTS = ROOT / ".build-artifacts"


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    driver_path = shutil.which("chromedriver")
    assert driver_path, "chromedriver (Debian package chromium-driver) is required"
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1000"]:
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=DriverService(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(15)
    yield driver
    driver.quit()


def test_submit_the_form_in_a_browser(start_service, browser):
    from selenium.webdriver.common.by import By

    backend = start_service("backend")
    frontend = start_service("frontend", BACKEND_URL=f"http://127.0.0.1:{backend.port}", APP_VERSION="v2")
    base = f"http://127.0.0.1:{frontend.port}"

    browser.get(base + "/")
    assert browser.title == "Skalar guestbook"
    assert browser.find_element(By.CSS_SELECTOR, ".served-by .version").text == "v2"
    browser.find_element(By.NAME, "author").send_keys("Browser <b>bold</b>")
    browser.find_element(By.NAME, "message").send_keys("Typed in Chromium & sent.")
    browser.find_element(By.CSS_SELECTOR, "form.compose button").click()

    assert browser.current_url == base + "/", "the 303 brought the browser back to the page"
    first = browser.find_element(By.CSS_SELECTOR, ".entries li")
    assert first.find_element(By.CSS_SELECTOR, ".author").text == "Browser <b>bold</b>", "shown as text, not markup"
    assert first.find_element(By.CSS_SELECTOR, ".message").text == "Typed in Chromium & sent."
    assert browser.find_elements(By.CSS_SELECTOR, ".entries b") == []
    color = browser.execute_script(
        "return getComputedStyle(document.querySelector('.served-by .version')).color")
    assert color not in ("rgb(0, 0, 0)", ""), "the stylesheet loaded under the page's CSP"

    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "guestbook-page.png"))
