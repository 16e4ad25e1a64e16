#!/usr/bin/env python3
"""The panel in headless Chromium (Debian's chromium, chromium-driver, python3-selenium), for
tests/integration/panel.sh: prints one "RESULT key value" line per check.

  panel-browser.py URL CUSTOMER_TOKEN WRONG_TOKEN VPS OTHER_VPS EXPECT SHOT_DIR OPERATOR_TOKEN
                   VPSCTL ROOT   (to start OTHER_VPS behind the page's back)
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def result(key, value):
    print("RESULT %s %s" % (key, str(value).replace("\n", " ")), flush=True)


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--ignore-certificate-errors", "--window-size=1280,1000",
              "--user-data-dir=" + os.environ.get("CHROME_PROFILE", "/tmp/chromium-panel")):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def login(d, url, token):
    d.get(url)
    box = WebDriverWait(d, 20).until(EC.element_to_be_clickable((By.ID, "token")))
    box.clear()
    box.send_keys(token)
    d.find_element(By.ID, "login-button").click()


def main(url, tok, wrong, vps, other, expect, shots, op, vpsctl, root):
    d = browser()
    w = WebDriverWait(d, 30)
    try:
        # a wrong token: an error, no list
        login(d, url, wrong)
        err = w.until(lambda d: d.find_element(By.ID, "login-error").text or None)
        result("wrong_token_error", err)
        result("wrong_token_list_hidden", not d.find_element(By.ID, "main").is_displayed())

        login(d, url, tok)
        card = '.vps[data-name="%s"]' % vps
        w.until(EC.visibility_of_element_located((By.CSS_SELECTOR, card)))
        names = [e.get_attribute("data-name") for e in d.find_elements(By.CSS_SELECTOR, ".vps")]
        result("names", ",".join(names))
        result("other_shown", other in names)
        result("token_in_session_storage",
               d.execute_script("return sessionStorage.getItem('vpsctl-token') === arguments[0]", tok))
        result("token_in_local_storage", d.execute_script("return localStorage.length > 0"))
        state = lambda: d.find_element(By.CSS_SELECTOR, card + " .state").text
        result("state_before", state())

        d.find_element(By.CSS_SELECTOR, card + " .act-start").click()
        w.until(lambda d: state() == "running")
        result("state_after_start", state())

        d.find_element(By.CSS_SELECTOR, card + " .act-console").click()
        w.until(lambda d: d.find_element(By.ID, "console-state").text == "connected")
        result("console", d.find_element(By.ID, "console-state").text)
        term = d.find_element(By.ID, "term")
        term.click()
        time.sleep(0.5)
        ActionChains(d).send_keys("\n").perform()
        time.sleep(0.5)
        ActionChains(d).send_keys("hostname\n").perform()
        text = lambda: term.text.replace("\u00a0", " ")
        try:
            WebDriverWait(d, 20).until(
                lambda d: any(line.strip() == expect for line in text().splitlines()))
            result("hostname_answer", expect)
        except Exception:
            result("hostname_answer", "none: " + text()[-300:])
        os.makedirs(shots, exist_ok=True)
        for name in ("console",):
            path = os.path.join(shots, "panel-%s.png" % name)
            d.save_screenshot(path)
            result("screenshot", path)
        d.find_element(By.ID, "console-close").click()

        # root's password through the form
        d.find_element(By.CSS_SELECTOR, card + " .new-password").send_keys("panel-pass-123")
        d.find_element(By.CSS_SELECTOR, card + " .act-password").click()
        w.until(lambda d: d.find_element(By.ID, "message").text)
        result("password_message", d.find_element(By.ID, "message").text)
        result("password_field_cleared",
               d.find_element(By.CSS_SELECTOR, card + " .new-password").get_attribute("value") == "")

        # the graphs: the daemon's history, refreshed every 10 s by the page
        canvas = d.find_element(By.CSS_SELECTOR, card + " canvas")
        try:
            WebDriverWait(d, 40).until(lambda d: int(canvas.get_attribute("data-samples") or 0) >= 5)
        except Exception:
            pass
        result("graph_samples_ge_5", int(canvas.get_attribute("data-samples") or 0) >= 5)
        result("customer_sees_node", d.find_element(By.ID, "node").is_displayed())
        path = os.path.join(shots, "panel-list.png")
        d.save_screenshot(path)
        result("screenshot", path)

        # an operator: the node and every VPS
        d.find_element(By.ID, "logout").click()
        result("logged_out_token_gone", d.execute_script("return sessionStorage.getItem('vpsctl-token')"))
        login(d, url, op)
        w.until(EC.visibility_of_element_located((By.ID, "node")))
        w.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".vps")) >= 2)
        names = sorted(e.get_attribute("data-name") for e in d.find_elements(By.CSS_SELECTOR, ".vps"))
        result("operator_names", ",".join(names))
        result("operator_node", d.find_element(By.ID, "node-facts").text)
        # a start made with the CLI reaches the page as an event
        import subprocess
        subprocess.run([vpsctl, "--root", root, "start", other], check=True,
                       stdout=subprocess.DEVNULL, timeout=60)
        ocard = '.vps[data-name="%s"]' % other
        try:
            w.until(lambda d: d.find_element(By.CSS_SELECTOR, ocard).get_attribute("data-event") == "running")
        except Exception:
            pass
        result("event_state", d.find_element(By.CSS_SELECTOR, ocard).get_attribute("data-event"))
        result("event_card_state", d.find_element(By.CSS_SELECTOR, ocard + " .state").text)
        path = os.path.join(shots, "panel-operator.png")
        d.save_screenshot(path)
        result("screenshot", path)
        # the page's own errors: a CSP violation would show here
        csp = [e["message"] for e in d.get_log("browser")
               if "Content Security Policy" in e["message"]]
        result("csp_violations", len(csp))
        for m in csp:
            print("# " + m)
    finally:
        d.quit()


if __name__ == "__main__":
    main(*sys.argv[1:11])
