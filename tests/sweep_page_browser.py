#!/usr/bin/env python3
"""tests/sweep_page_browser.py — the sweep pages, opened in a real browser (headless Chromium).

For each tape (chapter 4's one neuron, person 1's and the batched one at chapter 4's start,
and a 1,000-node tape written by test_sweep_page), the page is opened at #step=end and at
steps in the middle of the recording and of the sweep; Chromium runs the page's script and
dumps the DOM, and every node's displayed value and adjoint is compared with print_tape's
table of the same tape (`tape_graph --table`), to the printed precision. On the backward
step, every share shows three numbers, adjoint (x or elementwise) local derivative = share,
and they must agree; the last step must read the gradient off: one line per variable, its
adjoint as the table has it. Chromium's network log must show no request made by the page.
A canary page that does fetch something proves the check can fail.

Exit 77 (CTest: skipped) when Chromium is not installed: apt-get install chromium.
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

SKIP = 77


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def open_page(browser, page, fragment, profile, netlog):
    """The DOM after the page's script ran, and the URLs the page itself requested."""
    # Nothing may leave the machine: every host name resolves to nothing, and the browser's own
    # background services are off. The page's requests would still show in the network log.
    command = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
               "--proxy-server=http://127.0.0.1:9", "--user-data-dir=" + profile,
               "--log-net-log=" + netlog, "--net-log-capture-mode=Everything",
               "--virtual-time-budget=2000", "--dump-dom",
               "file://" + os.path.abspath(page) + fragment]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"chromium failed on {page}{fragment}: {result.stderr[-2000:]}")
    return result.stdout, page_requests(netlog)


def page_requests(netlog):
    """URLs requested on behalf of a page (an origin as initiator), not by the browser itself."""
    with open(netlog) as f:
        log = json.load(f)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in params:
            if params.get("initiator") != "not an origin" and not params["url"].startswith("file:"):
                urls.append(params["url"])
    return urls


class Rows(html.parser.HTMLParser):
    """Every table row id="row-N": its kind, value and adjoint cells' text; which row is
    current; each share of the step shown (its cells' text by class); the gradient's lines."""

    def __init__(self):
        super().__init__()
        self.rows, self.current, self._row, self._cell = {}, None, None, None
        self.counter, self._in_counter = "", False
        self.shares, self._share, self._share_cell = [], None, None
        self.gradient, self._in_gradient = [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "tr" and (a.get("id") or "").startswith("row-"):
            self._row = int(a["id"][4:])
            self.rows[self._row] = {"value": "", "adjoint": "", "kind": classes[0] if classes else ""}
            if "current" in classes:
                self.current = self._row
        elif tag == "td" and self._row is not None and a.get("class") in ("value", "adjoint"):
            self._cell = a["class"]
        elif tag == "tr" and "share" in classes:
            self._share = {}
            self.shares.append(self._share)
        elif tag == "td" and self._share is not None:
            self._share_cell = classes[-1] if classes else "to"
            self._share[self._share_cell] = ""
        elif tag == "li" and "gradient" in classes:
            self._in_gradient = True
            self.gradient.append("")
        elif a.get("id") == "counter":
            self._in_counter = True

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = self._share_cell = None
        elif tag == "tr":
            self._row = self._share = None
        elif tag == "span":
            self._in_counter = False
        elif tag == "li":
            self._in_gradient = False

    def handle_data(self, data):
        if self._cell:
            self.rows[self._row][self._cell] += data
        if self._share is not None and self._share_cell:
            self._share[self._share_cell] += data
        if self._in_gradient:
            self.gradient[-1] += data
        if self._in_counter:
            self.counter += data


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|[-+]?inf|nan")


def numbers(text):
    return [float(x) for x in NUMBER.findall(text)]


def check_shares(name, shares, failures):
    """Each share's three numbers: adjoint (x or elementwise) local = share, to the printed
    precision; "summed =" for a broadcast parent adds the products up. A formula (a matrix
    op) shows no numbers for the local derivative and is left out."""
    checked = 0
    for sh in shares:
        g, local, share = numbers(sh.get("g", "")), numbers(sh.get("local", "")), numbers(sh.get("received", ""))
        if not local or "..." in sh.get("local", "") + sh.get("g", "") + sh.get("received", ""):
            continue  # a formula, or a value cut short
        if len(g) == 1:
            g = g * len(local)
        products = [a * b for a, b in zip(g, local)]
        want = [sum(products)] if "summed" in sh.get("eq", "") else products
        if len(want) != len(share) or any(abs(a - b) > 1e-4 * (1 + abs(b)) for a, b in zip(want, share)):
            failures.append(f"{name}: share to {sh.get('to')}: {sh.get('g')} x {sh.get('local')} is not {sh.get('received')}")
        checked += 1
    return checked


def read_table(text):
    """print_tape's table: columns found from the header's positions (values contain spaces)."""
    lines = text.splitlines()
    header = lines[0]
    value_at, adjoint_at = header.index("value"), header.index("adjoint")
    table = {}
    for line in lines[1:]:
        index = int(line[:header.index("op")].strip() or line.split()[0])
        table[index] = {"value": line[value_at:adjoint_at].strip(), "adjoint": line[adjoint_at:].strip()}
    return table


def steps_of(dom):
    parsed = Rows()
    parsed.feed(dom)
    words = parsed.counter.split()  # "step S of N"
    return parsed, int(words[1]), int(words[3])


def check_page(browser, page, table, work, failures):
    name = os.path.basename(page)
    run = [0]

    def load(fragment):
        run[0] += 1
        dom, requests = open_page(browser, page, fragment, os.path.join(work, "profile"),
                                  os.path.join(work, f"{name}.{run[0]}.netlog.json"))
        if requests:
            failures.append(f"{name}{fragment}: the page made network requests: {requests}")
        return steps_of(dom)

    # The end: every value and every adjoint, as the tape has them.
    rows, step, last = load("#step=end")
    if step != last:
        failures.append(f"{name}#step=end opened at step {step} of {last}")
    if sorted(rows.rows) != sorted(table):
        failures.append(f"{name}: the page has rows {len(rows.rows)}, the tape {len(table)} nodes")
        return
    for i, want in table.items():
        for column in ("value", "adjoint"):
            if rows.rows[i][column] != want[column]:
                failures.append(f"{name}#step=end node {i} {column}: page '{rows.rows[i][column]}', "
                                f"tape '{want[column]}'")
    # The last step reads the gradient off: one line per variable, "∂loss/∂w = adjoint".
    variables = [i for i in table if rows.rows[i]["kind"] == "variable"]
    gradient_lines = len(rows.gradient)
    if len(rows.gradient) != len(variables) or not variables:
        failures.append(f"{name}#step=end: {len(rows.gradient)} gradient lines for {len(variables)} variables")
    for line, i in zip(rows.gradient, variables):
        if not line.startswith("∂") or not line.endswith("= " + table[i]["adjoint"]):
            failures.append(f"{name}#step=end: gradient line '{line}', the tape's adjoint of #{i} is "
                            f"'{table[i]['adjoint']}'")
    n = len(table)
    # Halfway through the recording: the first nodes have values, the rest none, no adjoints.
    middle = n // 2
    rows, step, _ = load(f"#step={middle}")
    for i in table:
        want = table[i]["value"] if i < middle else ""
        if rows.rows[i]["value"] != want or rows.rows[i]["adjoint"] != "":
            failures.append(f"{name}#step={middle} node {i}: value '{rows.rows[i]['value']}' (want '{want}'), "
                            f"adjoint '{rows.rows[i]['adjoint']}' (want none yet)")
    # Halfway through the sweep: the current node and every node after it have received all
    # their shares (their users all come later on the tape), so they show their final adjoint.
    sweep_middle = (n + 1 + last) // 2
    rows, step, _ = load(f"#step={sweep_middle}")
    if step != sweep_middle or rows.current is None:
        failures.append(f"{name}#step={sweep_middle}: opened at {step}, current node {rows.current}")
        return
    for i in table:
        if i >= rows.current and rows.rows[i]["adjoint"] != table[i]["adjoint"]:
            failures.append(f"{name}#step={sweep_middle} node {i} (current {rows.current}): adjoint "
                            f"'{rows.rows[i]['adjoint']}', final '{table[i]['adjoint']}'")
        if rows.rows[i]["value"] != table[i]["value"]:
            failures.append(f"{name}#step={sweep_middle} node {i}: value '{rows.rows[i]['value']}'")
    if not rows.shares:
        failures.append(f"{name}#step={sweep_middle}: no shares shown on a backward step")
    checked = check_shares(f"{name}#step={sweep_middle}", rows.shares, failures)
    if checked == 0:
        failures.append(f"{name}#step={sweep_middle}: no share with its three numbers")
    print(f"{name}: {n} nodes, {last} steps: end, step {middle} and step {sweep_middle} match the tape; "
          f"{checked} shares are adjoint x local; the last step reads off {gradient_lines} gradient lines")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tape-graph", required=True, help="the tape_graph program")
    parser.add_argument("--thousand", required=True, help="folder with thousand.html and thousand.txt")
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    browser = chromium()
    if not browser:
        print("skipped: no Chromium on PATH; install the Debian package chromium (.ci/install-deps does)")
        return SKIP
    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = []

    # The canary: a page that does request something must be caught.
    canary = os.path.join(work, "canary.html")
    with open(canary, "w") as f:
        f.write('<!DOCTYPE html><img src="http://127.0.0.1:9/canary.png"><span id="counter">step 0 of 0</span>')
    _, requests = open_page(browser, canary, "", os.path.join(work, "profile"), os.path.join(work, "canary.json"))
    if not any("canary.png" in url for url in requests):
        failures.append("the network check did not see the canary page's request: it cannot catch one")

    start = ["--init", "0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0,0,0"]  # chapter 4's tables' start
    for tape, flags in (("neuron", ["--neuron"]), ("person", start), ("batched", ["--batched", *start])):
        page = os.path.join(work, f"sweep-{tape}.html")
        subprocess.run([args.tape_graph, *flags, "--html", page], check=True, capture_output=True)
        table = subprocess.run([args.tape_graph, *flags, "--table"], check=True, capture_output=True, text=True)
        check_page(browser, page, read_table(table.stdout), work, failures)
    with open(os.path.join(args.thousand, "thousand.txt")) as f:
        check_page(browser, os.path.join(args.thousand, "thousand.html"), read_table(f.read()), work, failures)

    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
