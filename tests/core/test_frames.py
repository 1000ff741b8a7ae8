"""TEME -> GCRF and TEME -> ITRF against Vallado's published example, Vallado's
``teme2ecef`` formulation, skyfield's satellite positions, and plain geometry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sgp4.api import Satrec
from skyfield.api import EarthSatellite, load
from skyfield.constants import ANGVEL
from skyfield.framelib import itrs

from accord.core import time as time_module
from accord.core.frames import (
    teme_to_gcrf,
    teme_to_gcrf_matrices,
    teme_to_itrf,
    teme_to_itrf_matrices,
)
from accord.core.propagation import propagate
from accord.core.time import jd_from_iso, jd_plus_minutes, skyfield_time, timescale

Array = NDArray[np.float64]
ARCSECOND = np.pi / 180.0 / 3600.0
one_micrometre = 1e-9  # km
one_millimetre = 1e-6  # km
one_centimetre = 1e-5  # km
half_a_metre = 5e-4  # km
one_millimetre_per_s = 1e-6  # km/s
half_a_millimetre_per_s = 5e-7  # km/s

# AIAA 2006-6753 appendix C (Vallado, Fundamentals, ex. 3-15): one TEME state at
# 2004-04-06 07:51:28.386009 UTC and its ITRF and GCRF equivalents, computed with
# UT1-UTC = -0.4399619 s, xp = -0.140682", yp = 0.333309", LOD = 1.5563 ms.
VALLADO_UTC = "2004-04-06T07:51:28.386009"
VALLADO_R_TEME = np.array([5094.18016210, 6127.64465950, 6380.34453270])
VALLADO_V_TEME = np.array([-4.746131487, 0.785818041, 5.531931288])
VALLADO_R_ITRF = np.array([-1033.4793830, 7901.2952754, 6380.3565958])
VALLADO_V_ITRF = np.array([-3.225636520, -2.872451450, 5.531924446])
VALLADO_R_GCRF = np.array([5102.508958, 6123.011401, 6378.136928])
VALLADO_EOP = {"dut1": -0.4399619, "xp": -0.140682, "yp": 0.333309, "lod": 0.0015563}


def gmst1982(jd_ut1: Array, fraction_ut1: Array) -> Array:
    """GMST 1982 in radians (AIAA 2006-6753 eq. C-5, Vallado's ``gstime``), with the UT1
    Julian date as two floats.  The term 876600 h T, whole days since J2000 in seconds, is
    taken modulo a day first, so that the two floats' precision survives."""
    tut1 = ((jd_ut1 - 2451545.0) + fraction_ut1) / 36525.0
    day = np.mod(np.mod(jd_ut1 - 2451545.0, 1.0) + fraction_ut1, 1.0)
    seconds = (
        86400.0 * day + 67310.54841 + (8640184.812866 + (0.093104 - 6.2e-6 * tut1) * tut1) * tut1
    )
    return np.mod(seconds * (2.0 * np.pi / 86400.0), 2.0 * np.pi)


def vallado_teme2ecef(
    r: Array, v: Array, gmst: Array, xp: Array, yp: Array, lod: float = 0.0
) -> tuple[Array, Array]:
    """Vallado's ``teme2ecef`` (AIAA 2006-6753 appendix C companion code): turn by GMST 1982,
    spin ``omega x r`` in the pseudo Earth-fixed frame, then polar motion (``polarm``
    '80'); angles in radians, states ``(n, 3)``."""
    c, s = np.cos(gmst), np.sin(gmst)
    zero, one = np.zeros_like(c), np.ones_like(c)
    st = np.stack([np.stack([c, -s, zero], -1), np.stack([s, c, zero], -1),
                   np.stack([zero, zero, one], -1)], -2)  # fmt: skip
    cx, sx, cy, sy = np.cos(xp), np.sin(xp), np.cos(yp), np.sin(yp)
    pm = np.stack([np.stack([cx, zero, -sx], -1), np.stack([sx * sy, cy, cx * sy], -1),
                   np.stack([sx * cy, -sy, cx * cy], -1)], -2)  # fmt: skip
    omega = np.array([0.0, 0.0, 7.29211514670698e-05 * (1.0 - lod / 86400.0)])
    r_pef = np.einsum("nji,nj->ni", st, r)
    v_pef = np.einsum("nji,nj->ni", st, v) - np.cross(omega, r_pef)
    return np.einsum("nji,nj->ni", pm, r_pef), np.einsum("nji,nj->ni", pm, v_pef)


@pytest.fixture(scope="module")
def iss(shared_data: Path) -> Satrec:
    path = shared_data / "tle_history/spacetrack_object_histories"
    record = json.loads((path / "25544_ISS_gp_history_2025-09_to_2025-12.json").read_text())[0]
    return Satrec.twoline2rv(record["TLE_LINE1"], record["TLE_LINE2"])


@pytest.fixture(scope="module")
def goes9(shared_data: Path) -> Satrec:
    lines = (shared_data / "ccsds/beyond_pkg/bluebook.tle").read_text().splitlines()
    return Satrec.twoline2rv(lines[1], lines[2])


@pytest.fixture(scope="module")
def xm3(shared_data: Path) -> Satrec:
    """XM-3 (28626), a geostationary satellite of Vallado's verification set."""
    lines = (shared_data / "sgp4_verification/SGP4-VER.TLE").read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("1 28626"))
    return Satrec.twoline2rv(lines[i], lines[i + 1])


def day_of_times(sat: Satrec, n: int = 97) -> tuple[Array, Array]:
    return jd_plus_minutes(sat.jdsatepoch, sat.jdsatepochF, np.linspace(0.0, 1440.0, n))


def test_vallado_2006_example_itrf() -> None:
    # Our UT1-UTC is interpolated to 07:51 (-0.440427 s); the paper used the day's value
    # (-0.4399619 s).  That 0.47 ms turns the Earth by 3.4e-8 rad: 0.27 m here.
    jd, fr = jd_from_iso(VALLADO_UTC)
    r, v = teme_to_itrf(VALLADO_R_TEME, VALLADO_V_TEME, jd, fr)
    assert np.linalg.norm(r - VALLADO_R_ITRF) < half_a_metre
    assert np.linalg.norm(v - VALLADO_V_ITRF) < half_a_millimetre_per_s


def test_vallado_2006_example_gcrf() -> None:
    # The paper's GCRF uses IAU-76/FK5 with the EOP nutation corrections; skyfield uses
    # IAU 2006/2000A.  They agree to 4 mm here.
    jd, fr = jd_from_iso(VALLADO_UTC)
    r, v = teme_to_gcrf(VALLADO_R_TEME, VALLADO_V_TEME, jd, fr)
    assert np.linalg.norm(r - VALLADO_R_GCRF) < one_centimetre
    assert np.linalg.norm(v) == pytest.approx(np.linalg.norm(VALLADO_V_TEME), abs=1e-12)


def test_reference_teme2ecef_reproduces_the_paper() -> None:
    # Vallado's code holds the UT1 Julian date in one double (40 microseconds apart), as
    # here; with two floats the result moves by 8.5 mm.
    jd, fr = jd_from_iso(VALLADO_UTC)
    jd_ut1 = np.array([float(jd) + float(fr) + VALLADO_EOP["dut1"] / 86400.0])
    r, v = vallado_teme2ecef(
        VALLADO_R_TEME[None],
        VALLADO_V_TEME[None],
        gmst1982(jd_ut1, np.zeros(1)),
        np.array([VALLADO_EOP["xp"] * ARCSECOND]),
        np.array([VALLADO_EOP["yp"] * ARCSECOND]),
        VALLADO_EOP["lod"],
    )
    assert np.linalg.norm(r[0] - VALLADO_R_ITRF) < one_millimetre / 10
    assert np.linalg.norm(v[0] - VALLADO_V_ITRF) < one_millimetre_per_s / 100


@pytest.mark.parametrize("name", ["iss", "goes9", "xm3"])
def test_itrf_matches_vallado_teme2ecef(name: str, request: pytest.FixtureRequest) -> None:
    sat = request.getfixturevalue(name)
    jd, fr = day_of_times(sat)
    states = propagate(sat, jd, fr)
    ours_r, ours_v = teme_to_itrf(states.r_teme_km, states.v_teme_km_s, jd, fr)
    t = skyfield_time(jd, fr)  # the same UT1 and polar motion
    sprime, xp, yp = t.polar_motion_angles()
    ref_r, ref_v = vallado_teme2ecef(
        states.r_teme_km, states.v_teme_km_s,
        gmst1982(t.whole, t.ut1_fraction), xp * ARCSECOND, yp * ARCSECOND,
    )  # fmt: skip
    # The residual is three small turns about the pole and one of rate: skyfield adds the
    # TIO locator s' (-47 microarcseconds per century); it turns by y_p after x_p where
    # Vallado's polarm is linear in each, a difference of x_p * y_p (second order); and it
    # spins at ANGVEL = 7.292115e-5 rad/s rather than 7.29211514670698e-5.
    radius = np.linalg.norm(states.r_teme_km, axis=-1)
    speed = np.linalg.norm(states.v_teme_km_s, axis=-1)
    turn = (np.abs(sprime) + np.abs(xp * yp) * ARCSECOND) * ARCSECOND
    d_omega = 7.29211514670698e-05 - ANGVEL
    dr = np.linalg.norm(ours_r - ref_r, axis=-1)
    dv = np.linalg.norm(ours_v - ref_v, axis=-1)
    assert (dr < turn * radius + one_micrometre).all()
    assert (dv < d_omega * radius + turn * speed + one_micrometre).all()
    assert dr.max() < one_millimetre


@pytest.mark.parametrize("name", ["iss", "goes9"])
def test_matches_skyfield_earth_satellite(name: str, request: pytest.FixtureRequest) -> None:
    sat = request.getfixturevalue(name)
    jd, fr = day_of_times(sat)
    states = propagate(sat, jd, fr)
    t = skyfield_time(jd, fr)
    position = EarthSatellite.from_satrec(sat, timescale()).at(t)
    r, v = teme_to_gcrf(states.r_teme_km, states.v_teme_km_s, jd, fr)
    assert np.abs(r - position.position.km.T).max() < one_millimetre
    assert np.abs(v - position.velocity.km_per_s.T).max() < one_millimetre_per_s
    r, v = teme_to_itrf(states.r_teme_km, states.v_teme_km_s, jd, fr)
    r_sky, v_sky = position.frame_xyz_and_velocity(itrs)
    assert np.abs(r - r_sky.km.T).max() < one_millimetre
    # skyfield's itrs spins about the ITRF pole, we about the intermediate pole: they
    # differ by omega |r| times the polar-motion angle (1e-6 km/s LEO, 5e-6 km/s GEO).
    _, xp, yp = t.polar_motion_angles()
    tilt = np.hypot(xp, yp) * ARCSECOND
    bound = ANGVEL * np.linalg.norm(r, axis=-1) * tilt + one_micrometre
    assert (np.linalg.norm(v - v_sky.km_per_s.T, axis=-1) < bound).all()


def test_earth_fixed_velocity_is_the_derivative_of_earth_fixed_position() -> None:
    # Fixed TEME points (v_teme = 0) at GEO radius: d/dt r_itrf by central differences.
    # (SGP4's own velocity is not its position's derivative, to ~4e-5 km/s.)  What is left
    # is GMST 1982's rate against ANGVEL, 8.6e-12 rad/s: 3.6e-7 km/s at this radius.
    jd, fr = jd_from_iso(["2025-09-27T00:00:00", "2025-09-27T06:00:00", "2026-03-01T12:00"])
    r = np.array([[[0.0, 0.0, 42164.0]] * 3, [[42164.0, 0.0, 0.0]] * 3])
    zero = np.zeros_like(r)
    _, v = teme_to_itrf(r, zero, jd, fr)
    step = 1.0  # s
    ahead = teme_to_itrf(r, zero, *jd_plus_minutes(jd, fr, step / 60.0))[0]
    behind = teme_to_itrf(r, zero, *jd_plus_minutes(jd, fr, -step / 60.0))[0]
    derivative = (ahead - behind) / (2.0 * step)
    assert np.abs(v - derivative).max() < half_a_millimetre_per_s
    assert np.linalg.norm(v[0], axis=-1).max() < one_micrometre  # on the pole: no spin
    assert np.linalg.norm(v[1], axis=-1) == pytest.approx(ANGVEL * 42164.0, rel=1e-5)


def test_rotation_preserves_length(iss: Satrec, goes9: Satrec) -> None:
    sats = [iss, goes9]
    jd, fr = day_of_times(iss)
    states = propagate(sats, jd, fr)
    norm = np.linalg.norm(states.r_teme_km, axis=-1)
    for r, _ in (
        teme_to_gcrf(states.r_teme_km, states.v_teme_km_s, jd, fr),
        teme_to_itrf(states.r_teme_km, states.v_teme_km_s, jd, fr),
    ):
        assert r.shape == (2, 97, 3)
        assert np.abs(np.linalg.norm(r, axis=-1) - norm).max() < one_micrometre


def test_matrices_are_rotations() -> None:
    jd, fr = jd_from_iso(["1980-01-01", "2004-04-06T07:51:28", "2026-06-01"])
    for matrices in (teme_to_gcrf_matrices(jd, fr), teme_to_itrf_matrices(jd, fr)):
        assert matrices.shape == (3, 3, 3)
        identity = np.matmul(matrices, np.swapaxes(matrices, -1, -2))
        # skyfield's precession-nutation products round to some 1e-14.
        assert np.abs(identity - np.eye(3)).max() < 5e-14
        np.testing.assert_allclose(np.linalg.det(matrices), 1.0, atol=5e-14)


def test_geostationary_longitude_stays_put(xm3: Satrec) -> None:
    # XM-3: inclination 0.0019 deg, e = 3.4e-5, mean motion 1.00270176 rev/day, so its
    # longitude drifts 0.013 deg/day and wobbles by 2e = 0.004 deg.  Without the Earth's
    # rotation it would sweep 360 deg a day; without -omega x r it would move 3.07 km/s.
    jd, fr = day_of_times(xm3)
    states = propagate(xm3, jd, fr)
    r, v = teme_to_itrf(states.r_teme_km, states.v_teme_km_s, jd, fr)
    longitude = np.degrees(np.unwrap(np.arctan2(r[:, 1], r[:, 0])))
    assert np.ptp(longitude) < 0.05
    assert np.linalg.norm(v, axis=-1).max() < 1e-3  # km/s: a metre per second
    assert np.linalg.norm(states.v_teme_km_s, axis=-1).min() > 3.0


def test_shapes_scalar_and_nan_rows(iss: Satrec) -> None:
    jd, fr = day_of_times(iss, 5)
    states = propagate([iss, iss], jd, fr)
    r = states.r_teme_km.copy()
    r[1, 2] = np.nan
    out_r, out_v = teme_to_itrf(r, states.v_teme_km_s, jd, fr)
    assert out_r.shape == out_v.shape == (2, 5, 3)
    assert np.isnan(out_r[1, 2]).all() and np.isnan(out_v[1, 2]).all()
    assert np.isfinite(np.delete(out_r.reshape(-1, 3), 7, axis=0)).all()
    one_r, one_v = teme_to_itrf(states.r_teme_km[0, 3], states.v_teme_km_s[0, 3], jd[3], fr[3])
    assert one_r.shape == one_v.shape == (3,)
    np.testing.assert_allclose(one_r, out_r[0, 3], rtol=0, atol=one_micrometre)
    g_r, g_v = teme_to_gcrf(states.r_teme_km[0, 3], states.v_teme_km_s[0, 3], jd[3], fr[3])
    assert g_r.shape == g_v.shape == (3,)
    assert teme_to_gcrf_matrices(jd[0], fr[0]).shape == (3, 3)


def test_without_polar_motion_itrf_is_gmst_alone(
    iss: Satrec, monkeypatch: pytest.MonkeyPatch
) -> None:
    jd, fr = day_of_times(iss, 9)
    states = propagate(iss, jd, fr)
    with_pm, _ = teme_to_itrf(states.r_teme_km, states.v_teme_km_s, jd, fr)
    monkeypatch.setattr(time_module, "timescale", lambda: load.timescale(builtin=True))
    r, v = teme_to_itrf(states.r_teme_km, states.v_teme_km_s, jd, fr)
    t = skyfield_time(jd, fr)
    assert t.ts.polar_motion_table is None
    zero = np.zeros(len(jd))
    ref_r, ref_v = vallado_teme2ecef(
        states.r_teme_km, states.v_teme_km_s, gmst1982(t.whole, t.ut1_fraction), zero, zero
    )
    assert np.abs(r - ref_r).max() < one_micrometre
    spin_difference = (7.29211514670698e-05 - ANGVEL) * np.linalg.norm(r, axis=-1)
    assert (np.linalg.norm(v - ref_v, axis=-1) < spin_difference + 1e-12).all()
    # Polar motion (0.2-0.4 arcsecond in 2025) moves the ISS by some 10 m.
    assert 1e-3 < np.linalg.norm(with_pm - r, axis=-1).max() < 2e-2


def test_states_come_back_to_teme_from_each_frame() -> None:
    """frame_to_teme inverts teme_to_gcrf and teme_to_itrf to rounding, and EME2000 differs
    from the GCRF by the frame bias (about 23 mas: half a metre at 7,000 km)."""
    from accord.core.frames import frame_to_teme

    r = np.array([[7000.0, 100.0, 200.0], [6800.0, -3000.0, 1000.0]])
    v = np.array([[0.1, 7.5, 0.2], [1.0, 2.0, 7.0]])
    jd, fr = np.array([2460226.5, 2460226.5]), np.array([0.1, 0.3])
    for frame, forward in (("GCRF", teme_to_gcrf), ("ITRF2014", teme_to_itrf)):
        there = forward(r, v, jd, fr)
        back_r, back_v = frame_to_teme(frame, there[0], there[1], jd, fr)
        assert np.abs(back_r - r).max() < 1e-9 and np.abs(back_v - v).max() < 1e-12
    bias = frame_to_teme("EME2000", r, v, jd, fr)[0] - frame_to_teme("ICRF", r, v, jd, fr)[0]
    assert 3e-4 < np.linalg.norm(bias, axis=1).max() < 1e-3
    with pytest.raises(ValueError, match="MOON_ME"):
        frame_to_teme("MOON_ME", r, v, jd, fr)
