"""Synthetic catalogues for scale tests, drawn from a real catalogue's distribution of orbits.

A synthetic object is a smoothed bootstrap draw (Efron, "Bootstrap methods: another look at
the jackknife", Annals of Statistics 7, 1979; smoothing as in Silverman, "Density Estimation
for Statistics and Data Analysis", 1986, section 6.4): a real element set is picked at random
and its shape is kept up to a small jitter, while its phase is drawn afresh:

- mean motion times ``1 + N(0, mean_motion_sigma)`` (0.1 % by default: about 5 km of
  semi-major axis in LEO, so a constellation's shell stays a shell);
- eccentricity plus ``N(0, apsis_sigma_km / a)`` (reflected at 0, kept below 0.99), which
  moves perigee and apogee by about ``apsis_sigma_km`` (5 km) whatever the orbit (a factor
  on the eccentricity would move a transfer orbit's perigee by hundreds of km);
- inclination plus ``N(0, inclination_sigma_deg)`` (0.05 deg), kept in 0-180 deg, so that
  sun-synchronous and constellation inclinations stay where they are;
- right ascension of the ascending node, argument of perigee and mean anomaly uniform in
  0-360 deg: the real catalogue's phases are those of particular satellites, and copying them
  would stack the copies on their originals;
- the drag terms (B*, the mean motion's derivatives) of the original.

So the density by altitude and inclination (what sets the conjunction rate) is the real
catalogue's, scaled by ``n / len(reference)``, and the positions within each shell are
uniform in phase.  All objects share one epoch.  The draw depends on the seed alone, and
catalogues of one seed are nested: the first ``m`` objects of a draw of ``n > m`` are the
draw of ``m``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sgp4.api import Satrec

from accord.core.propagation import satrec_from_elements
from accord.core.time import jd_from_datetime

FloatArray = NDArray[np.float64]

MAX_ECCENTRICITY = 0.99
MU_KM3_S2 = 398_600.8  # WGS-72, the gravity model of SGP4
REV_PER_DAY_IN_RAD_PER_S = 2.0 * np.pi / 86_400.0
CHUNK = 65_536  # objects per stream of random numbers


class MeanElementRecord(Protocol):
    """What :func:`elements_of` reads of an element set (an OMM's fields, in its units;
    :class:`accord.formats.records.ElementSet` is one)."""

    @property
    def epoch(self) -> datetime: ...
    @property
    def mean_motion(self) -> float: ...
    @property
    def eccentricity(self) -> float: ...
    @property
    def inclination(self) -> float: ...
    @property
    def ra_of_asc_node(self) -> float: ...
    @property
    def arg_of_pericenter(self) -> float: ...
    @property
    def mean_anomaly(self) -> float: ...
    @property
    def bstar(self) -> float: ...
    @property
    def mean_motion_dot(self) -> float: ...
    @property
    def mean_motion_ddot(self) -> float: ...


# The fields drawn and kept, by their OMM names (CCSDS 502.0-B-3): mean motion (Kozai)
# rev/day, angles deg, B* 1/earth radii, derivatives rev/day^2 and rev/day^3 (TLE
# conventions).
FIELDS = ("mean_motion", "eccentricity", "inclination", "ra_of_asc_node", "arg_of_pericenter",
          "mean_anomaly", "bstar", "mean_motion_dot", "mean_motion_ddot")  # fmt: skip


@dataclass(frozen=True)
class MeanElements:
    """SGP4 mean elements of ``n`` objects at one epoch (``epoch_jd + epoch_fr``, UTC), as
    arrays named and in the units of :data:`FIELDS`."""

    mean_motion: FloatArray
    eccentricity: FloatArray
    inclination: FloatArray
    ra_of_asc_node: FloatArray
    arg_of_pericenter: FloatArray
    mean_anomaly: FloatArray
    bstar: FloatArray
    mean_motion_dot: FloatArray
    mean_motion_ddot: FloatArray
    epoch_jd: float
    epoch_fr: float

    def __len__(self) -> int:
        return len(self.mean_motion)

    def semi_major_km(self) -> FloatArray:
        """Each object's semi-major axis (two-body, from the mean motion)."""
        n = self.mean_motion * REV_PER_DAY_IN_RAD_PER_S
        return np.asarray((MU_KM3_S2 / n**2) ** (1.0 / 3.0))


def elements_of(records: Sequence[MeanElementRecord]) -> MeanElements:
    """The mean elements of element sets, with the epoch of the median one (the elements are
    each record's own, at its own epoch: the reference for :func:`synthetic`)."""
    if not records:
        raise ValueError("the reference catalogue is empty")
    median = float(np.median([sum(jd_from_datetime(r.epoch)) for r in records]))
    whole = np.floor(median - 0.5) + 0.5
    columns = {name: np.array([getattr(r, name) for r in records], dtype=np.float64)
               for name in FIELDS}  # fmt: skip
    return MeanElements(**columns, epoch_jd=float(whole), epoch_fr=float(median - whole))


def synthetic(
    reference: MeanElements,
    n: int,
    *,
    seed: int = 0,
    mean_motion_sigma: float = 1e-3,
    apsis_sigma_km: float = 5.0,
    inclination_sigma_deg: float = 0.05,
) -> MeanElements:
    """Given a reference catalogue's mean elements, return ``n`` synthetic objects drawn from
    its distribution as the module describes, at the reference's epoch."""
    if n < 0:
        raise ValueError(f"n must be at least 0, not {n}")
    if len(reference) == 0:
        raise ValueError("the reference catalogue is empty")
    pick, jitter, phases = _draws(seed, n, len(reference))
    apsis_jitter = apsis_sigma_km / reference.semi_major_km()[pick] * jitter[1]
    eccentricity = np.abs(reference.eccentricity[pick] + apsis_jitter)
    inclination = reference.inclination[pick] + inclination_sigma_deg * jitter[2]
    return MeanElements(
        mean_motion=reference.mean_motion[pick] * (1.0 + mean_motion_sigma * jitter[0]),
        eccentricity=np.minimum(eccentricity, MAX_ECCENTRICITY),
        inclination=np.clip(inclination, 0.0, 180.0),
        ra_of_asc_node=360.0 * phases[0],
        arg_of_pericenter=360.0 * phases[1],
        mean_anomaly=360.0 * phases[2],
        bstar=reference.bstar[pick].copy(),
        mean_motion_dot=reference.mean_motion_dot[pick].copy(),
        mean_motion_ddot=reference.mean_motion_ddot[pick].copy(),
        epoch_jd=reference.epoch_jd,
        epoch_fr=reference.epoch_fr,
    )


def _draws(seed: int, n: int, size: int) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """The random numbers of ``n`` objects: picks in ``0 .. size - 1``, ``(3, n)`` standard
    normal jitters and ``(3, n)`` uniform phases in [0, 1).  Drawn in chunks of
    :data:`CHUNK` objects, each from its own stream of the seed (NumPy's ``SeedSequence``
    spawn keys), so that the first ``m`` objects of any larger draw are the draw of ``m``."""
    picks, jitters, phases = [], [], []
    for chunk in range(-(-n // CHUNK)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
        picks.append(rng.integers(0, size, CHUNK))
        jitters.append(rng.normal(0.0, 1.0, (3, CHUNK)))
        phases.append(rng.uniform(0.0, 1.0, (3, CHUNK)))
    if not picks:
        return np.empty(0, dtype=np.int64), np.empty((3, 0)), np.empty((3, 0))
    return (np.concatenate(picks)[:n], np.concatenate(jitters, axis=1)[:, :n],
            np.concatenate(phases, axis=1)[:, :n])  # fmt: skip


def satrecs_of(elements: MeanElements, first_number: int = 1) -> list[Satrec]:
    """Initialise a python-sgp4 Satrec per object
    (:func:`accord.core.propagation.satrec_from_elements`: WGS-72, improved mode), numbered
    from ``first_number`` (a Satrec holds numbers up to Alpha-5's 339,999; past it, 0)."""
    e = elements
    return [
        satrec_from_elements(
            norad_cat_id=first_number + k,
            epoch=(e.epoch_jd, e.epoch_fr),
            mean_motion=float(e.mean_motion[k]),
            eccentricity=float(e.eccentricity[k]),
            inclination=float(e.inclination[k]),
            ra_of_asc_node=float(e.ra_of_asc_node[k]),
            arg_of_pericenter=float(e.arg_of_pericenter[k]),
            mean_anomaly=float(e.mean_anomaly[k]),
            bstar=float(e.bstar[k]),
            mean_motion_dot=float(e.mean_motion_dot[k]),
            mean_motion_ddot=float(e.mean_motion_ddot[k]),
        )
        for k in range(len(e))
    ]
