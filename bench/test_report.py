#!/usr/bin/python3
"""tapegrad/bench/test_report.py — checks report.py on a small, made-up benchmark run.

The JSON below has the shape Google Benchmark writes with --benchmark_repetitions and
--benchmark_report_aggregates_only: medians per case, counters included. The test runs
report.py as the bench_report target does and checks what the docs rely on: the ratio
to the group's fastest hand-written case, a target judged met or not, the summary
table, --update-docs rewriting both marked blocks (and refusing, without touching the
file, when a marker is missing), --results-docs, --curvature-docs (the second derivatives over one gradient), and
--crossover-plot (gnuplot).

    python3 bench/test_report.py        exit 0 when every check passes
"""
import json
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def median(name, ns, **counters):
    run = {"name": f"{name}_median", "run_name": name, "run_type": "aggregate", "aggregate_name": "median",
           "repetitions": 5, "cpu_time": ns, "real_time": ns, "time_unit": "ns"}
    run.update(counters)
    return run


RUN = {
    "context": {"date": "2026-11-28T00:00:00+00:00", "num_cpus": 2, "mhz_per_cpu": 2600,
                "executable": "build/release/bench/bench_health"},
    "benchmarks": [
        median("health/identity/hand_written", 20.0, allocs=0),
        median("health/identity/tape_layers_replay", 70.0, allocs=0, nodes=10, tape_bytes=4416),
        median("health/identity/tape_batched", 380.0, allocs=0, nodes=35, tape_bytes=6656),
        median("health/identity/compiled_batched", 1000.0, allocs=0, nodes=35, tape_bytes=4432),
        median("health/sigmoid/hand_written", 60.0, allocs=0),
        median("health/sigmoid/tape_layers_replay", 108.0, allocs=0, nodes=10, tape_bytes=4416),
        median("health/sigmoid/compiled_batched", 72.0, allocs=0, nodes=35, tape_bytes=4432),
        median("curvature/identity/hand_written", 25.0, allocs=0),
        median("curvature/identity/tape_gradient", 1000.0, allocs=0, nodes=35, tape_bytes=5632),
        median("curvature/identity/hessian_vector_product", 2000.0, allocs=0),
        median("curvature/identity/hessian", 25000.0, allocs=136),
    ],
}


def main():
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        data = tmp / "bench_health.json"
        data.write_text(json.dumps(RUN))
        doc = tmp / "chapter.md"
        doc.write_text("intro\n<!-- bench-summary -->\nold\n<!-- /bench-summary -->\nmiddle\n"
                       "<!-- bench-results -->\nold\n<!-- /bench-results -->\nend\n")
        result = subprocess.run([sys.executable, str(HERE / "report.py"), str(data), "--update-docs", str(doc)],
                                capture_output=True, text=True)
        out = result.stdout
        check(result.returncode == 0, f"report.py exited {result.returncode}: {result.stderr}")
        check("| tape_layers_replay | 70 ns | 3.50 |" in out, "ratio 70 / 20 = 3.50 in the identity table")
        check("| tape_batched | 380 ns | 19.00 |" in out, "ratio 380 / 20 = 19.00")
        check("| `health/identity/tape_batched` ≤ 40.0× hand-written | 19.00× | yes |" in out,
              "the interpreter's target met at 19.00×")
        check("| `health/identity/compiled_batched` ≤ 2.0× hand-written | 50.00× | **no** |" in out,
              "the compiled loss's row marked not met at 50×")
        check("| `health/sigmoid/compiled_batched` ≤ 1.3× hand-written | 1.20× | yes |" in out,
              "the sigmoid target met at 1.20×")
        text = doc.read_text()
        check("old" not in text, "both marked blocks rewritten")
        check("| `tape_layers_replay` | 3.50× (70 ns) | 1.80× (108 ns) |" in text, "the summary row in the doc")
        check(text.startswith("intro\n") and text.endswith("end\n") and "middle" in text,
              "the text around the blocks kept")

        # --results-docs: the tables go to another file than the summary.
        chapter, appendix = tmp / "chapter9.md", tmp / "appendix.md"
        chapter.write_text("<!-- bench-summary -->\nold\n<!-- /bench-summary -->\n")
        appendix.write_text("<!-- bench-results -->\nold\n<!-- /bench-results -->\n")
        result = subprocess.run([sys.executable, str(HERE / "report.py"), str(data), "--update-docs", str(chapter),
                                 "--results-docs", str(appendix)], capture_output=True, text=True)
        check(result.returncode == 0 and "| tape_layers_replay | 70 ns | 3.50 |" in appendix.read_text()
              and "3.50× (70 ns)" in chapter.read_text(), "--results-docs: the tables in one file, the summary in the other")

        # --crossover-plot: ratios by width and samples, drawn by gnuplot; refused without such groups.
        grid = tmp / "crossover.json"
        grid.write_text(json.dumps({"context": RUN["context"], "benchmarks": [
            median(f"crossover/identity/H{h}/N{n}/{case}", ns * (1 if case == "hand_written_loop" else 2.0 / h))
            for h in (1, 4) for n in (6, 600) for case, ns in (("hand_written_loop", 100.0), ("tape", 100.0))]}))
        picture = tmp / "crossover.svg"
        result = subprocess.run([sys.executable, str(HERE / "report.py"), str(grid), "--crossover-plot", str(picture)],
                                capture_output=True, text=True)
        check(result.returncode == 0 and picture.exists() and "<svg" in picture.read_text()
              and "H = 4" in picture.read_text(), f"--crossover-plot draws the picture: {result.stderr}")
        check("crossover/" not in result.stdout, "the crossover groups stay out of the tables")
        result = subprocess.run([sys.executable, str(HERE / "report.py"), str(data), "--crossover-plot",
                                 str(tmp / "none.svg")], capture_output=True, text=True)
        check(result.returncode == 2 and not (tmp / "none.svg").exists() and "no crossover/ groups" in result.stderr,
              "--crossover-plot without crossover groups is refused, nothing written")

        # --curvature-docs: the second derivatives as multiples of one gradient of the core.
        chapter10 = tmp / "chapter10.md"
        chapter10.write_text("a\n<!-- bench-curvature -->\nold\n<!-- /bench-curvature -->\nb\n")
        result = subprocess.run([sys.executable, str(HERE / "report.py"), str(data), "--update-docs", str(chapter),
                                 "--results-docs", str(appendix), "--curvature-docs", str(chapter10)],
                                capture_output=True, text=True)
        text = chapter10.read_text()
        check(result.returncode == 0 and "| `hessian_vector_product` | 2 µs | 2.00× | – | – |" in text
              and "| `hessian` | 25 µs | 25.00× | – | – |" in text and "old" not in text,
              f"--curvature-docs: each case over curvature/*/tape_gradient: {result.stderr}")

        broken = tmp / "broken.md"
        broken.write_text("no markers here\n")
        result = subprocess.run([sys.executable, str(HERE / "report.py"), str(data), "--update-docs", str(broken)],
                                capture_output=True, text=True)
        check(result.returncode == 2, "a chapter without markers is refused with exit 2")
        check("needs one '<!-- bench-results -->'" in result.stderr, "the refusal names the missing marker")
        check(broken.read_text() == "no markers here\n", "the refused chapter is left as it was")

    for f in failures:
        print(f"test_report: FAILED: {f}", file=sys.stderr)
    print(f"test_report: {len(failures)} of 16 checks failed" if failures else "test_report: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
