"""Does the report point to the right place? swarm against `grep -rn`, on corpora that
nobody on the project wrote.

For each question of `bench_answers_questions.py`: a session through the real command
line (`python -m orchestrator run Q --corpus C --home H`, one home per corpus so the
index is built once, by the corpus's first question), and whether a key place is among
the first 10 citations of `final/report.md`; then the grep baseline, `grep -rni` of the
question's rarest word (fewest matching lines, at least one), and whether a key place is
among its first 10 hits. Prints a Markdown table and a summary.

    .venv/bin/python scripts/bench_answers.py --runs 3
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_answers_questions import CORPORA, QUESTIONS, Corpus, KeyPlace, Question

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from skills.offline.subquestions import STOP_WORDS  # noqa: E402  (after the path is set)

TOP = 10
_CITATION = re.compile(r"\[([^\[\]\n]+?):(\d+)(?:-(\d+))?\]")
# The standard library without what is not the library: its tests, IDLE, demos, data
# (about 720 files here).
_STDLIB_LEFT_OUT = ("test", "tests", "idlelib", "turtledemo", "ensurepip", "pydoc_data",
                    "dist-packages", "site-packages", "__pycache__", "config-3.*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]+")


@dataclass
class Result:
    question: Question
    swarm_hit: bool
    swarm_rank: int | None
    grep_hit: bool
    grep_word: str
    times: list[float]


def corpus_dir(corpus: Corpus, scratch: Path) -> Path:
    """Where a corpus is: a package of the venv, a copy of the standard library, a dir."""
    if corpus.source.startswith("site:"):
        return Path(sysconfig.get_paths()["purelib"]) / corpus.source.removeprefix("site:")
    if corpus.source == "stdlib":
        target = scratch / "stdlib"
        if not target.exists():
            shutil.copytree(Path(shutil.__file__).parent, target,
                            ignore=shutil.ignore_patterns(*_STDLIB_LEFT_OUT, "*.pyc"))
        return target
    return Path(corpus.source)


def place_lines(root: Path, place: KeyPlace) -> tuple[int, int]:
    """The lines of a key place: given, the definition named, or the whole file."""
    if place.lines is not None:
        return place.lines
    text = (root / place.path).read_text(encoding="utf-8")
    if place.symbol is None:
        return 1, text.count("\n") + 1
    found = _definition(ast.parse(text).body, place.symbol.split("."))
    if found is None:
        raise SystemExit(f"key place not found: {place.path} {place.symbol}")
    return found


def _definition(body: list[ast.stmt], names: list[str]) -> tuple[int, int] | None:
    for node in body:
        if isinstance(node, ast.If | ast.Try):
            nested = [*node.body, *node.orelse, *getattr(node, "finalbody", [])]
            found = _definition(nested, names)
            if found:
                return found
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
                node.name == names[0]):
            if len(names) == 1:
                return node.lineno, node.end_lineno or node.lineno
            found = _definition(node.body, names[1:])
            if found:
                return found
    return None


def first_hit(citations: list[tuple[str, int, int]], places: dict[str, list[tuple[int, int]]]
              ) -> int | None:
    """The 1-based rank of the first citation that overlaps a key place, or None."""
    for rank, (path, start, end) in enumerate(citations[:TOP], start=1):
        if any(start <= last and first <= end for first, last in places.get(path, [])):
            return rank
    return None


def report_citations(report: str) -> list[tuple[str, int, int]]:
    """The report's citations, each once, in the order they first appear."""
    seen: dict[tuple[str, int, int], None] = {}
    for path, start, end in _CITATION.findall(report):
        seen[(path, int(start), int(end or start))] = None
    return list(seen)


def run_session(question: str, root: Path, home: Path) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "run", question, "--corpus", str(root),
         "--home", str(home)], capture_output=True, text=True, timeout=600, cwd=REPO)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"session failed ({done.returncode}): {done.stderr[-2000:]}")
    report_path = Path(done.stdout.strip().splitlines()[-1])
    return report_path.read_text(encoding="utf-8"), elapsed


def grep_baseline(question: str, root: Path) -> tuple[str, list[tuple[str, int, int]]]:
    """The rarest word of the question that grep finds, and grep's first hits for it."""
    words = [w for w in dict.fromkeys(_WORD.findall(question))
             if w.lower() not in STOP_WORDS and len(w) >= 3]
    best: tuple[int, str, list[str]] | None = None
    for word in words:
        found = subprocess.run(["grep", "-rniI", "--", word, "."], cwd=root,
                               capture_output=True, text=True).stdout.splitlines()
        if found and (best is None or len(found) < best[0]):
            best = (len(found), word, found)
    if best is None:
        return "", []
    hits = []
    for line in sorted(best[2], key=_grep_order):
        path, number, _ = line.split(":", 2)
        hits.append((path.removeprefix("./"), int(number), int(number)))
    return best[1], hits


def _grep_order(line: str) -> tuple[str, int]:
    path, number, _ = line.split(":", 2)
    return path, int(number)


def measure(question: Question, root: Path, home: Path, runs: int) -> Result:
    places: dict[str, list[tuple[int, int]]] = {}
    for place in question.places:
        places.setdefault(place.path, []).append(place_lines(root, place))
    times: list[float] = []
    rank: int | None = None
    for _ in range(runs):
        report, elapsed = run_session(question.text, root, home)
        times.append(elapsed)
        rank = first_hit(report_citations(report), places)
    word, hits = grep_baseline(question.text, root)
    return Result(question, rank is not None, rank, first_hit(hits, places) is not None,
                  word, times)


def render(results: list[Result], cold: dict[str, float], files: dict[str, int]) -> str:
    out = ["| # | corpus | question | swarm hit@10 (rank) | grep hit@10 (word) | "
           "session s (median) |", "| --- | --- | --- | --- | --- | --- |"]
    for number, r in enumerate(results, start=1):
        swarm = f"yes ({r.swarm_rank})" if r.swarm_hit else "no"
        grep = f"{'yes' if r.grep_hit else 'no'} (`{r.grep_word}`)"
        out.append(f"| {number} | {r.question.corpus} | {r.question.text} | {swarm} | {grep} "
                   f"| {statistics.median(r.times):.2f} |")
    total = len(results)
    swarm_hits = sum(r.swarm_hit for r in results)
    grep_hits = sum(r.grep_hit for r in results)
    every = [statistics.median(r.times) for r in results]
    out += ["", f"swarm hit@10: {swarm_hits}/{total} ({100 * swarm_hits / total:.0f}%); "
                f"grep hit@10: {grep_hits}/{total} ({100 * grep_hits / total:.0f}%); "
                f"session median {statistics.median(every):.2f} s, slowest "
                f"{max(every):.2f} s.", "",
            "First session per corpus (index built): " + ", ".join(
                f"{name} ({files[name]} files) {seconds:.2f} s"
                for name, seconds in cold.items()) + "."]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="sessions per question")
    parser.add_argument("--corpus", action="append", help="only these corpora (by name)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-answers-"))
    results: list[Result] = []
    cold: dict[str, float] = {}
    files: dict[str, int] = {}
    try:
        for corpus in CORPORA:
            if args.corpus and corpus.name not in args.corpus:
                continue
            root = corpus_dir(corpus, scratch)
            files[corpus.name] = sum(1 for p in root.rglob("*") if p.is_file())
            home = scratch / f"home-{corpus.name}"
            _, cold[corpus.name] = run_session("warm up the index", root, home)
            for question in (q for q in QUESTIONS if q.corpus == corpus.name):
                results.append(measure(question, root, home, args.runs))
                print(f"{question.corpus}: {question.text} -> swarm "
                      f"{results[-1].swarm_rank}, grep {results[-1].grep_hit}",
                      file=sys.stderr)
        print(render(results, cold, files))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
