"""OEM in KVN (CCSDS 502.0-B-3 sections 5 and 7): the reader, block by block, and the writer.

A message is the version line, the header, then segments: ``META_START`` ... ``META_STOP``,
the ephemeris data lines (5.2.4), and optionally ``COVARIANCE_START`` ... ``COVARIANCE_STOP``
with matrices of an EPOCH, an optional COV_REF_FRAME and 6 lower-triangle rows (5.2.5).
Lines are classified here; values, data lines and matrices are checked by the functions of
:mod:`accord.formats.oem`, which re-exports the entry points.  The writer's keyword and
number texts (checked so that they read back) serve the XML writer too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from accord.errors import FormatError
from accord.formats.oem import (
    COVARIANCE_FIELDS,
    HEADER_KEYWORDS,
    MANDATORY,
    METADATA_KEYWORDS,
    STATE_FIELDS,
    STATE_FORM,
    V3_KEYWORDS,
    Field,
    Oem,
    OemCovariance,
    OemSegment,
    OemState,
    check_version,
    make_covariance,
    make_oem,
    make_segment,
    make_state,
    read_keywords,
    typed_value,
)
from accord.formats.omm_builder import misplaced_comment
from accord.formats.omm_keywords import value_text
from accord.formats.records import Parsed, ParseResult, Rejected

__all__ = [
    "covariance_rows",
    "dump_oem_kvn",
    "header_items",
    "keyword_text",
    "load_oem_kvn",
    "metadata_items",
    "one_line",
    "state_texts",
]

_VERSION_LINE = re.compile(r"[ \t]*CCSDS_OEM_VERS[ \t]*=")
_KEYWORD = re.compile(r"[A-Z][A-Z0-9_]*")
_DELIMITERS = frozenset(("META_START", "META_STOP", "COVARIANCE_START", "COVARIANCE_STOP"))
_WIDTH = 20

# A classified line: (line number, kind, keyword or delimiter, value or text); kind is
# "comment", "delimiter", "kv" (KEYWORD = value) or "data".
Line = tuple[int, str, str, str]


def load_oem_kvn(text: str) -> ParseResult[Oem]:
    """Given KVN text of one or more OEMs (502.0-B-3 sections 5 and 7), return the records.

    Each message starts at a ``CCSDS_OEM_VERS`` line; a bad message is one Rejected that
    names its line and keyword, and the next message is read.  LF or CRLF, blank lines and
    a byte order mark are accepted; text before the first version line is one Rejected.
    """
    result: ParseResult[Oem] = ParseResult()
    for line, raw, lines in _messages(text.lstrip("\ufeff")):
        try:
            if isinstance(lines, FormatError):
                raise lines
            record = _Message(lines).read()
        except FormatError as exc:
            result.rejected.append(Rejected(line, raw, exc))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _messages(text: str) -> Iterator[tuple[int, str, list[Line] | FormatError]]:
    """Given KVN text, yield (first line, raw text, classified lines or error) per message."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, body in enumerate(lines) if _VERSION_LINE.match(body)]
    first = next((i for i, body in enumerate(lines) if body.strip()), None)
    if first is not None and (not starts or first < starts[0]):
        error = FormatError(
            "text before the first CCSDS_OEM_VERS line",
            line=first + 1,
            field="CCSDS_OEM_VERS",
            expected="CCSDS_OEM_VERS = 3.0 as the first line of an OEM (502.0-B-3 Table 5-1)",
            received=lines[first].strip()[:80],
        )
        yield first + 1, "".join(lines[first : starts[0] if starts else None]), error
    for start, end in zip(starts, [*starts[1:], len(lines)][: len(starts)], strict=True):
        numbered = [_classify(i + 1, lines[i]) for i in range(start, end) if lines[i].strip()]
        yield start + 1, "".join(lines[start:end]), numbered


def _classify(line: int, raw: str) -> Line:
    """Given one non-blank line, return its kind (502.0-B-3 7.4 to 7.8)."""
    body = raw.strip()
    if body.startswith("COMMENT") and (len(body) == 7 or body[7] in " \t"):
        return line, "comment", "COMMENT", body[7:].strip()
    if body in _DELIMITERS:
        return line, "delimiter", body, ""
    kw, equals, value = body.partition("=")
    kw = kw.rstrip()
    if equals and _KEYWORD.fullmatch(kw):
        return line, "kv", kw, value.strip()
    return line, "data", "", body


class _Message:
    """The classified lines of one message, read front to back."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.pos = 1  # the version line is lines[0]
        self.version = lines[0][3]

    def read(self) -> Oem:
        check_version(self.version, self.lines[0][0])
        comments, fields, end = self._block("header", "META_START")
        header = read_keywords(fields, HEADER_KEYWORDS, version=self.version, end=end)
        segments = []
        while self.pos < len(self.lines):
            segments.append(self._segment())
        if not segments:
            raise FormatError(
                "an OEM without segments",
                line=self.lines[-1][0],
                field="META_START",
                expected="META_START, the metadata, META_STOP, data lines (502.0-B-3 5.2.1)",
            )
        return make_oem(self.version, header, segments, comments)

    def _block(self, block: str, stop: str) -> tuple[list[str], list[Field], int]:
        """Read COMMENT and KEYWORD = value lines up to ``stop``; return the comments, the
        keywords and the line of ``stop`` (the last line where the message ends first)."""
        comments: list[str] = []
        fields: list[Field] = []
        for line, kind, name, value in self.lines[self.pos :]:
            if kind == "delimiter" and name == stop:
                return comments, fields, line
            self.pos += 1
            if kind == "comment":
                if fields:
                    misplaced_comment(line, block)
                comments.append(value)
            elif kind == "kv":
                fields.append((line, name, value, None))
            else:
                raise _out_of_place(line, name or value, block, f"KEYWORD = value, or {stop}")
        if stop == "META_START":  # a header alone: the message has no segment
            return comments, fields, self.lines[-1][0]
        raise FormatError(
            f"the {block} has no {stop}",
            line=self.lines[-1][0],
            field=stop,
            expected=f"{stop} to close the {block} (502.0-B-3 5.2.1)",
        )

    def _segment(self) -> OemSegment:
        self.pos += 1  # META_START
        meta_comments, fields, end = self._block("metadata", "META_STOP")
        metadata = read_keywords(fields, METADATA_KEYWORDS, version=self.version, end=end)
        self.pos += 1  # META_STOP
        data_comments, states = self._data()
        covariances: list[OemCovariance] = []
        if self._next("COVARIANCE_START"):
            self.pos += 1
            covariances = self._covariances()
            if self.pos < len(self.lines) and not self._next("META_START"):
                line, _, name, value = self.lines[self.pos]
                raise _out_of_place(
                    line, name or value, "segment", "META_START after COVARIANCE_STOP"
                )
        return make_segment(metadata, states, covariances, (meta_comments, data_comments))

    def _next(self, delimiter: str) -> bool:
        return self.pos < len(self.lines) and self.lines[self.pos][1:3] == ("delimiter", delimiter)

    def _data(self) -> tuple[list[str], list[OemState]]:
        """Read the ephemeris data lines and the comments before them (5.2.4)."""
        comments: list[str] = []
        states: list[OemState] = []
        for line, kind, name, value in self.lines[self.pos :]:
            if kind == "delimiter" and name in ("META_START", "COVARIANCE_START"):
                break
            self.pos += 1
            if kind == "comment":
                if states:
                    misplaced_comment(line, "ephemeris data")
                comments.append(value)
            elif kind == "data":
                states.append(make_state(_state_fields(line, value), value[:80]))
            else:
                raise _out_of_place(line, name, "ephemeris data", STATE_FORM)
        if not states:
            line = self.lines[min(self.pos, len(self.lines) - 1)][0]
            raise FormatError(
                "a segment without ephemeris data lines",
                line=line,
                field="EPOCH",
                expected=f"data lines after META_STOP: {STATE_FORM}",
            )
        return comments, states

    def _covariances(self) -> list[OemCovariance]:
        """Read the matrices up to COVARIANCE_STOP (5.2.5)."""
        done: list[OemCovariance] = []
        comments: list[str] = []
        epoch: Field | None = None  # the EPOCH of the matrix being read
        frame: Field | None = None
        rows: list[list[Field]] = []
        for line, kind, name, value in self.lines[self.pos :]:
            self.pos += 1
            if kind == "comment":
                if epoch is not None:
                    misplaced_comment(line, "covariance matrix")
                comments.append(value)
            elif kind == "kv" and name == "EPOCH":
                if epoch is not None:
                    raise _incomplete(line, "EPOCH", epoch, len(rows))
                epoch, frame, rows = (line, name, value, None), None, []
            elif kind == "kv" and name == "COV_REF_FRAME" and epoch and not rows and not frame:
                frame = (line, name, value, None)
            elif kind == "data" and epoch is not None:
                rows.append(_row(line, value, len(rows)))
                if len(rows) == 6:
                    entries = [f for row in rows for f in row]
                    done.append(make_covariance(epoch, frame, entries, comments))
                    epoch, comments = None, []
            elif kind == "data":
                what = "a 7th covariance row" if done and not comments else "covariance data"
                raise FormatError(
                    f"{what} where the next matrix's EPOCH must come",
                    line=line,
                    field="EPOCH",
                    expected="EPOCH = ..., [COV_REF_FRAME = ...], then 6 rows of 1 to 6 "
                    "numbers, or COVARIANCE_STOP (502.0-B-3 5.2.5)",
                    received=value[:80],
                )
            elif kind == "delimiter" and name == "COVARIANCE_STOP":
                if epoch is not None:
                    raise _incomplete(line, name, epoch, len(rows))
                if comments or not done:
                    raise _out_of_place(line, name, "covariance data", "EPOCH = ...")
                return done
            else:
                expected = "EPOCH, COV_REF_FRAME (after EPOCH), covariance rows, COVARIANCE_STOP"
                raise _out_of_place(line, name, "covariance data", expected)
        raise FormatError(
            "the covariance data have no COVARIANCE_STOP",
            line=self.lines[-1][0],
            field="COVARIANCE_STOP",
            expected="COVARIANCE_STOP after the last matrix (502.0-B-3 5.2.5)",
        )


def _state_fields(line: int, text: str) -> list[Field]:
    """Given a data line, return its fields named by position ("" for one too many)."""
    names = [*STATE_FIELDS, *[""] * len(text)]
    return [(line, name, part, None) for name, part in zip(names, text.split(), strict=False)]


def _row(line: int, text: str, i: int) -> list[Field]:
    """Given covariance row ``i`` (0 to 5) as text, return its entries, or raise."""
    first = i * (i + 1) // 2
    names = COVARIANCE_FIELDS[first : first + i + 1]
    parts = text.split()
    if len(parts) != i + 1:
        raise FormatError(
            f"covariance row {i + 1} has {len(parts)} numbers where it needs {i + 1}",
            line=line,
            field=names[-1],
            expected=f"{i + 1} number{'s' if i else ''}: {' '.join(names)} (502.0-B-3 5.2.5)",
            received=text[:80],
        )
    return [(line, name, part, None) for name, part in zip(names, parts, strict=True)]


def _incomplete(line: int, name: str, epoch: Field, rows: int) -> FormatError:
    return FormatError(
        f"{name} before the covariance matrix of line {epoch[0]} is complete ({rows} of 6 rows)",
        line=line,
        field=name,
        expected="6 rows of 1 to 6 numbers after EPOCH and COV_REF_FRAME (502.0-B-3 5.2.5)",
    )


def _out_of_place(line: int, what: str, block: str, expected: str) -> FormatError:
    keyword = _KEYWORD.fullmatch(what) is not None
    return FormatError(
        f"{'keyword ' + what if keyword else 'a line'} within the {block}",
        line=line,
        field=what if keyword else None,
        expected=expected,
        received=None if keyword else what[:80],
    )


def dump_oem_kvn(oems: Iterable[Oem]) -> str:
    """Given records, return KVN text with one OEM each (502.0-B-3 sections 5 and 7).

    Keywords as in Tables 5-1 and 5-3, data lines and covariance rows with the shortest
    text that reads back as the same float, epochs to the microsecond.  Raise FormatError
    for a record that would not read back.
    """
    return "\n".join(_message(oem) for oem in oems)


def _message(oem: Oem) -> str:
    header = header_items(oem)
    out = [_kv("CCSDS_OEM_VERS", oem.version), *_comments(oem.comments)]
    out += [_kv(kw, text) for kw, text in header]
    for segment in oem.segments:
        out += ["", "META_START", *_comments(segment.metadata_comments)]
        out += [_kv(kw, text) for kw, text in metadata_items(segment, oem.version)]
        out += ["META_STOP", "", *_comments(segment.data_comments)]
        out += [" ".join(state_texts(state)) for state in segment.states]
        if segment.covariances:
            out += ["", "COVARIANCE_START"]
            for covariance in segment.covariances:
                out += _comments(covariance.comments)
                out.append(_kv("EPOCH", keyword_text("EPOCH", covariance.epoch, oem.version)))
                if covariance.ref_frame is not None:
                    frame = keyword_text("COV_REF_FRAME", covariance.ref_frame, oem.version)
                    out.append(_kv("COV_REF_FRAME", frame))
                out += [" ".join(row) for row in covariance_rows(covariance)]
            out.append("COVARIANCE_STOP")
    return "\n".join(out) + "\n"


def _kv(kw: str, text: str) -> str:
    return f"{kw:<{_WIDTH}} = {text}"


def _comments(texts: Iterable[str]) -> list[str]:
    return [f"COMMENT {one_line(text)}".rstrip() for text in texts]


# ---------------------------------------------------------------------------------------
# Keyword and data texts, checked so that they read back (the XML writer's too).
# ---------------------------------------------------------------------------------------


def header_items(oem: Oem) -> list[tuple[str, str]]:
    """Given a record, return its header keywords and value texts (Table 5-1 order)."""
    check_version(oem.version, None)
    if not oem.segments:
        raise FormatError("an OEM needs at least one segment", field="META_START")
    values = ((kw, getattr(oem, kw.lower())) for kw in HEADER_KEYWORDS)
    return [
        (kw, keyword_text(kw, v, oem.version))
        for kw, v in values
        if v is not None or kw in MANDATORY
    ]


def metadata_items(segment: OemSegment, version: str) -> list[tuple[str, str]]:
    """Given a segment, return its metadata keywords and value texts (Table 5-3 order)."""
    if not segment.states:
        raise FormatError("a segment needs at least one state", field="EPOCH")
    values = ((kw, getattr(segment, kw.lower())) for kw in METADATA_KEYWORDS)
    return [
        (kw, keyword_text(kw, v, version)) for kw, v in values if v is not None or kw in MANDATORY
    ]


def keyword_text(kw: str, value: Any, version: str) -> str:
    """Given a keyword's typed value, return its text; raise FormatError where the
    readers would refuse it or read it back otherwise."""
    text = value_text(value)
    if value is None or text != text.strip() or (kw in V3_KEYWORDS and version != "3.0"):
        raise FormatError(f"{kw} would not read back", field=kw, received=repr(value))
    typed_value(kw, one_line(text), None)
    return text


def one_line(text: str) -> str:
    """Given a value or comment text, return it, or raise if it spans lines or has
    blanks at an end (which readers drop)."""
    if "\n" in text or "\r" in text or text != text.strip(" \t"):
        raise FormatError("a text that would not read back as it is", received=repr(text)[:80])
    return text


def state_texts(state: OemState) -> list[str]:
    """Given a state, return the texts of its epoch and numbers."""
    numbers = [*state.position_km, *state.velocity_km_s, *(state.acceleration_km_s2 or ())]
    return [value_text(state.epoch), *(value_text(float(x)) for x in numbers)]


def covariance_rows(covariance: OemCovariance) -> list[list[str]]:
    """Given a covariance, return the texts of its 6 rows (row i: i + 1 entries)."""
    rows = covariance.lower
    if [len(row) for row in rows] != [1, 2, 3, 4, 5, 6]:
        raise FormatError(
            "a covariance needs 6 rows of 1 to 6 entries",
            field="EPOCH",
            received=str([len(row) for row in rows]),
        )
    return [[value_text(float(x)) for x in row] for row in rows]
