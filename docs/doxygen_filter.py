#!/usr/bin/python3
"""Doxygen's input filter for the tutorial's Markdown (FILTER_PATTERNS in Doxyfile.in).

The chapters and README.md link to each other by relative file names, which work when
the Markdown is read in the repository. Doxygen resolves most of them to its pages, but
sends a link to docs/index.md to the file's own listing rather than to the main page,
and does not know ../README.md. This filter rewrites those two kinds of link to Doxygen
references as it reads each file. It also puts each output block (the fenced block after
an `<!-- output: ... -->` marker, see snippets.py) in a <div class="output">, so that
tapegrad.css can set a program's output apart from code. It works line for line (the
marker line becomes the <div>, the blank line after the block its </div>), so Doxygen's
warnings keep their line numbers. README.md's title "tapegrad" becomes "About tapegrad
(README)" in the site's list of pages. The files themselves are not changed.

A link to a section, `[words](07-your-own-network.md#many-classes)`, names the heading by
the id GitHub derives from its words (links.py checks that it exists). Doxygen knows no
such ids, so the filter gives every heading without an explicit {#id} a label made of
the page and that id (md_07_your_own_network__many_classes) and rewrites the links to
refer to it, on the page itself (`#many-classes`) and from other pages.

    doxygen_filter.py FILE.md    prints FILE.md with the links rewritten
"""
import os
import re
import sys

from links import slug  # the id GitHub gives a heading, as links.py checks it

LINKS = [
    (re.compile(r"\]\((?:docs/)?index\.md\)"), "](@ref index)"),
    (re.compile(r"\]\((?:\.\./)?README\.md\)"), "](@ref md_README)"),
]


OUTPUT_MARKER = re.compile(r"^(\s*)<!-- output: \S+ -->\s*$")  # indented inside a list item
HEADING = re.compile(r"^(#{2,6}\s+)(.*?)\s*$")
SECTION_LINK = re.compile(r"\]\(((?:[\w.-]+/)*)([\w-]*)(?:\.md)?#([\w-]+)\)")


def label(page, section):
    """The Doxygen label of a section of a page: md_<page>__<section>, in word characters."""
    return re.sub(r"\W", "_", f"md_{page}__{section}")


def with_section_labels(line, page, fenced):
    """A heading gets its label; a link to a section refers to the label."""
    heading = HEADING.match(line) if not fenced else None
    if heading and "{#" not in line:
        return f"{heading.group(1)}{heading.group(2)} {{#{label(page, slug(heading.group(2)))}}}\n"

    def ref(m):
        target = m.group(2) or page
        return f"](@ref {label(target, m.group(3))})"

    return line if fenced else SECTION_LINK.sub(ref, line)


def main():
    readme = sys.argv[1].endswith("README.md")
    page = os.path.splitext(os.path.basename(sys.argv[1]))[0]
    fenced = False
    state = "text"  # then "marker" (saw an output marker), "block" (inside its fence), "closed"
    with open(sys.argv[1], encoding="utf-8") as f:
        for number, line in enumerate(f):
            if readme and number == 0 and line.rstrip() == "# tapegrad":
                line = "# About tapegrad (README)\n"  # its title among the tutorial's pages
            if line.lstrip().startswith("```"):
                fenced = not fenced
            line = with_section_labels(line, page, fenced)
            for pattern, replacement in LINKS:
                line = pattern.sub(replacement, line)
            marker = OUTPUT_MARKER.match(line) if state == "text" else None
            if marker:
                indent = marker.group(1)
                line, state = indent + '<div class="output">\n', "marker"
            elif state == "marker" and line.strip().startswith("```"):
                state = "block"
            elif state == "block" and line.strip() == "```":
                state = "closed"
            elif state == "closed":
                line, state = (indent + "</div>\n" if not line.strip() else indent + "</div>\n" + line), "text"
            sys.stdout.write(line)
        if state == "closed":
            sys.stdout.write("</div>\n")


if __name__ == "__main__":
    main()
