"""Conjunction Data Messages: reading, validating and summarising CDM files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.covariance import default_covariance_rtn_km2, orbit_regime
from accord.core.frames import teme_to_gcrf
from accord.core.time import jd_from_datetime
from accord.errors import InvalidRequestError
from accord.formats.cdm import Cdm, CdmObject, dump_cdm_kvn, dump_cdm_xml, load_cdm
from accord.formats.records import ElementSet, ParseResult
from accord.services.collision import perigee_apogee_km
from accord.services.ephemeris import Ephemeris
from accord.services.ingest import decode_submission
from accord.services.screening import ScreeningResult
from accord.services.store import utcnow


@dataclass(frozen=True)
class CdmFile:
    """What a CDM file holds: its messages and the ones that could not be read."""

    path: Path
    result: ParseResult[Cdm]

    @property
    def valid(self) -> bool:
        """True when every message in the file was read."""
        return bool(self.result.accepted) and not self.result.rejected


def read_cdm_file(path: Path) -> CdmFile:
    """Read a CDM file (KVN or XML, several messages allowed, ``.gz`` understood)."""
    text = decode_submission(path.read_bytes())
    return CdmFile(path, load_cdm(text))


def _object_summary(obj: CdmObject) -> dict[str, Any]:
    return {
        "object_designator": obj.object_designator,
        "object_name": obj.object_name,
        "international_designator": obj.international_designator,
        "object_type": obj.object_type,
        "maneuverable": obj.maneuverable,
        "ref_frame": obj.ref_frame,
        "covariance_method": obj.covariance_method,
        "r_km": list(obj.r_km),
        "v_km_s": list(obj.v_km_s),
        "sigma_rtn_m": [float(obj.cov_rtn_m_m_s()[k, k]) ** 0.5 for k in range(3)],
    }


def cdm_summary(cdm: Cdm) -> dict[str, Any]:
    """Return the fields a duty officer reads first, as JSON-ready data."""
    return {
        "message_id": cdm.message_id,
        "originator": cdm.originator,
        "creation_date": cdm.creation_date.isoformat() + "Z",
        "tca": cdm.tca.isoformat(timespec="microseconds") + "Z",
        "miss_distance_m": cdm.miss_distance_m,
        "relative_speed_m_s": cdm.relative_speed_m_s,
        "relative_position_rtn_m": list(cdm.relative_position_rtn_m or ()),
        "collision_probability": cdm.collision_probability,
        "collision_probability_method": cdm.collision_probability_method,
        "object1": _object_summary(cdm.object1),
        "object2": _object_summary(cdm.object2),
    }


# -- issuing CDMs for screened conjunctions -----------------------------------------------

ORIGINATOR = "ACCORD"


def _lower_triangle(cov: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(cov[i, j]) for j in range(i + 1)) for i in range(6))


def _cdm_object(
    es: ElementSet, r_gcrf: np.ndarray, v_gcrf: np.ndarray, cov_rtn_km2: np.ndarray
) -> CdmObject:
    """One object's CDM part: GCRF state at TCA and the default RTN covariance (SI units).

    Velocity variances are the position variances times the mean motion squared (the
    scale on which position and velocity errors of an orbit trade), flagged DEFAULT.
    """
    n_rad_s = es.mean_motion * 2 * np.pi / 86_400.0
    cov = np.zeros((6, 6))
    cov[:3, :3] = cov_rtn_km2 * 1e6
    cov[3:, 3:] = cov_rtn_km2 * 1e6 * n_rad_s**2
    return CdmObject(
        object_designator=str(es.norad_cat_id),
        catalog_name="SATCAT",
        object_name=es.object_name or "UNKNOWN",
        international_designator=es.object_id or "UNKNOWN",
        ephemeris_name="NONE",
        covariance_method="DEFAULT",
        maneuverable="N/A",
        ref_frame="GCRF",
        r_km=(float(r_gcrf[0]), float(r_gcrf[1]), float(r_gcrf[2])),
        v_km_s=(float(v_gcrf[0]), float(v_gcrf[1]), float(v_gcrf[2])),
        cov_rtn_si=_lower_triangle(cov),
    )


def _ephemeris_cdm_object(
    e: Ephemeris,
    tca: datetime,
    teme: np.ndarray,
    r_gcrf: np.ndarray,
    v_gcrf: np.ndarray,
    ephemeris_name: str,
) -> CdmObject:
    """One object's CDM part from an operator's ephemeris: GCRF state at TCA and the
    ephemeris' covariance nearest TCA in RTN (CALCULATED), or zeros where it has none."""
    from accord.services.ephemeris import covariance_rtn_km2

    cov = covariance_rtn_km2(e, tca, teme[:3], teme[3:])
    designator = e.segments[0].object_id.strip() if e.segments else ""
    international = designator if designator and not designator.isdigit() else "UNKNOWN"
    return CdmObject(
        object_designator=str(e.norad_cat_id),
        catalog_name="SATCAT",
        object_name=e.name or (e.segments[0].object_name if e.segments else "UNKNOWN"),
        international_designator=international,
        ephemeris_name=ephemeris_name,
        covariance_method="CALCULATED" if cov is not None else "DEFAULT",
        maneuverable="YES" if len(e.segments) > 1 else "N/A",
        ref_frame="GCRF",
        r_km=(float(r_gcrf[0]), float(r_gcrf[1]), float(r_gcrf[2])),
        v_km_s=(float(v_gcrf[0]), float(v_gcrf[1]), float(v_gcrf[2])),
        cov_rtn_si=_lower_triangle((np.zeros((6, 6)) if cov is None else cov) * 1e6),
    )


def conjunction_cdms(
    result: ScreeningResult,
    created: datetime | None = None,
    *,
    ephemerides: Mapping[int, Ephemeris] | None = None,
    ephemeris_names: Mapping[int, str] | None = None,
) -> list[Cdm]:
    """Return one CCSDS CDM (508.0-B-1) per conjunction of a screening run.

    States are rotated from TEME into the GCRF at TCA; for an element set the covariance
    is the default one the Pc used (COVARIANCE_METHOD = DEFAULT), for an object screened
    from an operator's ephemeris (``ephemerides``, by catalogue number; EPHEMERIS_NAME from
    ``ephemeris_names``) the ephemeris' own (CALCULATED); the screening volume is object 1's
    RTN ellipsoid in an ellipsoid run (SCREEN_VOLUME_X/Y/Z: its radial, in-track and
    cross-track semi-axes), else the run's sphere (an RTN ellipsoid with equal axes).
    """
    created = created or utcnow()
    ephemerides = ephemerides or {}
    names = ephemeris_names or {}
    out: list[Cdm] = []
    conjunctions = result.conjunctions
    if not conjunctions:
        return out
    # every state rotated in one pass: (side, conjunction, 3)
    teme = np.array([[c.state1_teme for c in conjunctions], [c.state2_teme for c in conjunctions]])
    jd = np.array([jd_from_datetime(c.tca) for c in conjunctions])
    r, v = teme_to_gcrf(teme[..., :3], teme[..., 3:], jd[:, 0], jd[:, 1])
    sides = [(side, k, norad) for k, c in enumerate(conjunctions)
             for side, norad in enumerate((c.object1, c.object2))
             if norad not in ephemerides]  # fmt: skip
    regimes = {n: _regime(result.elements[n]) for _, _, n in sides}
    default = default_covariance_rtn_km2(
        [regimes[n] for _, _, n in sides],
        [(conjunctions[k].tca - result.elements[n].epoch).total_seconds() / 86_400.0
         for _, k, n in sides],
    ) if sides else np.empty((0, 3, 3))  # fmt: skip
    covariance = {(side, k): default[m] for m, (side, k, _) in enumerate(sides)}
    for k, c in enumerate(conjunctions):
        objects = []
        for side, norad in enumerate((c.object1, c.object2)):
            if norad in ephemerides:
                objects.append(_ephemeris_cdm_object(
                    ephemerides[norad], c.tca, teme[side, k], r[side, k], v[side, k],
                    names.get(norad, "OPERATOR"),
                ))  # fmt: skip
            else:
                es = result.elements[norad]
                objects.append(_cdm_object(es, r[side, k], v[side, k], covariance[side, k]))
        volume_m = (result.threshold_km * 1000.0,) * 3
        if c.volume_rtn_km is not None:
            volume_m = _scaled(c.volume_rtn_km[0])
        out.append(
            Cdm(
                creation_date=created,
                originator=ORIGINATOR,
                message_id=f"ACCORD-{result.run_id or 0}-{k + 1}-{c.object1}-{c.object2}",
                tca=c.tca,
                miss_distance_m=c.miss_distance_km * 1000.0,
                relative_speed_m_s=c.relative_speed_km_s * 1000.0,
                relative_position_rtn_m=_scaled(c.relative_position_rtn_km),
                relative_velocity_rtn_m_s=_scaled(c.relative_velocity_rtn_km_s),
                start_screen_period=result.start,
                stop_screen_period=result.start + timedelta(seconds=result.window_s),
                screen_volume_frame="RTN",
                screen_volume_shape="ELLIPSOID",
                screen_volume_x_m=volume_m[0],
                screen_volume_y_m=volume_m[1],
                screen_volume_z_m=volume_m[2],
                collision_probability=c.pc,
                collision_probability_method=c.pc_method if c.pc is not None else None,
                object1=objects[0],
                object2=objects[1],
            )
        )
    return out


def _scaled(km: Sequence[float]) -> tuple[float, float, float]:
    return (km[0] * 1000.0, km[1] * 1000.0, km[2] * 1000.0)


def _regime(es: ElementSet) -> str:
    hp, ha = perigee_apogee_km(es)
    return str(orbit_regime(hp, ha))


def write_cdms(cdms: Sequence[Cdm], directory: Path, fmt: str = "kvn") -> list[Path]:
    """Write each CDM to its own file in ``directory`` (created if missing)."""
    if fmt not in ("kvn", "xml"):
        raise InvalidRequestError(f"CDM format must be kvn or xml, got {fmt!r}")
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for cdm in cdms:
        path = directory / f"{cdm.message_id}.{'txt' if fmt == 'kvn' else 'xml'}"
        path.write_text(dump_cdm_kvn([cdm]) if fmt == "kvn" else dump_cdm_xml([cdm]))
        paths.append(path)
    return paths
