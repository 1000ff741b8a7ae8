"""Pc from CDMs: states and covariances, never the CDM's own Pc."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from accord.core.pc import PcMethod
from accord.formats.cdm import Cdm, load_cdm
from accord.services.collision import DEFAULT_HBR_M, cdm_hard_body_radius_m, pc_from_cdm


@pytest.fixture
def cspoc(shared_data: Path) -> Cdm:
    path = shared_data / "ccsds" / "orekit" / "cdm" / "ION_SCV8_vs_STARLINK_1233.txt"
    (message,) = load_cdm(path.read_bytes()).records
    return message


def test_hard_body_radius_from_the_cdm(cspoc: Cdm) -> None:
    assert cdm_hard_body_radius_m(cspoc) == 5.0  # "Exclusion Volume Radius = 5.000000 [m]"
    no_comment = replace(cspoc, header_comments=(), relative_comments=())
    no_comment = replace(
        no_comment,
        object1=replace(no_comment.object1, metadata_comments=(), od_comments=(),
                        additional_comments=()),
        object2=replace(no_comment.object2, metadata_comments=(), od_comments=(),
                        additional_comments=()),
    )  # fmt: skip
    expected = np.sqrt(1.2007 / np.pi) + np.sqrt(1.8385 / np.pi)  # from AREA_PC
    assert cdm_hard_body_radius_m(no_comment) == pytest.approx(expected)


def test_pc_never_reads_the_cdm_value(cspoc: Cdm) -> None:
    first = pc_from_cdm(cspoc)
    other = pc_from_cdm(replace(cspoc, collision_probability=0.5))
    assert first.pc == other.pc and first.cdm_pc == pytest.approx(0.004450713)
    assert first.hbr_m == 5.0 and first.hbr_source == "cdm"


def test_foster_and_monte_carlo_agree_on_the_real_cdm(cspoc: Cdm) -> None:
    foster = pc_from_cdm(cspoc)
    mc = pc_from_cdm(cspoc, PcMethod.MONTE_CARLO, n_samples=2_000_000, rng=7)
    assert mc.result.pc_low is not None and mc.result.pc_high is not None
    assert float(mc.result.pc_low) <= foster.pc <= float(mc.result.pc_high)
    # Pc grows with the hard-body radius, about as its square while it is small.
    larger = pc_from_cdm(cspoc, hbr_m=10.0)
    assert 3.5 < larger.pc / foster.pc < 4.0
    assert pc_from_cdm(cspoc, hbr_m=DEFAULT_HBR_M).pc == foster.pc


def test_maximum_pc_bounds_foster_on_the_real_cdm(cspoc: Cdm) -> None:
    # Alfano's maximum over covariance scaling (2005) is never below the Pc at the actual
    # scaling.
    foster = pc_from_cdm(cspoc)
    maximum = pc_from_cdm(cspoc, PcMethod.ALFANO_MAX)
    assert maximum.pc >= foster.pc > 0
