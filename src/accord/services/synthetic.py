"""Synthetic catalogues as element sets, for scale tests: drawn from a reference catalogue
(the stored one, or files) by :mod:`accord.core.synthetic`, written in any export format."""

from __future__ import annotations

from collections.abc import Sequence
from math import degrees, pi
from pathlib import Path

from accord.core.synthetic import MAX_SATNUM, elements_of, synthetic
from accord.core.time import datetime_from_jd
from accord.errors import InvalidRequestError
from accord.formats.detect import detect_format, load
from accord.formats.records import ElementSet
from accord.services.catalogue import EXPORT_FORMATS, current_catalogue
from accord.services.ingest import decode_submission
from accord.services.propagation import SGP4_THEORIES, satrec_of
from accord.services.store import Store

XPDOTP = 1440.0 / (2.0 * pi)  # rev/day per rad/min
# Catalogue numbers of synthetic objects start here by default: OMM's NORAD_CAT_ID holds up
# to nine digits, far from any real object's number.
FIRST_NUMBER = 900_000_000
TLE_FORMATS = ("tle", "3le")


def synthetic_element_sets(
    reference: Sequence[ElementSet], n: int, *, seed: int = 0, first_number: int = FIRST_NUMBER
) -> list[ElementSet]:
    """Given a reference catalogue's element sets, return ``n`` synthetic ones drawn from
    its distribution (:func:`accord.core.synthetic.synthetic`), numbered from
    ``first_number`` and named ``SYNTH-<number>``, at the reference's median epoch."""
    usable = [es for es in reference if es.mean_element_theory in SGP4_THEORIES]
    if not usable:
        raise InvalidRequestError("the reference catalogue holds no SGP4 element sets")
    drawn = synthetic(elements_of([satrec_of(es) for es in usable]), n, seed=seed)
    epoch = datetime_from_jd(drawn.epoch_jd, drawn.epoch_fr)
    return [
        ElementSet(
            norad_cat_id=first_number + k,
            epoch=epoch,
            mean_motion=float(drawn.no_kozai[k]) * XPDOTP,
            eccentricity=float(drawn.ecco[k]),
            inclination=degrees(drawn.inclo[k]),
            ra_of_asc_node=degrees(drawn.nodeo[k]),
            arg_of_pericenter=degrees(drawn.argpo[k]),
            mean_anomaly=degrees(drawn.mo[k]),
            bstar=float(drawn.bstar[k]),
            mean_motion_dot=float(drawn.ndot[k]) * XPDOTP * 1440.0,
            mean_motion_ddot=float(drawn.nddot[k]) * XPDOTP * 1440.0 * 1440.0,
            object_name=f"SYNTH-{first_number + k}",
            originator="ACCORD SYNTHETIC",
        )
        for k in range(n)
    ]


def reference_of(store: Store | None, paths: Sequence[Path]) -> list[ElementSet]:
    """The element sets of the files named, else the store's current catalogue."""
    if paths:
        records: list[ElementSet] = []
        for path in paths:
            text = decode_submission(path.read_bytes())
            records.extend(load(text, detect_format(text, path.name.removesuffix(".gz"))).records)
        return records
    if store is None:
        raise InvalidRequestError("no reference catalogue: name files or open a store")
    return [e.elements for e in current_catalogue(store)]


def write_synthetic(records: Sequence[ElementSet], fmt: str) -> str:
    """The synthetic element sets in an export format (TLE formats only while the numbers
    fit Alpha-5)."""
    writer = EXPORT_FORMATS.get(fmt)
    if writer is None:
        raise InvalidRequestError(
            f"unknown format {fmt!r}: expected one of {', '.join(EXPORT_FORMATS)}"
        )
    if fmt in TLE_FORMATS and records and max(r.norad_cat_id for r in records) > MAX_SATNUM:
        raise InvalidRequestError(
            f"catalogue numbers up to {max(r.norad_cat_id for r in records)} do not fit a TLE "
            f"(at most {MAX_SATNUM}, Alpha-5): use an OMM format or --first-number"
        )
    return writer(records)
