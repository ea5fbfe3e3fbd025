"""The skill registry: skill files and entry points, clear load failures that never replace
a skill already registered, and hot reload of edited files."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from skills import SkillKind, SkillLoadError, SkillRegistry, UnknownSkill
from skills.isolation import ChildCheck
from support.swarm_processes import write_skill


def loaded(directory: Path) -> SkillRegistry:
    registry = SkillRegistry()
    registry.add_directory(directory)
    return registry


def write_fine_skill(directory: Path) -> None:
    """A skill that loads, beside one that does not: the registry keeps it."""
    write_skill(directory, "fine", """
        class Fine:
            def execute(self) -> str:
                return "fine"
    """)


def test_classes_with_execute_are_skills_named_by_name_or_snake_case(tmp_path: Path) -> None:
    path = write_skill(tmp_path, "mixed", """
        class Summarize:
            name = "summarize"
            def execute(self, text: str, max_words: int = 100) -> str:
                return text

        class DeepResearch:
            roles = ("researcher",)
            async def execute(self, ctx):
                return None

        class _Helper:
            def execute(self):
                pass

        class NotASkill:
            pass
    """)

    registry = loaded(tmp_path)

    specs = {s.name: s for s in registry.specs()}
    assert sorted(specs) == ["deep_research", "summarize"]
    assert specs["summarize"].kind is SkillKind.LEGACY
    assert specs["deep_research"].kind is SkillKind.SWARM
    assert specs["deep_research"].roles == ("researcher",)
    assert {s.origin for s in specs.values()} == {str(path)}
    assert registry.failures == []


def test_duplicate_name_across_files_is_a_failure_naming_both_and_the_first_stays(
    tmp_path: Path,
) -> None:
    first = write_skill(tmp_path, "a_first", """
        class Echo:
            def execute(self, text: str) -> str:
                return "first"
    """)
    second = write_skill(tmp_path, "b_second", """
        class Echo:
            def execute(self, text: str) -> str:
                return "second"

        class Other:
            def execute(self) -> str:
                return "other"
    """)

    registry = loaded(tmp_path)

    assert registry.get("echo").origin == str(first)
    assert registry.get("echo").cls().execute("x") == "first"
    assert registry.get("other").origin == str(second)
    [failure] = registry.failures
    assert failure.origin == str(second)
    assert failure.error == f"{second}: skill 'echo' is already defined by {first}"


def test_skill_file_cannot_replace_a_builtin(tmp_path: Path) -> None:
    path = write_skill(tmp_path, "shadow", """
        class Noop:
            def execute(self) -> str:
                return "mine"
    """)
    registry = SkillRegistry()
    registry.add_builtins()

    registry.add_directory(tmp_path)

    assert registry.get("noop").origin == "builtin"
    [failure] = registry.failures
    assert failure.error == f"{path}: skill 'noop' is already defined by builtin"


def test_syntax_error_is_a_failure_with_file_and_line_and_other_files_still_load(
    tmp_path: Path,
) -> None:
    broken = write_skill(tmp_path, "broken", """
        class Broken:
            def execute(self) -> str:
                return (
    """)
    write_fine_skill(tmp_path)

    registry = loaded(tmp_path)

    assert [s.name for s in registry.specs()] == ["fine"]
    [failure] = registry.failures
    assert failure.origin == str(broken)
    assert failure.error.startswith(f"{broken}:3: failed to import: SyntaxError:")


def test_file_raising_at_import_is_a_failure_with_the_line(tmp_path: Path) -> None:
    path = write_skill(tmp_path, "raises", """
        import json

        SETTINGS = json.loads("{not json")
    """)

    [failure] = loaded(tmp_path).failures

    assert failure.error.startswith(f"{path}:3: failed to import: JSONDecodeError:")


@pytest.mark.parametrize(("body", "reason"), [
    ("roles = 5\n    def execute(self):\n        pass",
     "roles must be a list of role names"),
    ("roles = 'x'\n    def execute(self):\n        pass",
     "roles must be a list of role names"),
    ("async def execute(self, ctx, extra):\n        pass",
     "async execute must take exactly one argument (ctx)"),
    ("input_model = dict\n    def execute(self):\n        pass",
     "input_model must be a pydantic model"),
])
def test_malformed_skill_class_is_a_failure_not_a_crash(
    tmp_path: Path, body: str, reason: str,
) -> None:
    path = tmp_path / "malformed.py"
    path.write_text(f"class Malformed:\n    {body}\n", encoding="utf-8")
    write_fine_skill(tmp_path)

    registry = loaded(tmp_path)

    assert [s.name for s in registry.specs()] == ["fine"]
    [failure] = registry.failures
    assert failure.error == f"{path}: skill 'malformed': {reason}"


def test_missing_skills_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SkillLoadError, match="skills directory does not exist"):
        SkillRegistry().add_directory(tmp_path / "nowhere")


def test_edited_file_is_reloaded_even_within_the_same_second_and_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Bytecode caching as users have it: the cache cannot tell these two versions apart.
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = """
        class Versioned:
            def execute(self) -> str:
                return "{version}"
    """
    path = write_skill(tmp_path, "versioned", source.format(version="v1"))
    registry = loaded(tmp_path)
    assert registry.get("versioned").cls().execute() == "v1"
    before = path.stat().st_mtime_ns

    write_skill(tmp_path, "versioned", source.format(version="v2"))
    os.utime(path, ns=(before + 1000, before + 1000))

    assert registry.refresh() == [path]
    assert registry.get("versioned").cls().execute() == "v2"
    assert registry.refresh() == []


def test_removed_file_is_forgotten_and_a_fixed_file_clears_its_failure(
    tmp_path: Path,
) -> None:
    gone = write_skill(tmp_path, "gone", """
        class Gone:
            def execute(self) -> None:
                pass
    """)
    broken = write_skill(tmp_path, "broken", "class Broken(:\n")
    registry = loaded(tmp_path)
    assert [s.name for s in registry.specs()] == ["gone"]
    assert len(registry.failures) == 1

    gone.unlink()
    write_skill(tmp_path, "broken", """
        class Broken:
            def execute(self) -> str:
                return "fixed"
    """)

    assert sorted(registry.refresh()) == [broken, gone]
    assert [s.name for s in registry.specs()] == ["broken"]
    assert registry.failures == []
    with pytest.raises(UnknownSkill, match="no skill named 'gone' \\(known: broken\\)"):
        registry.get("gone")


def test_task_without_skill_runs_its_roles_default_or_only_skill(tmp_path: Path) -> None:
    write_skill(tmp_path, "roles", """
        class Lone:
            roles = ("lonely",)
            def execute(self) -> None:
                pass
    """)
    registry = SkillRegistry()
    registry.add_builtins()
    registry.add_directory(tmp_path)

    assert registry.for_task(None, "lonely").name == "lone"
    assert registry.for_task("noop", "lonely").name == "noop"
    with pytest.raises(UnknownSkill, match="role 'nobody' has no default skill"):
        registry.for_task(None, "nobody")


ENTRY_POINT_MODULE = """
    class FromEntryPoint:
        name = "from_entry_point"
        def execute(self, text: str) -> str:
            return text.upper()

    class PairOne:
        async def execute(self, ctx):
            return None

    class PairTwo:
        async def execute(self, ctx):
            return None

    PAIR = [PairOne, PairTwo]
    NOT_A_CLASS = 42
"""

ENTRY_POINTS_TXT = """
    [swarm.skills]
    single = swarm_test_ep_skills:FromEntryPoint
    pair = swarm_test_ep_skills:PAIR
    number = swarm_test_ep_skills:NOT_A_CLASS
    missing = swarm_test_ep_skills_missing:Nope
"""


@pytest.fixture
def entry_point_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution, as importlib.metadata sees one: a dist-info folder with
    entry_points.txt, and its module, in a folder put on sys.path."""
    site = tmp_path / "site"
    dist_info = site / "swarm_test_ep_skills-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: swarm-test-ep-skills\nVersion: 0.1\n", encoding="utf-8")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(ENTRY_POINTS_TXT).lstrip(), encoding="utf-8")
    write_skill(site, "swarm_test_ep_skills", ENTRY_POINT_MODULE)
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("swarm_test_ep_skills", None)


def test_entry_points_are_loaded_and_broken_ones_are_failures(entry_point_dist: Path) -> None:
    registry = SkillRegistry()

    registry.add_entry_points()

    specs = {s.name: s for s in registry.specs()}
    assert {"from_entry_point", "pair_one", "pair_two"} <= set(specs)
    assert specs["from_entry_point"].origin == (
        "entry point single (swarm_test_ep_skills:FromEntryPoint)")
    assert specs["from_entry_point"].cls().execute("hi") == "HI"
    failures = {f.origin: f.error for f in registry.failures}
    number = "entry point number (swarm_test_ep_skills:NOT_A_CLASS)"
    missing = "entry point missing (swarm_test_ep_skills_missing:Nope)"
    assert failures[number] == (
        f"{number}: an entry point must name a skill class or a list of them")
    assert failures[missing].startswith(f"{missing}: failed to load: ModuleNotFoundError:")


def test_file_broken_by_an_edit_keeps_its_last_good_version_until_fixed(
    tmp_path: Path,
) -> None:
    source = """
        class Versioned:
            def execute(self) -> str:
                return "{version}"
    """
    path = write_skill(tmp_path, "versioned", source.format(version="v1"))
    registry = loaded(tmp_path)

    write_skill(tmp_path, "versioned", "class Versioned(:\n")
    os.utime(path, ns=(path.stat().st_mtime_ns + 1000,) * 2)
    assert registry.refresh() == [path]

    assert registry.get("versioned").cls().execute() == "v1"
    [failure] = registry.failures
    assert failure.origin == str(path)
    assert f"{path}:1: failed to import: SyntaxError" in failure.error
    assert "the last good version stays loaded (versioned)" in failure.error

    write_skill(tmp_path, "versioned", source.format(version="v2"))
    os.utime(path, ns=(path.stat().st_mtime_ns + 2000,) * 2)
    assert registry.refresh() == [path]
    assert registry.get("versioned").cls().execute() == "v2"
    assert registry.failures == []


@pytest.mark.parametrize(("source", "reason"), [
    ("import os\nos._exit(42)\n", "exited with status 42 while loading"),
    ("import time\ntime.sleep(3600)\n", "took longer than 2 s to load"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
     "was killed by SIGSEGV while loading"),
], ids=["exits", "hangs", "crashes"])
def test_file_that_ends_or_hangs_its_importer_is_a_failure_checked_in_a_child(
    tmp_path: Path, source: str, reason: str,
) -> None:
    write_fine_skill(tmp_path)
    bad = write_skill(tmp_path, "bad", source)
    check = ChildCheck(timeout_s=2)

    registry = SkillRegistry(check_file=check)
    registry.add_directory(tmp_path)

    assert [s.name for s in registry.specs()] == ["fine"]
    assert [f.error for f in registry.failures] == [f"{bad}: {reason}"]
    assert check.refused == [f"{bad}: {reason}"]
