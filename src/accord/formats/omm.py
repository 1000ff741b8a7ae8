"""CCSDS Orbit Mean-elements Messages (OMM) <-> :class:`ElementSet`.

Reads and writes the OMM of CCSDS 502.0-B-3 (ODM, 2023; version 2.0 messages of 502.0-B-2
too) in four renderings: KVN (502.0-B-3 section 7), NDM/XML (CCSDS 505.0-B-1, schema
``ndmxml-1.0-omm-2.0.xsd``), and the JSON and CSV tables that CelesTrak and Space-Track
serve with OMM keywords as keys.

Built like Orekit's CCSDS parsers: each rendering has a lexer that turns text into tokens
``(line, keyword, value, unit, block)``, and one builder checks every token against a
per-keyword table (block of Tables 4-1 to 4-3, type, unit) and makes the ElementSet.  An
ElementSet holds SGP4 mean elements, so a message whose MEAN_ELEMENT_THEORY is not
SGP/SGP4 (or SGP4-XP), or whose frame is not TEME about the EARTH in UTC, is rejected.

This module gathers the readers and writers.  The values and the keyword table are in
:mod:`accord.formats.omm_keywords`, the builder in :mod:`accord.formats.omm_builder`, and
each rendering in its own module: :mod:`accord.formats.omm_kvn`,
:mod:`accord.formats.omm_xml` and :mod:`accord.formats.omm_tables` (JSON and CSV).

Decisions worth knowing:

- Optional sections (spacecraft parameters, BTERM/AGOM of SGP4-XP, covariance,
  USER_DEFINED_*, and the 3.0 header keywords CLASSIFICATION and MESSAGE_ID,
  REF_FRAME_EPOCH) go verbatim into ``ElementSet.extra`` in the standard's order; all
  COMMENT lines go into ``comments`` in message order.  Writers put the comments in the
  header, so their position, not their text or order, is lost.
- Tables (JSON, CSV): metadata absent means EARTH/TEME/UTC/SGP4; a blank or null value
  means absent.  Provider keys that are not OMM keywords but are known (Space-Track's
  SEMIMAJOR_AXIS ... GP_ID, CelesTrak SupGP's RMS, DATA_SOURCE) are kept as
  ``USER_DEFINED_<KEY>``, as Space-Track's own KVN and XML do; TLE_LINE0-2 are a derived
  copy of the elements and are dropped.  Any other key rejects its record (JSON) or the
  file (CSV header), unless ``unknown_keys="keep"``.
- Strict by default, with two named exceptions.  ``tolerate_undeclared_xsi`` (off) reads
  older CelesTrak NDM/XML, whose ``xsi:`` attribute prefix is never declared.
  ``allow_blank_mandatory`` (on) reads CelesTrak's blank CREATION_DATE, ORIGINATOR and
  OBJECT_ID as None: 502.0-B-3 7.5.1 forbids them in KVN (the NDM/XML 1.0 schema allows
  them), but refusing them would refuse every CelesTrak KVN and XML file; turned off, the
  readers refuse them as Orekit does.
- CelesTrak's empty answer "No GP data found" reads as zero records and no error.
"""

from accord.formats.omm_keywords import parse_epoch
from accord.formats.omm_kvn import dump_omm_kvn, load_omm_kvn
from accord.formats.omm_tables import dump_omm_csv, dump_omm_json, load_omm_csv, load_omm_json
from accord.formats.omm_xml import dump_omm_xml, load_omm_xml

__all__ = [
    "dump_omm_csv",
    "dump_omm_json",
    "dump_omm_kvn",
    "dump_omm_xml",
    "load_omm_csv",
    "load_omm_json",
    "load_omm_kvn",
    "load_omm_xml",
    "parse_epoch",
]
