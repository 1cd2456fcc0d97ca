"""Screenshot the three pages of issue 15 on a served embedded demo (after `demo_seed` and
extra_data.py). Usage: python shoot.py BASE_URL SUFFIX GRID_PATH PLAN_PATH JURY_PATH OUTDIR"""

import sys

from playwright.sync_api import sync_playwright

base, suffix, grid, plan, jury, out = sys.argv[1:7]
PASSWORD = "demo-certif-2026"  # noqa: S105 - organisations.demo.DEMO_PASSWORD, printed by demo_seed
PAGES = (
    ("evaluateur@uimm-idf.demo", grid, "grille-10-capacites"),
    ("gestionnaire@cci-lyon.demo", plan, "plan-rncp36390"),
    ("gestionnaire@cci-lyon.demo", jury, "jury"),
)

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
    for email, path, name in PAGES:
        context = browser.new_context(
            locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 860}
        )
        page = context.new_page()
        page.goto(base + "/comptes/login/")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        results = page.locator("details.resultats-blocs summary")  # the jury page after issue 15
        if results.count():
            results.first.click()
        print(name, suffix, "page width", page.evaluate("document.documentElement.scrollWidth"))
        page.screenshot(path=f"{out}/{name}-{suffix}.png", full_page=True)
        context.close()
    browser.close()
