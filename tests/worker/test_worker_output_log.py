"""The capped log a supervised worker writes its output to: the log and its one backup
each stay within the cap whatever is written, the newest output is kept, and lines stay
whole across a rotation."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from worker.output_log import RotatingLog, backup_of, line_pieces, rotate_log_if_full

WRITES = st.lists(st.binary(max_size=300) | st.text("ab\n", max_size=300).map(str.encode),
                  max_size=30)


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


@given(cap=st.integers(1, 400), writes=WRITES)
def test_log_and_backup_each_stay_within_the_cap_and_hold_the_newest_output(
    cap: int, writes: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "w.log"
        log = RotatingLog(path, cap)
        for data in writes:
            log.write(data)
        log.close()

        kept, backup = _read(path), _read(backup_of(path))
        everything = b"".join(writes)
        assert len(kept) <= cap
        assert len(backup) <= cap
        assert everything.endswith(backup + kept)
        # Only what did not fit in the two files is gone.
        assert len(backup + kept) >= min(len(everything), cap)


def test_lines_stay_whole_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "w.log"
    log = RotatingLog(path, cap=25)
    for n in range(10):
        log.write(f"line {n}\n".encode())
    log.close()

    # Three lines of 7 bytes fit in 25; a fourth would not.
    assert backup_of(path).read_text() == "line 6\nline 7\nline 8\n"
    assert path.read_text() == "line 9\n"


def test_a_write_bigger_than_the_cap_is_cut_after_its_last_newline_that_fits() -> None:
    assert list(line_pieces(b"aaaa\nbbbb\ncc\n", 7)) == [b"aaaa\n", b"bbbb\n", b"cc\n"]
    assert list(line_pieces(b"a long line\n", 4)) == [b"a lo", b"ng l", b"ine\n"]


def test_an_earlier_log_is_appended_to_until_it_is_full(tmp_path: Path) -> None:
    path = tmp_path / "w.log"
    path.write_bytes(b"an earlier worker\n")
    log = RotatingLog(path, cap=30)
    log.write(b"this one\n")
    log.write(b"and more of it\n")
    log.close()

    assert backup_of(path).read_bytes() == b"an earlier worker\nthis one\n"
    assert path.read_bytes() == b"and more of it\n"


def test_a_full_log_is_moved_to_its_backup_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "w.log"
    path.write_bytes(b"x" * 10)
    backup_of(path).write_bytes(b"older")

    rotate_log_if_full(path, 11)
    assert path.read_bytes() == b"x" * 10
    rotate_log_if_full(path, 10)
    assert not path.exists()
    assert backup_of(path).read_bytes() == b"x" * 10
    rotate_log_if_full(path, 10)  # no log: nothing to do
