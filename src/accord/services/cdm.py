"""Conjunction Data Messages: reading, validating and summarising CDM files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.formats.cdm import Cdm, CdmObject, load_cdm
from accord.formats.records import ParseResult
from accord.services.ingest import decode_submission


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
