"""The index page in a real browser (Selenium, headless Chromium)."""

from __future__ import annotations

from selenium.webdriver.common.by import By


def test_index_links_every_page_and_each_page_opens(page):
    from neuralzoo.serve.app import PAGES

    page.open("/", ready=".cards a")
    links = [a.get_attribute("href") for a in page.driver.find_elements(By.CSS_SELECTOR, ".cards a")]
    paths = sorted(link.removeprefix(page.base) for link in links)
    assert paths == sorted("/" + p for p in PAGES if p)  # one card per page, each page once
    page.check_clean()
    page.click(".cards a[href='/cnn']")  # a person's click reaches the page
    page.wait_for(lambda d: d.current_url == page.base + "/cnn")
    assert page.text("h1")
    page.check_clean()
