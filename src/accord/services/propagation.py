"""Propagation of catalogue objects: stored element set -> SGP4 -> TEME, GCRF or ITRF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sgp4.api import Satrec

from accord.core.frames import teme_to_gcrf, teme_to_itrf
from accord.core.propagation import error_messages, propagate, satrec_from_elements
from accord.core.time import jd_from_datetime, jd_from_datetime64
from accord.errors import InvalidRequestError
from accord.formats.records import ElementSet
from accord.policy.model import Principal
from accord.services.catalogue import CatalogueEntry, current_entry
from accord.services.store import Store

FRAMES = ("teme", "gcrf", "itrf")
MAX_STEPS = 1_000_000


SGP4_THEORIES = ("SGP4", "SGP/SGP4")


def satrec_of(es: ElementSet) -> Satrec:
    """Given an element set, return the sgp4 Satrec that propagates it.

    Only SGP4 mean elements: SGP4-XP elements (BTERM, AGOM instead of BSTAR) need the
    SGP4-XP theory, which python-sgp4 does not implement.
    """
    if es.mean_element_theory not in SGP4_THEORIES:
        raise InvalidRequestError(
            f"object {es.norad_cat_id}: its element set is of mean element theory "
            f"{es.mean_element_theory}; SGP4 propagates only {' or '.join(SGP4_THEORIES)}"
        )
    return satrec_from_elements(
        norad_cat_id=es.norad_cat_id,
        epoch=jd_from_datetime(es.epoch),
        mean_motion=es.mean_motion,
        eccentricity=es.eccentricity,
        inclination=es.inclination,
        ra_of_asc_node=es.ra_of_asc_node,
        arg_of_pericenter=es.arg_of_pericenter,
        mean_anomaly=es.mean_anomaly,
        bstar=es.bstar,
        mean_motion_dot=es.mean_motion_dot,
        mean_motion_ddot=es.mean_motion_ddot,
        classification_type=es.classification_type,
        element_set_no=es.element_set_no,
        rev_at_epoch=es.rev_at_epoch,
        ephemeris_type=es.ephemeris_type,
        object_id=es.object_id,
    )


@dataclass(frozen=True)
class Ephemeris:
    """States of one object at regular times, in one frame.

    ``r_km`` and ``v_km_s`` are ``(n_times, 3)``; rows where ``error`` is non-zero are NaN
    and ``messages`` says why (sgp4's error texts).
    """

    entry: CatalogueEntry
    frame: str
    times: NDArray[np.datetime64]
    r_km: NDArray[np.float64]
    v_km_s: NDArray[np.float64]
    error: NDArray[np.uint8]
    messages: Sequence[str]

    def to_dict(self) -> dict[str, Any]:
        """Return the ephemeris as JSON-ready data."""
        states = []
        for i, t in enumerate(self.times):
            state: dict[str, Any] = {"epoch": str(t) + "Z"}
            if self.error[i]:
                state["error"] = int(self.error[i])
                state["message"] = self.messages[i]
            else:
                state["r_km"] = [float(x) for x in self.r_km[i]]
                state["v_km_s"] = [float(x) for x in self.v_km_s[i]]
            states.append(state)
        return {
            "norad_cat_id": self.entry.elements.norad_cat_id,
            "object_name": self.entry.elements.object_name,
            "element_set_epoch": self.entry.elements.epoch.isoformat(),
            "frame": self.frame.upper(),
            "states": states,
        }


def time_grid(start: datetime, end: datetime, step_s: float) -> NDArray[np.datetime64]:
    """Return the UTC times from start to end inclusive (when it falls on a step)."""
    if step_s <= 0:
        raise InvalidRequestError(f"step must be positive, got {step_s} s")
    if end < start:
        raise InvalidRequestError(f"end {end.isoformat()} is before start {start.isoformat()}")
    n = int((end - start) / timedelta(seconds=step_s) + 1e-9) + 1
    if n > MAX_STEPS:
        raise InvalidRequestError(f"{n} steps requested; at most {MAX_STEPS} (use a larger step)")
    offsets = np.round(np.arange(n) * step_s * 1e6).astype("timedelta64[us]")
    return np.datetime64(start, "us") + offsets


def propagate_object(
    store: Store,
    norad_cat_id: int,
    start: datetime,
    end: datetime,
    step_s: float,
    frame: str = "teme",
    principal: Principal | None = None,
) -> Ephemeris:
    """Propagate one object's current element set (among those ``principal`` may see) over
    a time grid, in ``frame``."""
    if frame not in FRAMES:
        raise InvalidRequestError(f"unknown frame {frame!r}: expected one of {', '.join(FRAMES)}")
    times = time_grid(start, end, step_s)
    entry = current_entry(store, norad_cat_id, principal)
    jd, fr = jd_from_datetime64(times)
    result = propagate(satrec_of(entry.elements), jd, fr)
    r, v = result.r_teme_km, result.v_teme_km_s
    if frame == "gcrf":
        r, v = teme_to_gcrf(r, v, jd, fr)
    elif frame == "itrf":
        r, v = teme_to_itrf(r, v, jd, fr)
    return Ephemeris(
        entry=entry,
        frame=frame,
        times=times,
        r_km=r,
        v_km_s=v,
        error=result.error,
        messages=[str(m) for m in error_messages(result.error)],
    )
