"""Admin-supplied validation patterns, matched in linear time.

Python's ``re`` backtracks: ``(a+)+$`` or ``.*.*.*x`` against a 1000-character value runs for
minutes, and a length cap on pattern and value does not prevent that. So a pattern is parsed
with ``re``'s own parser (same syntax and errors as ``re``), compiled to a small NFA and run as a
Pike VM: every input position is visited once with at most ``MAX_STATES`` live states, so the
cost is bounded by ``len(value) * MAX_STATES`` whatever the pattern. Only full matches are
needed, which makes greedy/lazy and alternation order irrelevant. Constructs a set-of-states
machine cannot express (backreferences, lookarounds, atomic groups, possessive quantifiers,
conditionals) are refused when the field is saved.
"""
from __future__ import annotations

import re
import re._constants as C  # noqa: N812 - the parser's opcode names read best as C.LITERAL etc.
import re._parser as sre_parse
from collections.abc import Callable

MAX_PATTERN_LENGTH = 200
MAX_STATES = 500  # program size after expanding counted repeats; bounds the per-character work

_CHAR, _SPLIT, _JMP, _ASSERT, _MATCH = range(5)


class UnsafePattern(ValueError):
    """The pattern is not a valid regex, or uses a construct that cannot be matched in linear time."""


def _word(c: str, ascii_only: bool) -> bool:
    return (c.isascii() if ascii_only else True) and (c.isalnum() or c == "_")


_CATEGORIES: dict[object, Callable[[str, bool], bool]] = {
    C.CATEGORY_DIGIT: lambda c, a: c.isdecimal() and (c.isascii() or not a),
    C.CATEGORY_NOT_DIGIT: lambda c, a: not (c.isdecimal() and (c.isascii() or not a)),
    C.CATEGORY_SPACE: lambda c, a: c.isspace() and (c.isascii() or not a),
    C.CATEGORY_NOT_SPACE: lambda c, a: not (c.isspace() and (c.isascii() or not a)),
    C.CATEGORY_WORD: _word,
    C.CATEGORY_NOT_WORD: lambda c, a: not _word(c, a),
}


def _case_variants(c: str) -> set[str]:
    return {v for v in (c, c.lower(), c.upper()) if len(v) == 1}


def _in_set(items: list, flags: int) -> Callable[[str], bool]:
    ascii_only = bool(flags & re.ASCII)
    negate = bool(items) and items[0][0] is C.NEGATE
    tests: list[Callable[[str], bool]] = []
    for op, arg in items[1:] if negate else items:
        if op is C.LITERAL:
            tests.append(lambda c, v=chr(arg): c == v)
        elif op is C.RANGE:
            tests.append(lambda c, lo=arg[0], hi=arg[1]: lo <= ord(c) <= hi)
        elif op is C.CATEGORY and arg in _CATEGORIES:
            tests.append(lambda c, f=_CATEGORIES[arg]: f(c, ascii_only))
        else:
            raise UnsafePattern(f"unsupported character class item {op}")
    variants = _case_variants if flags & re.IGNORECASE else lambda c: (c,)

    def member(c: str) -> bool:
        return any(t(v) for v in variants(c) for t in tests)

    return (lambda c: not member(c)) if negate else member


class _Compiler:
    def __init__(self) -> None:
        self.prog: list[list] = []

    def emit(self, *instruction) -> int:
        if len(self.prog) >= MAX_STATES:
            raise UnsafePattern("pattern is too complex (counted repeats expand beyond the limit)")
        self.prog.append(list(instruction))
        return len(self.prog) - 1

    def sequence(self, nodes, flags: int) -> None:
        for op, arg in nodes:
            self.node(op, arg, flags)

    def node(self, op, arg, flags: int) -> None:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            self.emit(_CHAR, self._char(op, arg, flags))
        elif op is C.SUBPATTERN:
            _group, add_flags, del_flags, body = arg
            self.sequence(body, (flags | add_flags) & ~del_flags)
        elif op is C.BRANCH:
            self._branch(arg[1], flags)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            self._repeat(*arg, flags)
        elif op is C.AT:
            self.emit(_ASSERT, self._anchor(arg, flags))
        else:
            # GROUPREF (backreference), ASSERT/ASSERT_NOT (lookaround), GROUPREF_EXISTS, ATOMIC_GROUP,
            # POSSESSIVE_REPEAT: their meaning depends on the path taken, which a state set does not keep.
            raise UnsafePattern(f"{str(op).lower().replace('_', ' ')} is not supported in validation patterns")

    def _branch(self, alternatives, flags: int) -> None:
        exits = []
        for alternative in alternatives[:-1]:
            split = self.emit(_SPLIT, len(self.prog) + 1, None)
            self.sequence(alternative, flags)
            exits.append(self.emit(_JMP, None))
            self.prog[split][2] = len(self.prog)
        self.sequence(alternatives[-1], flags)
        for pc in exits:
            self.prog[pc][1] = len(self.prog)

    def _repeat(self, low: int, high, body, flags: int) -> None:
        for _ in range(low):
            self.sequence(body, flags)
        if high is C.MAXREPEAT:
            loop = self.emit(_SPLIT, len(self.prog) + 1, None)
            self.sequence(body, flags)
            self.emit(_JMP, loop)
            self.prog[loop][2] = len(self.prog)
            return
        optional = []
        for _ in range(high - low):
            optional.append(self.emit(_SPLIT, len(self.prog) + 1, None))
            self.sequence(body, flags)
        for pc in optional:
            self.prog[pc][2] = len(self.prog)

    @staticmethod
    def _char(op, arg, flags: int) -> Callable[[str], bool]:
        if op is C.ANY:
            return (lambda c: True) if flags & re.DOTALL else (lambda c: c != "\n")
        if op is C.IN:
            return _in_set(arg, flags)
        wanted = _case_variants(chr(arg)) if flags & re.IGNORECASE else {chr(arg)}
        if op is C.LITERAL:
            return lambda c: bool(_case_variants(c) & wanted) if flags & re.IGNORECASE else c in wanted
        return lambda c: not (_case_variants(c) & wanted if flags & re.IGNORECASE else c in wanted)

    @staticmethod
    def _anchor(kind, flags: int) -> Callable[[str, int], bool]:
        multiline, ascii_only = bool(flags & re.MULTILINE), bool(flags & re.ASCII)

        def boundary(s: str, i: int) -> bool:
            before = i > 0 and _word(s[i - 1], ascii_only)
            after = i < len(s) and _word(s[i], ascii_only)
            return before != after

        if kind is C.AT_BEGINNING:
            return (lambda s, i: i == 0 or s[i - 1] == "\n") if multiline else (lambda s, i: i == 0)
        if kind is C.AT_BEGINNING_STRING:
            return lambda s, i: i == 0
        if kind is C.AT_END:
            if multiline:
                return lambda s, i: i == len(s) or s[i] == "\n"
            return lambda s, i: i == len(s) or (i == len(s) - 1 and s[i] == "\n")
        if kind is C.AT_END_STRING:
            return lambda s, i: i == len(s)
        if kind is C.AT_BOUNDARY:
            return boundary
        if kind is C.AT_NON_BOUNDARY:
            # Python 3.12's \B never matches an empty string.
            return lambda s, i: bool(s) and not boundary(s, i)
        raise UnsafePattern(f"unsupported anchor {kind}")


class SafePattern:
    """A validation pattern compiled for linear-time full matching."""

    def __init__(self, source: str) -> None:
        if len(source) > MAX_PATTERN_LENGTH:
            raise UnsafePattern(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
        try:
            re.compile(source)  # the same errors (and messages) as Python's re
            parsed = sre_parse.parse(source)
        except (re.error, OverflowError, RecursionError) as e:
            raise UnsafePattern(f"invalid regular expression: {e}") from None
        compiler = _Compiler()
        compiler.sequence(parsed, parsed.state.flags)
        compiler.emit(_MATCH)
        self.source = source
        self._prog = compiler.prog

    def fullmatch(self, value: str) -> bool:
        states = self._closure([0], value, 0)
        for i, c in enumerate(value):
            advanced = [pc + 1 for pc in states if self._prog[pc][0] == _CHAR and self._prog[pc][1](c)]
            if not advanced:
                return False
            states = self._closure(advanced, value, i + 1)
        return any(self._prog[pc][0] == _MATCH for pc in states)

    def _closure(self, starts: list[int], value: str, i: int) -> list[int]:
        """The consuming (CHAR/MATCH) states reachable from ``starts`` without reading a character."""
        seen: set[int] = set()
        out: list[int] = []
        stack = list(reversed(starts))
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, *args = self._prog[pc]
            if op == _JMP:
                stack.append(args[0])
            elif op == _SPLIT:
                stack.extend((args[1], args[0]))
            elif op == _ASSERT:
                if args[0](value, i):
                    stack.append(pc + 1)
            else:
                out.append(pc)
        return out
