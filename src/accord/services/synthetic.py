"""Synthetic catalogues as element sets, for scale tests: drawn from a reference catalogue
(the stored one, or files) by :mod:`accord.core.synthetic`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from accord.core.synthetic import FIELDS, elements_of, synthetic
from accord.core.time import datetime_from_jd
from accord.errors import InvalidRequestError
from accord.formats.detect import detect_format, load
from accord.formats.records import ElementSet
from accord.services.catalogue import current_catalogue
from accord.services.ingest import decode_submission
from accord.services.propagation import SGP4_THEORIES
from accord.services.store import Store

# Catalogue numbers of synthetic objects start here by default: OMM's NORAD_CAT_ID holds up
# to nine digits, far from any real object's number (a TLE holds at most 339,999).
FIRST_NUMBER = 900_000_000


def synthetic_element_sets(
    reference: Sequence[ElementSet], n: int, *, seed: int = 0, first_number: int = FIRST_NUMBER
) -> list[ElementSet]:
    """Given a reference catalogue's element sets, return ``n`` synthetic ones drawn from
    its distribution (:func:`accord.core.synthetic.synthetic`), numbered from
    ``first_number`` and named ``SYNTH-<number>``, at the reference's median epoch."""
    usable = [es for es in reference if es.mean_element_theory in SGP4_THEORIES]
    if not usable:
        raise InvalidRequestError("the reference catalogue holds no SGP4 element sets")
    drawn = synthetic(elements_of(usable), n, seed=seed)
    epoch = datetime_from_jd(drawn.epoch_jd, drawn.epoch_fr)
    columns = [getattr(drawn, name).tolist() for name in FIELDS]
    return [
        ElementSet(norad_cat_id=first_number + k, epoch=epoch,
                   object_name=f"SYNTH-{first_number + k}", originator="ACCORD SYNTHETIC",
                   **dict(zip(FIELDS, values, strict=True)))
        for k, values in enumerate(zip(*columns, strict=True))
    ]  # fmt: skip


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
