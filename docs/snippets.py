#!/usr/bin/python3
"""Keep the tutorial's code and output in step with the compiled examples.

A chapter never holds pasted code or output. It holds markers, each followed by a fenced
block that this script fills in and checks:

    <!-- snippet: examples/ch2_forward_pass.cpp#forward -->
    ```cpp
    ...the lines between the two "// [forward]" markers of that file...
    ```

    <!-- output: ch2_forward_pass -->            (or ch2_forward_pass.TAG for a named run)
    ```text
    $ build/release/examples/ch2_forward_pass ARGS
    ...examples/expected/ch2_forward_pass.txt, the output a test diffs against the program...
    ```

A CMake file marks its pieces with "# [name]" lines instead, and its block is ```cmake.
An output marker naming a file (a path with a "/") shows that file as it is, without a
command line: the output of a program built outside tapegrad's build, which its own test
compares with that file (examples/your_program/expected_output.txt).

The command line comes from the run's arguments in examples/CMakeLists.txt, so the
chapter always shows the exact command whose output it prints. An output marker may show
part of the output, `<!-- output: train_health lines 4-16,36-38 -->` (lines of the
program's output, from 1; "..." between two ranges); README.md's first screen does that.

    snippets.py --check    exit 1, naming the chapter and line, when a block has drifted
                           (the chapters in docs/ and README.md)
    snippets.py --check --docs DIR    the same for the chapters in DIR alone
    snippets.py --update   rewrite the blocks from their sources
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(\s*)<!-- (snippet|output): (\S+)(?: lines ([0-9,-]+))? -->\s*$")


def runs_of_examples():
    """{"name" or "name.tag": "args"} from tapegrad_example(... RUNS ...) calls."""
    text = (ROOT / "examples" / "CMakeLists.txt").read_text()
    runs = {}
    for call in re.finditer(r"tapegrad_example\((\w+)([^)]*)\)", text):
        name, body = call.group(1), call.group(2)
        entries = re.findall(r'"(\w+):([^"]*)"', body)
        if not entries:
            entries = [("default", "")]
        for tag, args in entries:
            runs[name if tag == "default" else f"{name}.{tag}"] = args.strip()
    return runs


def snippet(reference):
    path, _, name = reference.partition("#")
    cmake = path.endswith((".cmake", "CMakeLists.txt"))
    marker = f"# [{name}]" if cmake else f"// [{name}]"
    lines = (ROOT / path).read_text().splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == marker]
    if len(marks) != 2:
        raise ValueError(f"{path} has {len(marks)} '{marker}' markers, expected 2")
    body = lines[marks[0] + 1 : marks[1]]
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return "cmake" if cmake else "cpp", [l[indent:] for l in body]


def excerpt(lines, ranges):
    """The lines named by "4-16,36-38" (from 1), with "..." where a range skips lines."""
    out, last = [], 0
    for part in ranges.split(","):
        first, _, end = part.partition("-")
        first, end = int(first), int(end or first)
        if not 1 <= first <= end <= len(lines) or first <= last:
            raise ValueError(f"lines {ranges}: '{part}' is not within 1-{len(lines)}, in order")
        if first > last + 1:
            out.append("...")
        out += lines[first - 1 : end]
        last = end
    return out


def output(run, runs, ranges=None):
    if "/" in run:  # a file, shown as it is
        return "text", (ROOT / run).read_text().splitlines()
    if run not in runs:
        raise ValueError(f"no run '{run}' in examples/CMakeLists.txt")
    program = run.split(".")[0]
    expected = ROOT / "examples" / "expected" / f"{run}.txt"
    command = f"$ build/release/examples/{program} {runs[run]}".rstrip()
    lines = expected.read_text().splitlines()
    return "text", [command] + (excerpt(lines, ranges) if ranges else lines)


def process(chapter, runs, update):
    lines = chapter.read_text().splitlines()
    out, problems, i = [], [], 0
    while i < len(lines):
        out.append(lines[i])
        m = MARKER.match(lines[i])
        i += 1
        if not m:
            continue
        indent, kind, reference, ranges = m.groups()  # a marker inside a list item is indented
        try:
            if kind == "snippet" and ranges:
                raise ValueError("'lines' is for output markers only")
            language, want = snippet(reference) if kind == "snippet" else output(reference, runs, ranges)
        except (OSError, ValueError) as e:
            problems.append(f"{chapter.name}:{i}: {e}")
            continue
        # the fenced block that follows the marker, indented like it
        if i >= len(lines) or not lines[i].startswith(indent + "```"):
            problems.append(f"{chapter.name}:{i + 1}: a fenced block must follow the marker")
            continue
        end = i + 1
        while end < len(lines) and lines[end] != indent + "```":
            end += 1
        want = [(indent + line) if line else "" for line in want]
        have = lines[i + 1 : end]
        if have != want or lines[i] != indent + "```" + language:
            problems.append(f"{chapter.name}:{i + 1}: the block after '{reference}' differs from its source")
        out += [indent + "```" + language] + want + [indent + "```"]
        i = end + 1
    if update:
        chapter.write_text("\n".join(out) + "\n")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail when a block differs from its source")
    mode.add_argument("--update", action="store_true", help="rewrite every block from its source")
    parser.add_argument("--docs", type=pathlib.Path, default=ROOT / "docs",
                        help="the folder of chapters (default: docs/ of this project)")
    args = parser.parse_args()
    runs = runs_of_examples()
    problems = []
    chapters = sorted(args.docs.glob("*.md"))
    if args.docs == ROOT / "docs":
        chapters.append(ROOT / "README.md")  # its first screen shows the main job's output
    for chapter in chapters:
        problems += process(chapter, runs, args.update)
    if args.check and problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"snippets: {len(problems)} block(s) out of date; run docs/snippets.py --update", file=sys.stderr)
        return 1
    print(f"snippets: {len(chapters)} chapters {'updated' if args.update else 'in step with their sources'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
