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

import numpy as np
from numpy.typing import NDArray
from sgp4.api import WGS72, Satrec

FloatArray = NDArray[np.float64]

SGP4_EPOCH_JD = 2433281.5  # sgp4init counts its epoch in days from 1949 December 31 0h UTC
MAX_ECCENTRICITY = 0.99
MU_KM3_S2 = 398_600.8  # WGS-72, the gravity model of SGP4
# sgp4init takes a catalogue number up to Alpha-5's 339,999; the number plays no part in the
# propagation, so synthetic objects past it reuse numbers modulo this.
MAX_SATNUM = 339_999
CHUNK = 65_536  # objects per stream of random numbers


@dataclass(frozen=True)
class MeanElements:
    """SGP4 mean elements of ``n`` objects at one epoch (``epoch_jd + epoch_fr``, UTC), in
    sgp4init's units: mean motion (Kozai) in rad/min, angles in rad, B* in 1/earth radii,
    ``ndot`` in rad/min^2 and ``nddot`` in rad/min^3 (python-sgp4's conventions)."""

    no_kozai: FloatArray
    ecco: FloatArray
    inclo: FloatArray
    nodeo: FloatArray
    argpo: FloatArray
    mo: FloatArray
    bstar: FloatArray
    ndot: FloatArray
    nddot: FloatArray
    epoch_jd: float
    epoch_fr: float

    def __len__(self) -> int:
        return len(self.no_kozai)


def elements_of(satrecs: Sequence[Satrec]) -> MeanElements:
    """The mean elements of Satrecs, with the epoch of the median one (the elements are each
    Satrec's own, at its own epoch: the reference for :func:`synthetic`)."""
    epochs = np.array([s.jdsatepoch + s.jdsatepochF for s in satrecs])
    median = float(np.median(epochs))
    whole = np.floor(median - 0.5) + 0.5

    def field(name: str) -> FloatArray:
        return np.array([getattr(s, name) for s in satrecs], dtype=np.float64)

    return MeanElements(
        no_kozai=field("no_kozai"), ecco=field("ecco"), inclo=field("inclo"),
        nodeo=field("nodeo"), argpo=field("argpo"), mo=field("mo"), bstar=field("bstar"),
        ndot=field("ndot"), nddot=field("nddot"), epoch_jd=float(whole),
        epoch_fr=float(median - whole),
    )  # fmt: skip


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
    turn = 2.0 * np.pi
    semi_major = (MU_KM3_S2 / (reference.no_kozai[pick] / 60.0) ** 2) ** (1.0 / 3.0)
    ecco = np.abs(reference.ecco[pick] + apsis_sigma_km / semi_major * jitter[1])
    inclo = reference.inclo[pick] + np.radians(inclination_sigma_deg) * jitter[2]
    return MeanElements(
        no_kozai=reference.no_kozai[pick] * (1.0 + mean_motion_sigma * jitter[0]),
        ecco=np.minimum(ecco, MAX_ECCENTRICITY),
        inclo=np.clip(inclo, 0.0, np.pi),
        nodeo=turn * phases[0],
        argpo=turn * phases[1],
        mo=turn * phases[2],
        bstar=reference.bstar[pick].copy(),
        ndot=reference.ndot[pick].copy(),
        nddot=reference.nddot[pick].copy(),
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
    """Initialise a python-sgp4 Satrec per object (WGS-72, improved mode), numbered from
    ``first_number`` (modulo :data:`MAX_SATNUM` past it)."""
    epoch = (elements.epoch_jd - SGP4_EPOCH_JD) + elements.epoch_fr
    out = []
    for k in range(len(elements)):
        sat = Satrec()
        sat.sgp4init(WGS72, "i", 1 + (first_number - 1 + k) % MAX_SATNUM, epoch,
                     float(elements.bstar[k]), float(elements.ndot[k]),
                     float(elements.nddot[k]), float(elements.ecco[k]),
                     float(elements.argpo[k]), float(elements.inclo[k]),
                     float(elements.mo[k]), float(elements.no_kozai[k]),
                     float(elements.nodeo[k]))  # fmt: skip
        out.append(sat)
    return out
