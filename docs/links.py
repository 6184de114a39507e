#!/usr/bin/python3
"""Check that every link between the tutorial's pages lands somewhere.

For each Markdown link in docs/*.md and README.md to a file of this project, the file must
exist, and a fragment (#name) must name a heading of that page: either its explicit id
({#name}) or the id GitHub derives from its words (lower case, punctuation dropped,
spaces as hyphens). Links to the web are not followed (the check runs offline), and text
inside fenced code blocks is not read as links.

    links.py    exit 1, naming the page, line and link, when a link points nowhere
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
EXPLICIT = re.compile(r"\{#([\w-]+)\}\s*$")


def prose(path):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(words):
    words = re.sub(r"[`*_]", "", words.strip().lower())
    words = re.sub(r"[^\w\- ]", "", words)
    return words.replace(" ", "-")


def anchors(path):
    found = set()
    for _, line in prose(path):
        m = HEADING.match(line)
        if not m:
            continue
        words = m.group(1)
        explicit = EXPLICIT.search(words)
        if explicit:
            found.add(explicit.group(1))
            words = words[: explicit.start()]
        found.add(slug(words))
    return found


def problems_of(page, cache):
    problems = []
    for number, line in prose(page):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            file, _, fragment = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            where = f"{page.relative_to(ROOT)}:{number}: '{target}'"
            if not dest.exists():
                problems.append(f"{where}: no such file")
            elif fragment and dest.suffix == ".md":
                if dest not in cache:
                    cache[dest] = anchors(dest)
                if fragment not in cache[dest]:
                    problems.append(f"{where}: no heading '#{fragment}' in {dest.name}")
    return problems


def main():
    pages = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
    cache, problems = {}, []
    for page in pages:
        problems += problems_of(page, cache)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"links: {len(problems)} link(s) point nowhere", file=sys.stderr)
        return 1
    print(f"links: every link of {len(pages)} pages lands")
    return 0


if __name__ == "__main__":
    sys.exit(main())
