"""The per-session blackboard: a directory of Markdown files with front matter.

``Blackboard(root, session_id)`` is the whole API: confined paths, atomic writes that never
replace another task's file, reading, listing and a tree for the CLI.
"""

from blackboard.board import Blackboard, BlackboardFile
from blackboard.errors import (
    BlackboardError,
    BlackboardFileNotFound,
    InvalidBlackboardPath,
    InvalidSessionId,
    OverwriteRefused,
    PathOutsideSession,
    TextNotEncodable,
)
from blackboard.frontmatter import FrontMatter
from blackboard.layout import (
    ANALYSIS,
    CONTEXT_FILE,
    CRITIQUES,
    DESIGNS,
    FINAL,
    FINAL_REPORT,
    FINDINGS,
    FOLDERS,
    PLAN_FILE,
    output_name,
    sanitize_stem,
)

__all__ = [
    "ANALYSIS",
    "CONTEXT_FILE",
    "CRITIQUES",
    "DESIGNS",
    "FINAL",
    "FINAL_REPORT",
    "FINDINGS",
    "FOLDERS",
    "PLAN_FILE",
    "Blackboard",
    "BlackboardError",
    "BlackboardFile",
    "BlackboardFileNotFound",
    "FrontMatter",
    "InvalidBlackboardPath",
    "InvalidSessionId",
    "OverwriteRefused",
    "PathOutsideSession",
    "TextNotEncodable",
    "output_name",
    "sanitize_stem",
]
