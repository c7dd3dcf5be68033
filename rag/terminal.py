"""Text for the terminal: document-derived text must not drive the terminal.

A title, file name or passage can hold escape sequences (ESC ``\\x1b``, CSI ``\\x9b``, ...)
that would recolour, retitle or clear the user's terminal, or hide text. ``printable``
shows every C0/C1 control character (and DEL) visibly, as ``\\x1b``, instead of sending it.
JSON output needs none of this: ``json.dumps`` escapes control characters itself.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # keeps \t (\x09) and \n (\x0a)


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(text, *, lines: bool = False) -> str:
    """``text`` with control characters shown as ``\\xNN``.

    ``lines=False`` (titles, paths, urls, one-line messages) escapes newlines and tabs too;
    ``lines=True`` (passage text, answers) keeps ``\\n`` and ``\\t``. ``\\r`` is always
    escaped: it would return the cursor and let the rest of a line overwrite what came before.
    ``None`` becomes the empty string.
    """
    if text is None:
        return ""
    return (_CONTROLS_BUT_LINES if lines else _CONTROLS).sub(_escape, str(text))
