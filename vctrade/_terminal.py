"""What the command line does differently on a terminal: colour, wrapped and indented lines, escaped control
characters, a progress console that prints text as it is. Piped or redirected output is never changed.

Untrusted text (check messages, ids, anything from a document) is printed as it is: no rich markup (``[red]``) and
no emoji codes (``did:key:z6Mk…`` stays ``did:key:``, never ``did🔑``); on a terminal its control characters are
shown escaped, so a document cannot move the cursor or recolour the screen.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Terminal", "plain_console", "printable"]

# Colours of the verdict marks (SGR codes): green, red, yellow.
_COLOURS = {"ok": "32", "FAIL": "31", "ERR": "33", "VERIFIED": "1;32", "NOT VERIFIED": "1;31", "UNDECIDED": "1;33"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but tab and newline), DEL, C1


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\x1b`` for ESC): safe to print on a terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class Terminal:
    """How to print on ``stream``: plain when it is not a terminal; else colour (unless NO_COLOR is set or
    TERM=dumb), lines wrapped to its width with continuation lines indented, control characters escaped."""

    def __init__(self, stream: IO[str] | Any | None = None) -> None:
        stream = sys.stdout if stream is None else stream
        try:
            self.is_terminal = bool(stream.isatty())
        except (AttributeError, ValueError):  # closed or not a file
            self.is_terminal = False
        self.colour = (self.is_terminal and "NO_COLOR" not in os.environ
                       and os.environ.get("TERM", "") != "dumb")
        self.width = shutil.get_terminal_size((100, 24)).columns if self.is_terminal else 0

    def paint(self, text: str, mark: str | None = None) -> str:
        """``text`` in the colour of ``mark`` (ok, FAIL, ERR, VERIFIED, …; default: ``text`` itself)."""
        code = _COLOURS.get((mark or text).strip())
        if not (self.colour and code):
            return text
        word = text.rstrip()
        return f"\x1b[{code}m{word}\x1b[0m{text[len(word):]}"

    def text(self, value: str) -> str:
        """Untrusted ``value`` as printed here: escaped on a terminal, unchanged otherwise."""
        return printable(value) if self.is_terminal else value

    def line(self, prefix: str, mark: str, rest: str, *, hang: int | None = None) -> str:
        """``prefix`` + ``mark`` (coloured) + ``rest`` (untrusted); on a terminal wrapped to its width, each wrapped
        line indented by ``hang`` columns (default: to where ``rest`` begins)."""
        if not self.is_terminal:
            return f"{prefix}{mark}{rest}"
        rest = printable(rest)
        start = len(prefix) + len(mark)
        indent = start if hang is None else hang
        if self.width - indent < 24:  # too narrow to hang under the message: indent a little
            indent = min(len(prefix) + 6, start)
        # Words (a DID, a URL) are never cut: one longer than a line overflows it, whole, for copying.
        wrapper = textwrap.TextWrapper(width=max(self.width, start + 20, indent + 20), initial_indent=" " * start,
                                       subsequent_indent=" " * indent, break_on_hyphens=False, break_long_words=False)
        lines = wrapper.wrap(rest) or [" " * start]
        return "\n".join([prefix + self.paint(mark) + lines[0][start:], *lines[1:]])

    def verdict(self, text: str) -> str:
        """The final line (VERIFIED, NOT VERIFIED: …, UNDECIDED), its verdict coloured on a terminal."""
        head, sep, tail = text.partition(":")
        if not sep:
            return self.paint(head)
        return self.line("", head, sep + tail, hang=4)


def plain_console(*, stderr: bool = True, file: IO[str] | None = None) -> Console:
    """A rich Console that prints text as it is: no markup, no emoji codes, no highlighting."""
    from rich.console import Console

    return Console(stderr=stderr, file=file, markup=False, emoji=False, highlight=False)
