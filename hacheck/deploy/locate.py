"""Where each key of a TOML file is: ``tomllib`` parses values but gives no line numbers.

:class:`Locator` walks the text once (after ``tomllib`` has accepted it, so it can be lenient) and
records the line of every key path, e.g. ``("hosts", 1, "name")`` or
``("volumes", 0, "options", "cluster.quorum-type")``, and of every array element
(``("volumes", 0, "bricks", 4)``). Table headers are recorded too (``("hosts", 1)`` is the line of the
second ``[[hosts]]``), so a missing key can be reported at its table.
"""

from __future__ import annotations

from typing import Any

Path = tuple[Any, ...]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class Locator:
    def __init__(self, text: str):
        self.text = text
        self.lines: dict[Path, int] = {}
        self.ends: dict[Path, int] = {}
        self._aot: dict[Path, int] = {}  # array-of-tables path -> elements seen
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)
        try:
            self._parse()
        except IndexError:  # pragma: no cover - tomllib accepted the text; stay lenient
            pass

    # -- queries ------------------------------------------------------------------------------
    def line(self, path: Path) -> int:
        """The line of ``path``, or of its closest enclosing table or key that was written down."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return 1

    def has(self, path: Path) -> bool:
        return tuple(path) in self.lines

    def span(self, path: Path) -> tuple[int, int]:
        start = self.line(path)
        return start, self.ends.get(tuple(path), start)

    # -- scanner --------------------------------------------------------------------------------
    def _lineno(self, pos: int) -> int:
        lo, hi = 0, len(self._line_starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if self._line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid
        return lo + 1

    def _skip_ws(self, pos: int, newlines: bool) -> int:
        t = self.text
        while pos < len(t):
            ch = t[pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                pos += 1
            elif ch == "#":
                while pos < len(t) and t[pos] != "\n":
                    pos += 1
            else:
                break
        return pos

    def _key(self, pos: int) -> tuple[list[str], int]:
        """A (possibly dotted, possibly quoted) key starting at pos."""
        t = self.text
        parts: list[str] = []
        while True:
            pos = self._skip_ws(pos, False)
            if t[pos] == '"':
                s, pos = self._basic_string(pos)
                parts.append(s)
            elif t[pos] == "'":
                end = t.index("'", pos + 1)
                parts.append(t[pos + 1:end])
                pos = end + 1
            else:
                start = pos
                while pos < len(t) and t[pos] in _BARE:
                    pos += 1
                parts.append(t[start:pos])
            pos = self._skip_ws(pos, False)
            if pos < len(t) and t[pos] == ".":
                pos += 1
                continue
            return parts, pos

    def _basic_string(self, pos: int) -> tuple[str, int]:
        t = self.text
        out = []
        pos += 1
        while t[pos] != '"':
            if t[pos] == "\\":
                out.append(t[pos:pos + 2])
                pos += 2
            else:
                out.append(t[pos])
                pos += 1
        return "".join(out), pos + 1

    def _resolve(self, parts: list[str]) -> Path:
        """A header's dotted name, with the latest element of every array of tables on the way."""
        out: list[Any] = []
        for name in parts:
            out.append(name)
            key = tuple(out)
            if key in self._aot:
                out.append(self._aot[key] - 1)
        return tuple(out)

    def _parse(self) -> None:
        t = self.text
        pos = 0
        current: Path = ()
        while True:
            pos = self._skip_ws(pos, True)
            if pos >= len(t):
                return
            line = self._lineno(pos)
            if t.startswith("[[", pos):
                parts, pos = self._key(pos + 2)
                pos = t.index("]]", pos) + 2
                base = self._resolve(parts[:-1]) + (parts[-1],)
                idx = self._aot.get(base, 0)
                self._aot[base] = idx + 1
                current = base + (idx,)
                self.lines.setdefault(base, line)
                self.lines[current] = line
            elif t[pos] == "[":
                parts, pos = self._key(pos + 1)
                pos = t.index("]", pos) + 1
                current = self._resolve(parts)
                self.lines.setdefault(current, line)
            else:
                parts, pos = self._key(pos)
                pos = self._skip_ws(pos, False)
                pos += 1  # '='
                path = current + tuple(parts)
                for i in range(1, len(parts)):  # dotted keys define their intermediate tables here
                    self.lines.setdefault(current + tuple(parts[:i]), line)
                self.lines[path] = line
                pos = self._value(pos, path)
                self.ends[path] = self._lineno(max(pos - 1, 0))

    def _value(self, pos: int, path: Path) -> int:
        t = self.text
        pos = self._skip_ws(pos, False)
        ch = t[pos]
        if t.startswith('"""', pos):
            end = pos + 3
            while True:
                end = t.index('"""', end)
                if t[end - 1] == "\\" and t[end - 2] != "\\":
                    end += 1
                    continue
                break
            while end + 3 < len(t) and t[end + 3] == '"':
                end += 1
            return end + 3
        if t.startswith("'''", pos):
            end = t.index("'''", pos + 3)
            while end + 3 < len(t) and t[end + 3] == "'":
                end += 1
            return end + 3
        if ch == '"':
            return self._basic_string(pos)[1]
        if ch == "'":
            return t.index("'", pos + 1) + 1
        if ch == "[":
            pos += 1
            i = 0
            while True:
                pos = self._skip_ws(pos, True)
                if t[pos] == "]":
                    return pos + 1
                if t[pos] == ",":
                    pos += 1
                    continue
                elem = path + (i,)
                self.lines[elem] = self._lineno(pos)
                pos = self._value(pos, elem)
                self.ends[elem] = self._lineno(max(pos - 1, 0))
                i += 1
        if ch == "{":
            pos += 1
            while True:
                pos = self._skip_ws(pos, True)
                if t[pos] == "}":
                    return pos + 1
                if t[pos] == ",":
                    pos += 1
                    continue
                parts, pos = self._key(pos)
                line = self._lineno(pos)
                pos = self._skip_ws(pos, False) + 1  # '='
                sub = path + tuple(parts)
                self.lines[sub] = line
                pos = self._value(pos, sub)
        # number, bool, date-time: up to a delimiter
        while pos < len(t) and t[pos] not in ",]}\n#":
            pos += 1
        return pos
