"""OMM as JSON and CSV tables, with OMM keywords as keys, as CelesTrak and Space-Track serve them.

Each JSON object or CSV row is one record, its keys in any order and without sections.
Metadata absent means EARTH/TEME/UTC/SGP4; a blank or null value means absent.  Known
provider keys that are no OMM keyword are kept as ``USER_DEFINED_<KEY>``; TLE_LINE0-2 are
derived copies of the elements and are dropped; any other key is refused unless
``unknown_keys="keep"``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Literal

from accord.errors import FormatError
from accord.formats.omm_builder import Token, build, collect, error_detail
from accord.formats.omm_keywords import (
    ELEMENTS,
    EXPECTED_KEYWORD,
    KEYWORD_NAME,
    MEAN_ELEMENTS,
    USER_PREFIX,
    lookup,
    message_items,
    real_text,
    value_text,
)
from accord.formats.records import ElementSet, Parsed, ParseResult, Rejected, is_empty_answer

__all__ = [
    "DERIVED_KEYS",
    "INFORMATIONAL_KEYS",
    "UnknownKeys",
    "dump_omm_csv",
    "dump_omm_json",
    "load_omm_csv",
    "load_omm_json",
]

UnknownKeys = Literal["reject", "keep"]

# Metadata that a table leaves out when it is the default (CelesTrak style).
_TABLE_DEFAULTS = {
    "CENTER_NAME": "EARTH",
    "REF_FRAME": "TEME",
    "TIME_SYSTEM": "UTC",
    "MEAN_ELEMENT_THEORY": "SGP4",
}
# Provider keys of the JSON/CSV tables that are no OMM keyword: kept as USER_DEFINED_<KEY>
# (Space-Track gp and legacy tle classes, CelesTrak SupGP), or dropped as derived copies.
INFORMATIONAL_KEYS = frozenset(
    [
        "SEMIMAJOR_AXIS",
        "PERIOD",
        "APOAPSIS",
        "PERIAPSIS",
        "OBJECT_TYPE",
        "RCS_SIZE",
        "COUNTRY_CODE",
        "LAUNCH_DATE",
        "SITE",
        "DECAY_DATE",
        "FILE",
        "GP_ID",
        "INTLDES",
        "OBJECT_NUMBER",
        "APOGEE",
        "PERIGEE",
        "DECAYED",
        "ORDINAL",
        "RMS",
        "DATA_SOURCE",
    ]
)
DERIVED_KEYS = frozenset(("TLE_LINE0", "TLE_LINE1", "TLE_LINE2"))
# Columns that are no keyword of their own: comments, and the legacy epoch's microseconds.
_CSV_SPECIAL = frozenset(("COMMENT", "EPOCH_MICROSECONDS"))


def _table_token(key: str, value: Any, line: int, unknown_keys: UnknownKeys) -> list[Token]:
    """Given one key/value of a JSON object or CSV row, return its tokens (maybe none)."""
    if key in DERIVED_KEYS or key == "EPOCH_MICROSECONDS":
        return []
    if key == "COMMENT":
        comments = [value] if isinstance(value, str) or value is None else value
        if isinstance(value, _Object) or not all(isinstance(c, str | None) for c in comments):
            raise FormatError("COMMENT is not text", line=line, field=key, expected="text")
        return [(line, "COMMENT", c, None, None) for c in comments if c is not None]
    if key in INFORMATIONAL_KEYS:
        key = USER_PREFIX + key
    elif lookup(key) is None:
        if unknown_keys != "keep" or KEYWORD_NAME.fullmatch(key) is None:
            raise FormatError(
                f"unknown key {key}",
                line=line,
                field=key,
                expected=f"{EXPECTED_KEYWORD}, or a known provider key "
                "(pass unknown_keys='keep' to keep others as USER_DEFINED_*)",
            )
        key = USER_PREFIX + key
    if value is None or value == "":
        return [(line, key, "", None, None)] if key.startswith(USER_PREFIX) else []
    return [(line, key, value, None, None)]


_LEGACY_EPOCH = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)", re.ASCII)
_MICROSECONDS = re.compile(r"\d{1,6}", re.ASCII)


def _legacy_epoch(pairs: list[tuple[Any, Any]], line: int) -> list[tuple[Any, Any]]:
    """Given Space-Track legacy "tle"-class pairs (EPOCH "YYYY-MM-DD hh:mm:ss" plus
    EPOCH_MICROSECONDS), return the pairs with one CCSDS EPOCH."""
    micro = next(str(v) for k, v in pairs if k == "EPOCH_MICROSECONDS")
    out = []
    for k, v in pairs:
        if k == "EPOCH":
            m = _LEGACY_EPOCH.fullmatch(str(v))
            if m is None or _MICROSECONDS.fullmatch(micro) is None:
                raise FormatError(
                    "EPOCH and EPOCH_MICROSECONDS do not combine",
                    line=line,
                    field="EPOCH",
                    expected="YYYY-MM-DD hh:mm:ss with EPOCH_MICROSECONDS of 1 to 6 digits",
                    received=f"{v} / {micro}",
                )
            v = f"{m.group(1)}T{m.group(2)}.{int(micro):06d}"
        out.append((k, v))
    return out


# ---------------------------------------------------------------------------------------
# JSON: a list of objects (or one), values as numbers or strings
# ---------------------------------------------------------------------------------------


class _Object(list[tuple[str, Any]]):
    """A JSON object as its ordered (key, value) pairs, so duplicate keys show."""


def load_omm_json(text: str, *, unknown_keys: UnknownKeys = "reject") -> ParseResult[ElementSet]:
    """Given CelesTrak or Space-Track OMM JSON (a list of objects, or one), return records.

    Values may be numbers (CelesTrak) or strings (Space-Track); null or "" means absent.
    A bad record is rejected as "record N" (1-based) at its text line; a file cut short
    keeps the complete records and rejects the cut.  See the module notes for keys.
    """
    if is_empty_answer(text):
        return ParseResult()
    result: ParseResult[ElementSet] = ParseResult()
    for index, line, raw, obj in _json_objects(text.lstrip("\ufeff")):
        try:
            if isinstance(obj, FormatError):
                raise obj
            record = build(
                _json_tokens(obj, line, unknown_keys), message=False, kvn=False, line=line
            )
        except FormatError as exc:
            error = FormatError(
                f"record {index}: {exc.message}",
                line=exc.line or line,
                field=exc.field,
                **error_detail(exc),
            )
            result.rejected.append(Rejected(line, raw, error))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _json_tokens(obj: Any, line: int, unknown_keys: UnknownKeys) -> list[Token]:
    if not isinstance(obj, _Object):
        raise FormatError("not a JSON object", line=line, expected="{...}", received=repr(obj)[:80])
    pairs: list[tuple[str, Any]] = list(obj)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise FormatError(f"key {twice} given twice", line=line, field=twice)
    if "EPOCH_MICROSECONDS" in keys:
        pairs = _legacy_epoch(pairs, line)
    tokens: list[Token] = []
    for key, value in pairs:
        if isinstance(value, dict | list) and key != "COMMENT":
            raise FormatError(
                f"{key} is not a scalar", line=line, field=key, received=repr(value)[:80]
            )
        tokens += _table_token(key, value, line, unknown_keys)
    return tokens


_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _skip(text: str, pos: int) -> int:
    m = _JSON_SPACE.match(text, pos)
    return pos if m is None else m.end()


def _json_objects(text: str) -> Iterator[tuple[int, int, str, Any]]:
    """Given JSON text, yield (1-based index, line, raw, object or error) per record.

    Elements of a top-level array are decoded one by one, so that each keeps its line
    and raw text, and a cut or broken array still yields the records before the fault.
    """
    decoder = json.JSONDecoder(object_pairs_hook=_Object)
    pos = _skip(text, 0)
    if pos == len(text):
        return
    lines = _LineCounter(text)
    if text[pos] != "[":
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield 1, exc.lineno, text[pos:].strip(), _json_error(exc, "not valid JSON")
            return
        yield 1, lines.at(pos), text[pos:end], obj
        pos = _skip(text, end)
        if pos < len(text):
            yield 2, lines.at(pos), text[pos:], _trailing(lines.at(pos))
        return
    index = 0
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return
    while True:
        index += 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield index, lines.at(pos), text[pos:].strip(), _json_error(exc, "not valid JSON")
            return
        yield index, lines.at(pos), text[pos:end], obj
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
            continue
        if text.startswith("]", pos):
            pos = _skip(text, pos + 1)
            if pos < len(text):
                yield index + 1, lines.at(pos), text[pos:], _trailing(lines.at(pos))
            return
        at = lines.at(pos)
        cut = FormatError(
            f"the array ends after record {index} without its closing ']' (file cut short?)"
            if pos == len(text)
            else "expected ',' or ']' between records",
            line=at,
            expected="',' or ']'",
            received=text[pos : pos + 20] or "end of input",
        )
        yield index + 1, at, text[pos:], cut
        return


def _json_error(exc: json.JSONDecodeError, what: str) -> FormatError:
    return FormatError(
        f"{what}: {exc.msg}", line=exc.lineno, received=exc.doc[exc.pos : exc.pos + 20]
    )


def _trailing(line: int) -> FormatError:
    return FormatError("text after the end of the JSON value", line=line, expected="end of input")


class _LineCounter:
    """Line numbers of offsets that only grow, counted once."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


# ---------------------------------------------------------------------------------------
# CSV: a header of keywords, one row per record
# ---------------------------------------------------------------------------------------


def load_omm_csv(text: str, *, unknown_keys: UnknownKeys = "reject") -> ParseResult[ElementSet]:
    """Given a CelesTrak-style OMM CSV (a header of OMM keywords), return the records.

    Line numbers are the CSV's.  A row with the wrong number of values or a bad value is
    rejected with its line and column.  A header naming unknown columns (unless
    ``unknown_keys="keep"``) or lacking mandatory ones is unusable: one rejection, line 1.
    """
    if is_empty_answer(text):
        return ParseResult()
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    reader = csv.reader(io.StringIO("".join(lines)))
    header = next(reader, None)
    if header is None:
        return ParseResult()
    result: ParseResult[ElementSet] = ParseResult()
    try:
        columns = _csv_columns([h.strip() for h in header], unknown_keys)
    except FormatError as exc:
        result.rejected.append(Rejected(1, "".join(lines).rstrip("\r\n"), exc))
        return result
    first = reader.line_num + 1
    rows = []
    for row in reader:
        start, first = first, reader.line_num + 1
        if row:
            rows.append((start, "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n"), row))
    return collect(
        ((line, raw, _csv_tokens(columns, row, line)) for line, raw, row in rows), message=False
    )


def _csv_columns(header: list[str], unknown_keys: UnknownKeys) -> list[str | None]:
    """Given a CSV header, return per column its keyword (None: dropped), or raise."""
    unknown = [
        h
        for h in header
        if lookup(h) is None
        and h not in INFORMATIONAL_KEYS
        and h not in DERIVED_KEYS
        and h not in _CSV_SPECIAL
    ]
    if unknown and unknown_keys != "keep":
        raise FormatError(
            f"unknown columns {', '.join(unknown)}",
            line=1,
            field=unknown[0],
            expected=f"{EXPECTED_KEYWORD}, or a known provider column "
            "(pass unknown_keys='keep' to keep others as USER_DEFINED_*)",
        )
    lacking = [kw for kw in ELEMENTS if kw not in header]
    twice = [h for h in header if header.count(h) > 1]
    if lacking or twice:
        problem = f"columns {', '.join(lacking)} missing" if lacking else "a column repeated"
        raise FormatError(
            f"unusable header: {problem}",
            line=1,
            field=(lacking or twice)[0],
            expected=", ".join(ELEMENTS),
        )
    out: list[str | None] = []
    for h in header:
        if h in DERIVED_KEYS:
            out.append(None)
        elif h in _CSV_SPECIAL or lookup(h) is not None:
            out.append(h)
        else:
            out.append(USER_PREFIX + h)
    return out


def _csv_tokens(columns: list[str | None], row: list[str], line: int) -> list[Token] | FormatError:
    if len(row) != len(columns):
        return FormatError(
            f"row has {len(row)} values; the header has {len(columns)} columns",
            line=line,
            expected=f"{len(columns)} comma-separated values",
            received=f"{len(row)} values",
        )
    pairs: Iterable[tuple[str | None, str]] = zip(columns, row, strict=True)
    if "EPOCH_MICROSECONDS" in columns:
        try:
            pairs = _legacy_epoch([(k, c) for k, c in pairs if k is not None], line)
        except FormatError as exc:
            return exc
    # A blank cell is an absent value, except under USER_DEFINED_* (Space-Track's blanks).
    tokens: list[Token] = [
        (line, kw, cell, None, None)
        for kw, cell in pairs
        if kw is not None and (cell or kw.startswith(USER_PREFIX)) and kw not in _CSV_SPECIAL
    ]
    if "COMMENT" in columns:
        cell = row[columns.index("COMMENT")]
        tokens += [(line, "COMMENT", c, None, None) for c in cell.split("\n") if cell]
    return tokens


# ---------------------------------------------------------------------------------------
# Writing: CelesTrak style, or Space-Track style (every value a string)
# ---------------------------------------------------------------------------------------


def _table_items(record: ElementSet, *, full: bool) -> list[tuple[str, Any]]:
    """Given an element set, return the (KEY, value) of its JSON object or CSV row.

    CelesTrak style (``full`` False) leaves out the metadata at its default; Space-Track
    style writes it.  USER_DEFINED_<KEY> of a known provider key is written as KEY.
    """
    items: list[tuple[str, Any]] = [("CCSDS_OMM_VERS", "3.0")] if full else []
    if record.comments:
        items.append(("COMMENT", record.comments))
    for kw, value in message_items(record):
        if value is None:
            if kw in ("OBJECT_NAME", "OBJECT_ID"):
                items.append((kw, ""))
            continue
        if not full and _TABLE_DEFAULTS.get(kw) == value:
            continue
        if kw.startswith(USER_PREFIX) and kw[len(USER_PREFIX) :] in INFORMATIONAL_KEYS:
            kw = kw[len(USER_PREFIX) :]
        items.append((kw, value))
    return items


def dump_omm_json(records: Iterable[ElementSet], *, numbers_as_strings: bool = False) -> str:
    """Given element sets, return a JSON list of OMM objects.

    CelesTrak style by default (numbers as JSON numbers, default metadata left out);
    Space-Track style with ``numbers_as_strings`` (every value a string, metadata written).
    """
    out = []
    for record in records:
        obj: dict[str, Any] = {}
        for key, value in _table_items(record, full=numbers_as_strings):
            if key == "COMMENT":
                obj[key] = value[0] if len(value) == 1 else list(value)
            elif isinstance(value, float):
                text = real_text(value)  # refuses inf and nan
                obj[key] = text if numbers_as_strings else value
            elif isinstance(value, int) and numbers_as_strings:
                obj[key] = str(value)
            else:
                obj[key] = value_text(value) if isinstance(value, datetime) else value
        out.append(obj)
    return json.dumps(out, separators=(",", ":"), allow_nan=False)


_CELESTRAK_COLUMNS = [
    "OBJECT_NAME",
    "OBJECT_ID",
    *MEAN_ELEMENTS,
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
]


def dump_omm_csv(records: Iterable[ElementSet]) -> str:
    """Given element sets, return CSV with CelesTrak's columns first.

    Columns that some record needs (header, GM, BTERM, extra keywords, COMMENT joined by
    newlines) follow; a record without a value there gets an empty cell, which reads back
    as absent (for USER_DEFINED_* as an empty value).
    """
    rows = [dict(_table_items(r, full=False)) for r in records]
    columns = dict.fromkeys(_CELESTRAK_COLUMNS)
    for row in rows:
        columns.update(dict.fromkeys(k for k in row if k not in columns))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if isinstance(value, tuple):
        return "\n".join(value)
    return value_text(value)
