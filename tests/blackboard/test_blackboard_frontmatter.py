"""Front matter: written on every file, read back exactly, optional on hand-written files."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from blackboard import Blackboard, FrontMatter
from blackboard.frontmatter import render, split

_OFFSETS = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
_TIMES = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31), timezones=_OFFSETS
)
_OPTIONAL_TEXT = st.none() | st.text()
_IDS = st.none() | st.integers(min_value=0, max_value=2**53)

front_matters = st.builds(
    FrontMatter,
    task=_IDS,
    role=_OPTIONAL_TEXT,
    skill=_OPTIONAL_TEXT,
    worker=_OPTIONAL_TEXT,
    attempt=_IDS,
    time=st.none() | _TIMES,
    title=_OPTIONAL_TEXT,
    sources=st.lists(st.text(), max_size=5),
)

# Bodies that look like front matter themselves are the ones a naive parser gets wrong.
bodies = st.one_of(
    st.text(),
    st.text().map(lambda tail: "---\n" + tail),
    st.tuples(st.text(), st.text()).map(lambda pair: f"---\ntask: 9\n{pair[0]}\n---\n{pair[1]}"),
    st.text().map(lambda tail: "\n\r\n---" + tail),
)


@given(front_matters, bodies)
def test_render_then_split_gives_back_the_front_matter_and_the_body(
    meta: FrontMatter, body: str
) -> None:
    assert split(render(meta, body)) == (meta, body)


@settings(max_examples=40, deadline=None)
@given(front_matters, bodies)
def test_write_then_read_gives_back_the_front_matter_and_the_body(
    meta: FrontMatter, body: str
) -> None:
    with tempfile.TemporaryDirectory() as root:
        board = Blackboard(Path(root), "s1")

        board.write("findings/x.md", body, meta)
        read = board.read("findings/x.md")

    assert read.body == body
    assert read.front_matter is not None
    if meta.time is None:
        assert read.front_matter == meta.model_copy(update={"time": read.front_matter.time})
    else:
        assert read.front_matter == meta


def test_written_file_opens_with_readable_front_matter(board: Blackboard) -> None:
    meta = FrontMatter(
        task=3,
        role="researcher",
        skill="research",
        worker="w-1",
        attempt=2,
        time=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        title="How retries work",
        sources=["docs/retry.md:10-20"],
    )

    written = board.write("findings/x.md", "# Body\n", meta)

    assert written.read_text(encoding="utf-8") == (
        "---\n"
        "task: 3\n"
        "role: researcher\n"
        "skill: research\n"
        "worker: w-1\n"
        "attempt: 2\n"
        "time: 2024-05-01T12:00:00Z\n"
        'title: "How retries work"\n'
        'sources: ["docs/retry.md:10-20"]\n'
        "---\n"
        "\n"
        "# Body\n"
    )
    assert board.read_text("findings/x.md") == written.read_text(encoding="utf-8")


def test_write_without_front_matter_is_stamped_with_the_clock(tmp_path: Path) -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    board = Blackboard(tmp_path, "s1", clock=lambda: moment)

    board.write("context.md", "# Request\n")

    assert board.read("context.md").front_matter == FrontMatter(time=moment)


def test_time_is_stored_in_utc() -> None:
    local = datetime(2024, 1, 1, 17, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))

    assert FrontMatter(time=local).time == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert FrontMatter(time=datetime(2024, 1, 1)).time == datetime(2024, 1, 1, tzinfo=UTC)


def test_hand_written_file_without_front_matter_is_all_body(board: Blackboard) -> None:
    text = "# Notes\n\nwritten by hand\n"
    (board.path / "findings" / "notes.md").write_text(text, encoding="utf-8")

    read = board.read("findings/notes.md")

    assert read.front_matter is None
    assert read.body == text


def test_hand_written_yaml_front_matter_is_read() -> None:
    text = (
        "---\r\n"
        "title: Hello world\r\n"
        "task: 5\r\n"
        "# a comment\r\n"
        "layout: post\r\n"
        "sources:\r\n"
        "  - a.md\r\n"
        "  - 'b''s.md'\r\n"
        "---\r\n"
        "Body\r\n"
    )

    meta, body = split(text)

    assert meta == FrontMatter(title="Hello world", task=5, sources=["a.md", "b's.md"])
    assert body == "Body\r\n"


def test_block_that_is_not_front_matter_is_left_in_the_body() -> None:
    for text in (
        "---\nnot a key value line\n---\nbody",
        "---\ntask: 1\nnever closed",
        "---\nattempt: many\n---\nbody",
        '---\ntitle: "unterminated\n---\nbody',
        "--- \ntask: 1\n---\nbody",
        "",
        "---",
    ):
        assert split(text) == (None, text)


def test_empty_front_matter_block_is_front_matter_with_nothing_in_it() -> None:
    assert split("---\n---\nbody") == (FrontMatter(), "body")
