#!/usr/bin/python3
"""Doxygen's input filter for the tutorial's Markdown (FILTER_PATTERNS in Doxyfile.in).

The chapters and README.md link to each other by relative file names, which work when
the Markdown is read in the repository. Doxygen resolves most of them to its pages, but
sends a link to docs/index.md to the file's own listing rather than to the main page,
and does not know ../README.md. This filter rewrites those two kinds of link to Doxygen
references as it reads each file, line for line (so warnings keep their line numbers);
the files themselves are not changed.

    doxygen_filter.py FILE.md    prints FILE.md with the links rewritten
"""
import re
import sys

LINKS = [
    (re.compile(r"\]\((?:docs/)?index\.md\)"), "](@ref index)"),
    (re.compile(r"\]\((?:\.\./)?README\.md\)"), "](@ref md_README)"),
]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            for pattern, replacement in LINKS:
                line = pattern.sub(replacement, line)
            sys.stdout.write(line)


if __name__ == "__main__":
    main()
