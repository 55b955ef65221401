"""`xferval report` on real reports (the tabular example passing and failing, a model check on
Fashion-MNIST, a verify of real parameters): the HTML page opened in headless Chromium (the DOM
comes back with the verdict and every chart, no console error, the screenshot not blank), the JUnit
XML parsed with xml.etree and its structure checked, the Markdown tables, and the exit status as
the verdict (2 for a broken report, with nothing written)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

from common import ROOT, check, finish, run
from parameters_numpy import write_safetensors

TABULAR = os.path.join(ROOT, "examples", "tabular")
MODELS = os.path.join(ROOT, "examples", "models")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--enable-logging=stderr", "--v=0"]


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("FAIL: Debian's chromium is not installed (scripts/setup.sh installs it): "
                     "the HTML report cannot be opened\ntest_report_html: 0 passed, 1 failed")


def chromium(folder, page, *args):
    profile = tempfile.mkdtemp(dir=folder)
    result = subprocess.run([chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args,
                             "file://" + os.path.abspath(page)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"FAIL: chromium could not run here (exit {result.returncode}):\n{result.stderr[-2000:]}\n"
                         "test_report_html: 0 passed, 1 failed")
    return result


def console_lines(stderr):
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def render(folder, report, stem, expect):
    html, md, junit = (os.path.join(folder, f"{stem}.{ext}") for ext in ("html", "md", "xml"))
    result = run("report", report, "--html", html, "--md", md, "--junit", junit, check=False)
    check(result.returncode == expect, f"{stem}: report exit {result.returncode}, want {expect}: {result.stderr}")
    terminal = run("report", report, check=False)
    check(terminal.returncode == expect, f"{stem}: terminal summary exit {terminal.returncode}")
    check(("PASS:" if expect == 0 else "FAIL:") in terminal.stdout, f"{stem}: terminal summary {terminal.stdout!r}")
    return html, md, junit


def check_html(folder, html, document, stem, sections):
    with open(html, encoding="utf-8") as handle:
        page = handle.read()
    check("http://" not in page and "https://" not in page, f"{stem}: a URL in the page")
    for fetch in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url("):
        check(fetch not in page, f"{stem}: {fetch} in the page")
    svg_count = page.count("<svg")
    check(svg_count == page.count("</svg>"), f"{stem}: unclosed <svg>")

    result = chromium(folder, html, "--dump-dom")
    dom = result.stdout
    verdict = document["verdict"]
    check(f'class="verdict {verdict}">{verdict}</div>' in dom, f"{stem}: verdict {verdict} not in the DOM")
    check(dom.count("<svg") == svg_count and svg_count >= len(sections) - 1,
          f"{stem}: {dom.count('<svg')} svg in the DOM, {svg_count} in the page")
    for section in ["verdict", "inputs", "overview", "checks", *sections]:
        check(f'<section id="{section}">' in dom, f"{stem}: section {section} missing from the DOM")
    check(dom.count("<tr class=") >= len(document["checks"]), f"{stem}: the table of checks is incomplete")
    check(console_lines(result.stderr) == [], f"{stem}: console output {console_lines(result.stderr)}")

    png = os.path.join(folder, f"{stem}.png")
    result = chromium(folder, html, f"--screenshot={png}", "--window-size=1200,2000", "--hide-scrollbars")
    check(console_lines(result.stderr) == [], f"{stem}: console output {console_lines(result.stderr)}")
    check(os.path.exists(png), f"{stem}: no screenshot")
    if os.path.exists(png):
        pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
        colours = len(np.unique(pixels, axis=0))
        check(pixels.std() > 20 and colours > 50, f"{stem}: screenshot looks blank ({colours} colours)")
        badge = np.array([0x2E, 0x7D, 0x32] if verdict == "PASS" else [0xC6, 0x28, 0x28])
        check(np.any(np.all(pixels == badge, axis=1)), f"{stem}: the {verdict} badge colour is not on screen")


def check_junit(junit, document, stem):
    root = ET.parse(junit).getroot()
    check(root.tag == "testsuites" and len(root.findall("testsuite")) == 1, f"{stem}: JUnit root {root.tag}")
    suite = root.find("testsuite")
    checks = document["checks"]
    errors = [c for c in checks if c["outcome"] == "fail" and c["severity"] == "error"]
    skipped = [c for c in checks if c["outcome"] == "skipped"]
    check(suite.get("name") == f"xferval.{document['verb']}", f"{stem}: suite {suite.get('name')}")
    check((suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("errors")) ==
          (str(len(checks)), str(len(errors)), str(len(skipped)), "0"), f"{stem}: suite counts {suite.attrib}")
    cases = suite.findall("testcase")
    check([(c.get("classname"), c.get("name")) for c in cases] ==
          [(c["name"], c["feature"] or "dataset") for c in checks], f"{stem}: test case names")
    for case, item in zip(cases, checks):
        failure = case.find("failure")
        if item["outcome"] == "fail" and item["severity"] == "error":
            check(failure is not None and failure.get("type") == "error" and item["message"] in failure.get("message")
                  and "fails when: value" in failure.text, f"{stem}: failure of {item['name']}")
        else:
            check(failure is None, f"{stem}: {item['name']} {item['severity']} {item['outcome']} is a failure")
        if item["outcome"] == "fail" and item["severity"] != "error":
            out = case.find("system-out")
            check(out is not None and out.text.startswith(item["severity"].upper() + ":"),
                  f"{stem}: system-out of {item['name']}")
        check((case.find("skipped") is not None) == (item["outcome"] == "skipped"), f"{stem}: skipped {item['name']}")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    check(properties.get("verdict") == document["verdict"], f"{stem}: verdict property")


def check_markdown(md, document, stem):
    with open(md, encoding="utf-8") as handle:
        text = handle.read()
    check(text.startswith(f"## xferval {document['verb']}: {document['verdict']}\n"), f"{stem}: Markdown heading")
    failed = [c for c in document["checks"] if c["outcome"] == "fail"]
    rows = re.findall(r"^\| (?:\*\*error\*\*|warn|info) \|", text.split("<details>")[0], flags=re.M)
    check(len(rows) == len(failed), f"{stem}: {len(rows)} failed rows, {len(failed)} failed checks")
    if failed:
        first = sorted(failed, key=lambda c: ["error", "warn", "info"].index(c["severity"]))[0]
        check(rows[0].startswith("| **error**" if first["severity"] == "error" else f"| {first['severity']}"),
              f"{stem}: failed rows not error first")
    all_rows = re.findall(r"^\| (?:pass|fail|skipped) \|", text.split("<details>")[1], flags=re.M)
    check(len(all_rows) == len(document["checks"]), f"{stem}: {len(all_rows)} rows in <details>")


def exercise(folder, report, stem, expect, sections):
    with open(report) as handle:
        document = json.load(handle)
    check(document["verdict"] == ("PASS" if expect == 0 else "FAIL"), f"{stem}: verdict {document['verdict']}")
    html, md, junit = render(folder, report, stem, expect)
    check_html(folder, html, document, stem, sections)
    check_junit(junit, document, stem)
    check_markdown(md, document, stem)


with tempfile.TemporaryDirectory() as folder:
    card = os.path.join(folder, "tabular.card.json")
    run("card", "--data", os.path.join(TABULAR, "source.csv"), "--label", "diagnosis", "-q", "-o", card)
    passing, failing = os.path.join(folder, "pass.json"), os.path.join(folder, "fail.json")
    result = run("check", "--card", card, "--data", os.path.join(TABULAR, "target.csv"), "-q", "-o", passing,
                 check=False)
    check(result.returncode == 0, f"tabular target: check exit {result.returncode}")
    result = run("check", "--card", card, "--data", os.path.join(TABULAR, "target_shifted.csv"), "-q", "-o", failing,
                 check=False)
    check(result.returncode == 1, f"shifted tabular target: check exit {result.returncode}")
    exercise(folder, passing, "tabular-pass", 0, ["drift", "mahalanobis"])
    exercise(folder, failing, "tabular-fail", 1, ["drift", "mahalanobis"])

    # A model check: OOD deciles and transferability against its control.
    model_card, model_report = os.path.join(folder, "fmnist.card.json"), os.path.join(folder, "fmnist.json")
    model = os.path.join(MODELS, "fmnist_cnn_0-4.pt")
    run("card", "--model", model, "--data", os.path.join(MODELS, "fmnist_source_0-4.npz"), "--member", "images",
        "--label", "labels", "-q", "-o", model_card)
    result = run("check", "--card", model_card, "--model", model, "--data",
                 os.path.join(MODELS, "fmnist_target_5-9.npz"), "--member", "images", "--label", "labels", "-q",
                 "-o", model_report, check=False)
    with open(model_report) as handle:
        expect = 0 if json.load(handle)["verdict"] == "PASS" else 1
    check(result.returncode == expect, f"model check exit {result.returncode}")
    exercise(folder, model_report, "fmnist", expect, ["drift", "ood", "transfer"])

    # A verify report: per-layer change.
    rng = np.random.default_rng(0)
    base = {f"fc{i}.weight": rng.normal(size=(32, 16)).astype(np.float32) for i in range(1, 4)}
    tuned = {name: value + np.float32(0.05) * rng.normal(size=value.shape).astype(np.float32)
             for name, value in base.items()}
    verify_report = os.path.join(folder, "verify.json")
    result = run("verify", "--base", write_safetensors(os.path.join(folder, "base.safetensors"), base), "--tuned",
                 write_safetensors(os.path.join(folder, "tuned.safetensors"), tuned), "-q", "-o", verify_report,
                 check=False)
    check(result.returncode == 0, f"verify exit {result.returncode}: {result.stderr}")
    exercise(folder, verify_report, "verify", 0, ["layers"])

    # Broken reports: exit 2, an error naming the file, nothing written.
    out = os.path.join(folder, "broken-out")
    os.makedirs(out)
    truncated = os.path.join(folder, "truncated.json")
    with open(failing) as source, open(truncated, "w") as handle:
        handle.write(source.read()[:500])
    other = os.path.join(folder, "other.json")
    with open(other, "w") as handle:
        json.dump({"format": "xferval.profile/1"}, handle)
    for broken in (truncated, other, os.path.join(folder, "missing.json")):
        result = run("report", broken, "--html", os.path.join(out, "r.html"), "--junit", os.path.join(out, "r.xml"),
                     check=False)
        check(result.returncode == 2 and os.path.basename(broken) in result.stderr,
              f"{broken}: exit {result.returncode}, {result.stderr!r}")
        check(os.listdir(out) == [], f"{broken}: output left behind: {os.listdir(out)}")
    result = run("report", check=False)
    check(result.returncode == 2, f"report without a file: exit {result.returncode}")
    result = run("report", "--help", check=False)
    check(result.returncode == 0 and "Examples:" in result.stdout, "report --help")

finish("test_report_html")
