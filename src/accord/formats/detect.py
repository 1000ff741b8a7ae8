"""Which format a catalogue file is in, and reading an element-set file by its format.

:func:`detect_format` looks at the content (and only when the content is empty, at the
file name); :func:`load` reads an element-set format into a ``ParseResult[ElementSet]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Literal

from accord.errors import FormatError
from accord.formats import omm
from accord.formats.records import EMPTY_ANSWERS, ElementSet, ParseResult

__all__ = ["FORMATS", "NOT_ELEMENT_SETS", "Format", "detect_format", "load"]

Format = Literal["tle", "omm-kvn", "omm-xml", "omm-json", "omm-csv", "satcat", "tip"]
FORMATS: tuple[Format, ...] = ("tle", "omm-kvn", "omm-xml", "omm-json", "omm-csv", "satcat", "tip")
# Formats that hold no element sets, read by their own readers.
NOT_ELEMENT_SETS = ("satcat", "tip")

_BY_SUFFIX: dict[str, Format] = {
    ".tle": "tle",
    ".2le": "tle",
    ".3le": "tle",
    ".kvn": "omm-kvn",
    ".omm": "omm-kvn",
    ".xml": "omm-xml",
    ".json": "omm-json",
}
_XML_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_CCSDS_VERS = re.compile(r"CCSDS_([A-Z]+)_VERS\b")
# The 2017 SATCAT layout (CelesTrak's fixed-width SATCAT as a data frame) has these.
SATCAT_2017_COLUMNS = frozenset(("norad_cat_num", "op_status_code", "payload"))


def detect_format(data: bytes | str, filename: str | None = None) -> Format:
    """Given a file's content (and optionally its name), return its format's name.

    One of "tle" (TLE/3LE: a line "1 ..." then "2 ...", maybe after a name line; "#"
    comment lines are skipped, as the TLE reader skips them),
    "omm-kvn" (CCSDS_OMM_VERS first, 502.0-B-3 section 7), "omm-xml" (an <omm> or <ndm>
    root, 505.0-B-1), "omm-json" (an array or object), "omm-csv" (a header with EPOCH and
    MEAN_MOTION), "satcat" (a header with OPS_STATUS_CODE, or the 2017 layout's columns),
    "tip" (Space-Track TIP JSON: MSG_EPOCH and DECAY_EPOCH keys, no MEAN_MOTION).
    CelesTrak's empty answer ("No GP data found") and empty content go by the file name's
    suffix ("tle" when it says nothing): every element-set reader reads them as no records.
    Raise FormatError naming what was seen when the content does not tell.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff")
    lines = [line.strip() for line in text[:8192].splitlines() if line.strip()]
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if not lines:
        if suffix in _BY_SUFFIX:
            return _BY_SUFFIX[suffix]
        raise FormatError("empty input: cannot tell its format", field=filename)
    first = lines[0]
    if first in EMPTY_ANSWERS and len(lines) == 1:
        # CelesTrak's answer to a query with nothing to return, whatever format was asked
        # for; every element-set reader reads it as zero records.
        return _BY_SUFFIX.get(suffix, "tle")
    if first.startswith("<"):
        return _xml_format(text)
    if first[0] in "[{":
        head = text[:8192]
        if "OPS_STATUS_CODE" in head and "MEAN_MOTION" not in head:
            raise FormatError(
                "a SATCAT in JSON: SATCAT is read as CSV only",
                line=1,
                expected="an OMM JSON, or the SATCAT as CSV",
            )
        if "MSG_EPOCH" in head and "DECAY_EPOCH" in head and "MEAN_MOTION" not in head:
            return "tip"
        return "omm-json"
    vers = _CCSDS_VERS.match(first)
    if vers is not None:
        if vers.group(1) == "OMM":
            return "omm-kvn"
        raise FormatError(
            f"a CCSDS {vers.group(1)}, not an OMM",
            line=1,
            field=vers.group(0),
            expected="CCSDS_OMM_VERS",
        )
    if _is_tle([line for line in lines if not line.startswith("#")]):
        return "tle"  # the TLE reader skips "#" comment lines, so detection does too
    columns = {c.strip().strip('"') for c in first.split(",")}
    if "OPS_STATUS_CODE" in columns or columns >= SATCAT_2017_COLUMNS:
        return "satcat"
    if {"EPOCH", "MEAN_MOTION"} <= columns:
        return "omm-csv"
    raise FormatError(
        "cannot tell the format",
        line=1,
        field=filename,
        expected="a TLE/3LE, an OMM (KVN, XML, JSON, CSV) or a SATCAT CSV",
        received=first[:80],
    )


def _xml_format(text: str) -> Format:
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text[:8192], flags=re.DOTALL)
    root = _XML_ROOT.search(body)
    if root is not None and root.group(2) in ("omm", "ndm"):
        return "omm-xml"
    name = root.group(2) if root else "?"
    raise FormatError(
        f"XML whose root is <{name}>, not an OMM",
        field=name,
        expected="<omm> or <ndm> (CCSDS 505.0-B-1)",
    )


def _is_tle(lines: list[str]) -> bool:
    """Given the first non-blank lines, say whether they open a TLE, 2LE or 3LE file."""
    for start in (0, 1):
        if len(lines) > start + 1:
            one, two = lines[start], lines[start + 1]
            if one.startswith("1 ") and two.startswith("2 ") and len(one) >= 60:
                return True
    return False


def load(text: str | bytes, fmt: str) -> ParseResult[ElementSet]:
    """Given element-set text and its format (see :data:`FORMATS`), return the records.

    "tle" goes to :func:`accord.formats.tle.load_tle`; the OMM formats to
    :mod:`accord.formats.omm`.  "satcat" and "tip" hold no element sets: read them with
    :func:`accord.formats.satcat.load_satcat_csv` and :func:`accord.formats.tip.load_tip_json`.
    """
    if fmt == "omm-xml":
        return omm.load_omm_xml(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    readers: dict[str, Callable[[str], ParseResult[ElementSet]]] = {
        "omm-kvn": omm.load_omm_kvn,
        "omm-json": omm.load_omm_json,
        "omm-csv": omm.load_omm_csv,
    }
    if fmt == "tle":
        from accord.formats.tle import load_tle  # written alongside; imported when used

        return load_tle(text)
    if fmt in readers:
        return readers[fmt](text)
    raise FormatError(
        f"{fmt} files hold no element sets" if fmt in NOT_ELEMENT_SETS else "unknown format",
        field=fmt,
        expected=", ".join(f for f in FORMATS if f not in NOT_ELEMENT_SETS),
        received=fmt,
    )
