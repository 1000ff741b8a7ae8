"""Probability of collision: Foster, Chan, Alfriend, maximum Pc and Monte Carlo.

Authorities: NASA CARA's published unit-test cases (nasa/CARA_Analysis_Tools,
``DistributedMatlab/ProbabilityOfCollision/UnitTests``, commit 753a672 and 20116e3:
``PcCircle_UnitTest.m``, ``PcElrod_UnitTest.m``, ``Pc2D_Foster_UnitTest.m``), closed forms
(isotropic covariance, small hard body), scipy's ``dblquad`` over the disc, the noncentral
chi-square CDF, and Monte Carlo sampling with binomial intervals.

The encounter geometries are built in 3D from their intended encounter-plane parameters
(miss distance, principal sigmas, orientation), with correlations to the along-track axis,
split between the two objects and turned by a random rotation, so the 2D reductions are
checked against quantities the code never sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.integrate import dblquad, nquad
from scipy.optimize import minimize_scalar
from scipy.spatial.transform import Rotation
from scipy.special import ndtr
from scipy.stats import ncx2

from accord.core.encounter import (
    STATUS_MESSAGES,
    PcStatus,
    cov_rtn_to_inertial,
    encounter_plane,
    rtn_to_inertial,
    status_messages,
)
from accord.core.pc import (
    PcMethod,
    alfriend_circle,
    chan_circle,
    probability_of_collision,
)
from accord.core.pc_foster import foster_circle, foster_square, square_principal
from accord.core.pc_max import (
    PcMaxMethod,
    alfano_scaling_max,
    any_covariance_max,
    isotropic_max,
    one_covariance_max,
    pc_max,
)
from accord.core.pc_monte_carlo import binomial_interval, monte_carlo_2d, monte_carlo_3d
from accord.errors import InvalidRequestError

Array = NDArray[np.float64]

# Tolerances, relative unless named otherwise.
QUADRATURE = 1e-9  # Foster against an independent integration (measured: below 1e-10)
CLOSED_FORM = 1e-12  # Foster where a closed form exists
ROUNDING = 1e-14  # the same computation reached by two paths
FAMILY_CONFIDENCE = 0.95  # Monte Carlo: all cases inside their intervals together ...
one_millimetre = 1e-6  # km
one_micrometre = 1e-9  # km


@dataclass(frozen=True)
class Geometry:
    """An encounter given on its plane: principal sigmas, the major axis at ``angle_deg``
    from the miss vector, and the hard-body radius (km, km/s)."""

    name: str
    miss_km: float
    sigma_major_km: float
    sigma_minor_km: float
    angle_deg: float
    hbr_km: float
    speed_km_s: float = 14.0
    radial_velocity: bool = False

    def principal_miss(self) -> Array:
        """The miss vector on the (major, minor) axes."""
        a = np.radians(self.angle_deg)
        return np.array([self.miss_km * np.cos(a), -self.miss_km * np.sin(a)])

    def mahalanobis(self) -> Array:
        return self.principal_miss() / np.array([self.sigma_major_km, self.sigma_minor_km])


GEOMETRIES = [
    Geometry("zero miss, isotropic", 0.0, 0.1, 0.1, 0.0, 0.02),
    Geometry("1 sigma, isotropic", 0.1, 0.1, 0.1, 0.0, 0.02),
    Geometry("3 sigma, aspect 3, 30 deg", 0.4, 0.2, 0.0667, 30.0, 0.02),
    Geometry("aspect 10, miss on major axis", 0.5, 1.0, 0.1, 0.0, 0.01),
    Geometry("aspect 10, miss on minor axis", 0.15, 1.0, 0.1, 90.0, 0.01),
    Geometry("aspect 100, 45 deg", 0.05, 2.0, 0.02, 45.0, 0.005),
    Geometry("aspect 1000, HBR 2 minor sigmas", 0.2, 5.0, 0.005, 10.0, 0.01),
    Geometry("aspect 1e4, HBR 67 minor sigmas", 0.3, 3.0, 3e-4, 2.0, 0.02),
    Geometry("HBR 1 m, sigmas 1 km", 0.5, 1.0, 0.8, 60.0, 0.001),
    Geometry("HBR 10 minor sigmas", 0.05, 1.0, 0.01, 20.0, 0.1),
    Geometry("HBR 20 sigmas, origin just outside", 1.05, 0.05, 0.03, 35.0, 1.0),
    Geometry("HBR 20 sigmas, origin 6 sigmas outside", 1.3, 0.05, 0.03, 35.0, 1.0),
    Geometry("relative speed 1 m/s", 0.2, 0.3, 0.1, 70.0, 0.02, speed_km_s=0.001),
    Geometry("near-singular, minor sigma 1 mm", 0.2, 1.0, 1e-6, 2.0, 0.02),
    Geometry("9 sigma miss, Pc about 1e-20", 0.9, 0.1, 0.1, 0.0, 0.01),
    Geometry("8 sigma on minor axis, aspect 50", 0.08, 0.5, 0.01, 90.0, 0.005),
    Geometry("HBR = sigma, 2 sigma miss", 0.2, 0.1, 0.1, 0.0, 0.1),
    Geometry("GEO-like, sigmas of km", 5.0, 20.0, 8.0, 15.0, 0.03),
    Geometry("aspect 7, miss on minor axis", 0.2, 0.7, 0.1, 90.0, 0.02),
    Geometry("head-on, 15 km/s", 0.1, 0.2, 0.05, 120.0, 0.015, speed_km_s=15.0),
    Geometry("radial relative velocity, zero miss", 0.0, 0.3, 0.1, 25.0, 0.02, 5.0, True),
    Geometry("zero miss, aspect 100", 0.0, 1.0, 0.01, 0.0, 0.005),
    Geometry("zero miss, HBR 10 sigmas", 0.0, 0.01, 0.01, 0.0, 0.1),
    Geometry("miss inside HBR, aspect 100", 0.03, 0.5, 0.005, 60.0, 0.05),
]
NAMES = [g.name for g in GEOMETRIES]


def states(g: Geometry, index: int) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Return ``r1, v1, cov1, r2, v2, cov2`` at TCA for geometry ``g`` (km, km/s, km**2)."""
    e1, e2, _ = np.eye(3)
    if g.radial_velocity:
        y = e1
        ex = e2
    else:
        beta = np.radians(20.0 + 7.0 * index)
        y = np.array([0.0, np.cos(beta), np.sin(beta)])
        ex = e1
    ez = np.cross(ex, y)
    phi = np.radians(40.0 * index)
    miss_direction = np.cos(phi) * ex + np.sin(phi) * ez
    a = phi + np.radians(g.angle_deg)
    major = np.cos(a) * ex + np.sin(a) * ez
    minor = -np.sin(a) * ex + np.cos(a) * ez
    sigma_along, rho = 2.0, 0.3  # km; correlation of each plane axis with the along axis
    cov = (
        g.sigma_major_km**2 * np.outer(major, major)
        + g.sigma_minor_km**2 * np.outer(minor, minor)
        + sigma_along**2 * np.outer(y, y)
    )
    for sigma, axis in ((g.sigma_major_km, major), (g.sigma_minor_km, minor)):
        cov += rho * sigma * sigma_along * (np.outer(axis, y) + np.outer(y, axis))
    r1, v1 = 7000.0 * e1, 7.5 * e2
    q = Rotation.random(random_state=1000 + index).as_matrix()
    return (
        q @ r1,
        q @ v1,
        q @ (0.35 * cov) @ q.T,
        q @ (r1 + g.miss_km * miss_direction),
        q @ (v1 + g.speed_km_s * y),
        q @ (0.65 * cov) @ q.T,
    )


def batch() -> tuple[Array, ...]:
    """All geometries stacked: ``r1 (n, 3), v1, cov1 (n, 3, 3), r2, v2, cov2, hbr (n,)``."""
    columns = list(zip(*(states(g, i) for i, g in enumerate(GEOMETRIES)), strict=True))
    stacked = [np.array(c) for c in columns]
    return (*stacked, np.array([g.hbr_km for g in GEOMETRIES]))


def dblquad_pc(g: Geometry) -> float:
    """Foster's integral by scipy's adaptive 2D quadrature (QUADPACK through ``nquad``) over
    the disc, in sigma units, told where the Gaussian's centre is (breakpoints at 0)."""
    xm, ym = np.abs(g.principal_miss()) / g.sigma_major_km
    ratio = g.sigma_major_km / g.sigma_minor_km
    radius = g.hbr_km / g.sigma_major_km

    def density(y: float, x: float) -> float:
        return float(np.exp(-0.5 * (x * x + (y * ratio) ** 2)) * ratio / (2.0 * np.pi))

    def y_range(x: float) -> list[float]:
        half = float(np.sqrt(max(radius * radius - (x - xm) ** 2, 0.0)))
        return [ym - half, ym + half]

    def y_options(x: float) -> dict[str, object]:
        return {"points": [0.0], "epsabs": 0.0, "epsrel": 1e-11, "limit": 200}

    # and where the chord's end crosses the Gaussian's centre line y = 0 (a sharp step)
    steps = [xm + s * np.sqrt(radius**2 - ym**2) for s in (-1, 1)] if ym < radius else []
    value, _ = nquad(
        density,
        [y_range, [xm - radius, xm + radius]],
        opts=[y_options, {"points": [0.0, *steps], "epsabs": 0.0, "epsrel": 1e-11, "limit": 200}],
    )
    return float(value)


@pytest.fixture(scope="module")
def foster_batch() -> Array:
    return probability_of_collision(*batch()).pc


# --- Foster against independent integration ------------------------------------------


NEAR_SINGULAR = NAMES.index("near-singular, minor sigma 1 mm")
QUADPACK_CASES = [i for i in range(len(GEOMETRIES)) if i != NEAR_SINGULAR]


@pytest.mark.parametrize("index", QUADPACK_CASES, ids=[NAMES[i] for i in QUADPACK_CASES])
def test_foster_matches_dblquad(foster_batch: Array, index: int) -> None:
    g = GEOMETRIES[index]
    expected = dblquad_pc(g)
    assert foster_batch[index] == pytest.approx(expected, rel=QUADRATURE, abs=1e-300)
    assert foster_batch[index] > 0.0


def test_geometries_span_the_ranges_asked_for(foster_batch: Array) -> None:
    aspect = [g.sigma_major_km / g.sigma_minor_km for g in GEOMETRIES]
    hbr_over_minor = [g.hbr_km / g.sigma_minor_km for g in GEOMETRIES]
    assert len(GEOMETRIES) >= 20
    assert min(aspect) == 1.0 and max(aspect) >= 1e4
    assert min(g.hbr_km for g in GEOMETRIES) <= 0.001 and max(hbr_over_minor) > 1e4
    assert foster_batch.min() < 1e-19 and foster_batch.max() == pytest.approx(1.0)


def test_near_singular_covariance_tends_to_the_1d_limit(foster_batch: Array) -> None:
    # Minor sigma 1 mm against HBR 20 m: the Gaussian is a line; Pc is the probability of
    # the chord of the disc it crosses, Phi((xm + c)/sx) - Phi((xm - c)/sx) with
    # c = sqrt(R**2 - ym**2), up to terms of order (1 mm / 20 m)**2.  (QUADPACK, even
    # told where the line is, misses it.)
    g = GEOMETRIES[NEAR_SINGULAR]
    xm, ym = np.abs(g.principal_miss())
    c = np.sqrt(g.hbr_km**2 - ym**2)
    limit = ndtr((xm + c) / g.sigma_major_km) - ndtr((xm - c) / g.sigma_major_km)
    assert foster_batch[NEAR_SINGULAR] == pytest.approx(limit, rel=1e-8)


def test_tiny_pc_is_positive_and_accurate() -> None:
    # 40 sigma: Pc about 1e-350 underflows to 0, never negative; 30 sigma keeps 1e-199.
    miss = np.array([[40.0, 0.0], [30.0, 0.0], [0.0, 12.0]])
    ones = np.ones(3)
    pc = foster_circle(miss, ones, np.array([1.0, 1.0, 0.5]), np.full(3, 0.01))
    exact_30 = float(ncx2.cdf(1e-4, 2, 900.0))
    assert pc[0] == 0.0
    assert pc[1] == pytest.approx(exact_30, rel=QUADRATURE)
    assert pc[2] > 0.0 and np.isfinite(pc[2])


# --- closed forms ---------------------------------------------------------------------


def test_zero_miss_isotropic_is_one_minus_exp() -> None:
    sigma = 0.1
    hbr = sigma * np.logspace(-4, 1.5, 12)
    pc = foster_circle(np.zeros((12, 2)), np.full(12, sigma), np.full(12, sigma), hbr)
    exact = -np.expm1(-(hbr**2) / (2.0 * sigma**2))
    np.testing.assert_allclose(pc, exact, rtol=CLOSED_FORM)


def test_zero_miss_isotropic_through_the_3d_path() -> None:
    g = Geometry("", 0.0, 0.1, 0.1, 0.0, 0.05)
    pc = probability_of_collision(*states(g, 3), g.hbr_km).pc
    assert pc == pytest.approx(-np.expm1(-(0.5**2) / 2.0), rel=CLOSED_FORM)


def test_isotropic_pc_is_the_noncentral_chi_square_cdf() -> None:
    # With sigma_x = sigma_y the disc stays a disc when whitened: Pc = P(chi'2_2(d2) <= R2).
    miss = np.array([0.0, 0.3, 1.0, 2.5, 6.0])
    hbr = np.array([0.05, 0.5, 1.0, 3.0, 0.2])
    ones = np.ones(5)
    exact = ncx2.cdf(hbr**2, 2, miss**2)
    circle = foster_circle(np.stack([miss, 0 * miss], 1), ones, ones, hbr)
    chan, status = chan_circle(np.stack([miss, 0 * miss], 1), ones, ones, hbr)
    np.testing.assert_allclose(circle, exact, rtol=QUADRATURE)
    np.testing.assert_allclose(chan, exact, rtol=1e-12)
    assert not status.any()


def test_square_over_circle_tends_to_four_over_pi() -> None:
    g = Geometry("", 0.3, 1.0, 0.4, 25.0, 1e-4)
    r1, v1, c1, r2, v2, c2 = states(g, 5)
    circle = probability_of_collision(r1, v1, c1, r2, v2, c2, g.hbr_km).pc
    for axes in ("miss", "principal", "radial"):
        square = probability_of_collision(
            r1, v1, c1, r2, v2, c2, g.hbr_km, shape="square", square_axes=axes
        ).pc
        # The next term is of order (HBR / sigma)**2 = 6e-8.
        assert square / circle == pytest.approx(4.0 / np.pi, rel=1e-6)
    equal_area = probability_of_collision(
        r1, v1, c1, r2, v2, c2, g.hbr_km, shape="square-equal-area"
    ).pc
    assert equal_area / circle == pytest.approx(1.0, rel=1e-6)


def test_square_alignments_against_dblquad() -> None:
    # A square whose sides make 35 degrees with the principal axes, HBR comparable to sigma.
    miss = np.array([[0.3, -0.2]])
    angle = np.radians(35.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    cov = rotation @ np.diag([0.5**2, 0.05**2]) @ rotation.T
    half = 0.15
    pc = foster_square(miss, cov[None], np.array([half]))[0]
    inverse = np.linalg.inv(cov)

    def density(y: float, x: float) -> float:
        p = np.array([x, y])
        return float(np.exp(-0.5 * p @ inverse @ p) / (2 * np.pi * np.sqrt(np.linalg.det(cov))))

    expected, _ = dblquad(density, 0.3 - half, 0.3 + half, -0.2 - half, -0.2 + half, epsabs=0)
    assert pc == pytest.approx(expected, rel=QUADRATURE)
    # Aligned with the principal axes, the closed form and the quadrature agree.
    principal = square_principal(np.array([[0.4, 0.1]]), np.array([0.5]), np.array([0.05]), [half])
    numeric = foster_square(np.array([[0.4, 0.1]]), np.diag([0.25, 0.0025])[None], [half])
    assert principal[0] == pytest.approx(numeric[0], rel=QUADRATURE)


def test_alfriend_is_the_small_hbr_limit() -> None:
    g = GEOMETRIES[8]  # HBR 1 m, sigmas of 1 km
    m, sx, sy, hbr = g.principal_miss()[None], [g.sigma_major_km], [g.sigma_minor_km], [g.hbr_km]
    alfriend = alfriend_circle(m, np.array(sx), np.array(sy), np.array(hbr))
    foster = foster_circle(m, np.array(sx), np.array(sy), np.array(hbr))
    assert alfriend[0] == pytest.approx(foster[0], rel=1e-5)  # error ~ (HBR / sigma)**2


# --- Chan -----------------------------------------------------------------------------


def chan_leading_error(g: Geometry) -> float:
    """The leading term of Foster / Chan - 1: the second moments of the whitened ellipse
    and of the equal-area circle against the Gaussian's Hessian (docs/pc.md)."""
    a, b = g.hbr_km / g.sigma_major_km, g.hbr_km / g.sigma_minor_km
    mx, my = g.mahalanobis()
    return (b - a) * (b * (my * my - 1.0) - a * (mx * mx - 1.0)) / 8.0


CHAN_VALID = [
    i
    for i, g in enumerate(GEOMETRIES)
    if g.hbr_km <= 0.3 * g.sigma_minor_km and np.hypot(*g.mahalanobis()) <= 4.0
]


@pytest.mark.parametrize("index", CHAN_VALID, ids=[NAMES[i] for i in CHAN_VALID])
def test_chan_agrees_with_foster_where_its_assumption_holds(
    foster_batch: Array, index: int
) -> None:
    # Where HBR <= 0.3 minor sigma and the miss is within 4 sigma, Chan's error stays
    # within 1.25 times its leading term (up to 6 % here), and below 1e-12 when isotropic.
    g = GEOMETRIES[index]
    chan = probability_of_collision(*states(g, index), g.hbr_km, PcMethod.CHAN)
    bound = 1.25 * abs(chan_leading_error(g)) + 1e-12
    assert chan.status == PcStatus.OK
    assert abs(chan.pc / foster_batch[index] - 1.0) <= bound


def test_chan_series_long_and_unconverged() -> None:
    m = np.array([[0.0, 60.0], [0.0, 300.0]])
    pc, status = chan_circle(m, np.ones(2), np.ones(2), np.array([1.0, 250.0]))
    # 60 sigma with HBR 1 sigma: about 1e-780, underflows cleanly; 300 sigma with HBR of
    # 250 sigma needs more than 20,000 terms.
    assert pc[0] == 0.0 and status[0] == PcStatus.OK
    assert np.isnan(pc[1]) and status[1] == PcStatus.SERIES_NOT_CONVERGED


# --- published cases (NASA CARA unit tests) ------------------------------------------

OMITRON_1 = (
    np.array([378.39559, 4305.721887, 5752.767554]),
    np.array([2.360800244, 5.580331936, -4.322349039]),
    np.array(
        [
            [44.5757544811362, 81.6751751052616, -67.8687662707124],
            [81.6751751052616, 158.453402956163, -128.616921644857],
            [-67.8687662707124, -128.616921644858, 105.490542562701],
        ]
    ),
    np.array([374.5180598, 4307.560983, 5751.130418]),
    np.array([-5.388125081, -3.946827739, 3.322820358]),
    np.array(
        [
            [2.31067077720423, 1.69905293875632, -1.4170164577661],
            [1.69905293875632, 1.24957388457206, -1.04174164279599],
            [-1.4170164577661, -1.04174164279599, 0.869260558223714],
        ]
    ),
)
OMITRON_2 = (
    np.array([-3239.128337196251, 2404.575152356222, 5703.228541709001]),
    np.array([-3.745768373154199, 5.012339015927846, -4.231864565717194]),
    1e-3
    * np.array(
        [
            [0.342072996423899, -0.412677096778269, 0.371500417511149],
            [-0.412677096778269, 0.609905946319294, -0.540401385544286],
            [0.371500417511149, -0.540401385544286, 0.521238634755377],
        ]
    ),
    np.array([-3239.138264917246, 2404.568320465936, 5703.235605231182]),
    np.array([6.110192790100711, -1.767321407894830, 4.140369261741708]),
    np.array(
        [
            [0.028351300975134, -0.008204103437377, 0.019253747960155],
            [-0.008204103437377, 0.002404377774847, -0.005586512197914],
            [0.019253747960155, -0.005586512197914, 0.013289250260317],
        ]
    ),
)


def test_cara_omitron_case_1() -> None:
    # PcCircle_UnitTest testOmitronCase1a/b (RelTol 1e-10 there).  CARA takes the miss as
    # |r2 - r1|; the states are 0.7 m off TCA, which changes Pc by 2e-8 when projected.
    circle = probability_of_collision(*OMITRON_1, 0.020, miss_from="range").pc
    assert circle == pytest.approx(2.706023476569787e-05, rel=1e-9)
    projected = probability_of_collision(*OMITRON_1, 0.020).pc
    assert projected == pytest.approx(2.706023476569787e-05, rel=1e-7)
    # Pc2D_Foster_UnitTest testSquareHBR / testEqAreaSquareHBR (quad2d, RelTol 1e-9; its
    # circle, 2.70601573e-05, is 2.9e-6 below PcCircle's, so we hold these to 1e-6).
    square = probability_of_collision(*OMITRON_1, 0.020, shape="square", miss_from="range")
    assert square.pc == pytest.approx(3.44534649703584e-05, rel=1e-6)
    equal = probability_of_collision(
        *OMITRON_1, 0.020, shape="square-equal-area", miss_from="range"
    )
    assert equal.pc == pytest.approx(2.70601573490111e-05, rel=1e-6)
    assert circle.dtype == np.float64 and circle.shape == ()


def test_cara_omitron_case_2() -> None:
    # PcCircle_UnitTest testOmitronCase2 (RelTol 1e-10).  Here the states are 0.52 m of
    # 14 m off TCA: the projected miss gives a Pc 1.6e-4 higher.
    pc = probability_of_collision(*OMITRON_2, 0.020, miss_from="range").pc
    assert pc == pytest.approx(1.807363058494765e-01, rel=1e-10)
    projected = probability_of_collision(*OMITRON_2, 0.020).pc
    assert projected / pc - 1.0 == pytest.approx(1.65e-4, rel=0.02)


def test_cara_hbr_from_zero_to_infinity() -> None:
    # PcCircle_UnitTest testMultipleElements, metres.  The small-HBR values agree to 1e-8;
    # for HBR >= 1 km (53 to 1600 minor sigmas) CARA's own values are off by up to 2.8e-4
    # (30-digit mpmath agrees with ours to 1e-12), so those are checked against CARA
    # within 5e-4 and against dblquad (1 km) and mpmath (30 km) within QUADRATURE.
    r1 = np.array([-6.227006552549310e06, -3.000839638747010e06, -1.932569099062626e05])
    v1 = np.array([2.983983865443772e03, -5.973188938878403e03, -3.622262843716804e03])
    c1 = np.array(
        [
            [2.329248149898317e04, -4.624097512511387e04, -2.810352472705708e04],
            [-4.624097512511387e04, 9.189373058443272e04, 5.583858286675660e04],
            [-2.810352472705708e04, 5.583858286675660e04, 3.396506000245927e04],
        ]
    )
    r2 = np.array([-6.231009268962734e06, -2.993196148130401e06, -1.761401651747054e05])
    v2 = np.array([-3.255968208692156e02, 9.946514541875586e02, -7.507340539210305e03])
    c2 = np.array(
        [
            [3.689149893147051e07, -1.200669748208798e08, 9.002535247181211e08],
            [-1.200669748208798e08, 3.907735722225543e08, -2.929990982074453e09],
            [9.002535247181211e08, -2.929990982074453e09, 2.196888928197153e10],
        ]
    )
    hbr_m = np.array([0.0, 1e1, 1e2, 1e3, 3e3, 1e4, 3e4, np.inf])
    cara = np.array(
        [
            0.0,
            2.514939701718358e-15,
            1.232312816404174e-05,
            6.343318773183237e-03,
            1.917884657463699e-02,
            6.389821634646267e-02,
            1.900663422510684e-01,
            1.0,
        ]
    )
    km = 1e-3
    result = probability_of_collision(
        r1 * km, v1 * km, c1 * km**2, r2 * km, v2 * km, c2 * km**2, hbr_m * km
    )
    assert not result.status.any()
    np.testing.assert_allclose(result.pc[:3], cara[:3], rtol=1e-7, atol=0)
    np.testing.assert_allclose(result.pc[3:], cara[3:], rtol=5e-4)
    plane = result.encounter
    g = Geometry(
        "HBR 1 km",
        float(np.hypot(*plane.miss_principal_km[3])),
        float(plane.sigma_major_km[3]),
        float(plane.sigma_minor_km[3]),
        float(-np.degrees(np.arctan2(*plane.miss_principal_km[3][::-1]))),
        1.0,
    )
    assert result.pc[3] == pytest.approx(dblquad_pc(g), rel=QUADRATURE)
    mpmath_pc = mpmath_circle(
        *plane.miss_principal_km[6], plane.sigma_major_km[6], plane.sigma_minor_km[6], 30.0
    )
    assert result.pc[6] == pytest.approx(mpmath_pc, rel=QUADRATURE)


def mpmath_circle(xm: float, ym: float, sx: float, sy: float, hbr: float) -> float:
    """Foster's integral with 30-digit mpmath: x = xm - R cos(t) on [0, pi], the y integral
    as error functions, tanh-sinh quadrature split at the chord steps (an implementation
    independent of Accord's but for the substitution)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    xm, ym, sx, sy, r = (mp.mpf(abs(float(a))) for a in (xm, ym, sx, sy, hbr))
    root2 = mp.sqrt(2)

    def integrand(t: object) -> object:
        x, h = xm - r * mp.cos(t), r * mp.sin(t)
        inner = (mp.erf((ym + h) / (root2 * sy)) - mp.erf((ym - h) / (root2 * sy))) / 2
        return r * mp.sin(t) * mp.exp(-x * x / (2 * sx * sx)) / (mp.sqrt(2 * mp.pi) * sx) * inner

    points = {float(t) for t in mp.linspace(0, mp.pi, 65)}
    if ym < r:
        step = float(mp.asin(ym / r))
        width = float(sy / (r * mp.cos(step)))
        for centre in (step, float(mp.pi) - step):
            points.update(centre + k * width for k in range(-40, 41, 2))
    return float(mp.quad(integrand, sorted(p for p in points if 0 <= p <= float(mp.pi))))


def test_cara_elrod_case_with_6x6_covariances() -> None:
    # PcElrod_UnitTest testSimilarTo3D: 1.0281653e-02 (printed to 8 digits), metres, 6x6.
    r1 = np.array([-9.841950433215101e05, 3.932342044549424e05, 6.991223682230414e06])
    v1 = np.array([4.883696742000000e03, 5.689086045000000e03, 3.665361590000000e02])
    r2 = np.array([-9.839696058965517e05, 3.936845951174244e05, 6.991219291625473e06])
    v2 = np.array([1.509562687000000e03, 7.372938617000000e03, -1.492509430000000e02])
    c1 = np.zeros((6, 6))
    c1[:3, :3] = [
        [4.976545641899520e04, 5.787130862568278e04, 3.370410320935015e03],
        [5.787130862568278e04, 6.730377643610841e04, 3.926542932121541e03],
        [3.370410320935015e03, 3.926542932121541e03, 2.461403197221289e02],
    ]
    c2 = np.zeros((6, 6))
    c2[:3, :3] = [
        [4.246862551076427e04, 2.066374367781032e05, -5.011108933888592e03],
        [2.066374367781032e05, 1.005854717283451e06, -2.434876491048039e04],
        [-5.011108933888592e03, -2.434876491048039e04, 6.131274993037449e02],
    ]
    km = 1e-3
    pc = probability_of_collision(r1 * km, v1 * km, c1 * km**2, r2 * km, v2 * km, c2 * km**2, 0.02)
    assert pc.pc == pytest.approx(1.0281653e-02, rel=5e-8)


# --- Monte Carlo ----------------------------------------------------------------------


def intended_pc(g: Geometry) -> float:
    """Foster's Pc from the intended plane parameters (to choose cases, not to judge)."""
    m, sx, sy = g.principal_miss()[None], [g.sigma_major_km], [g.sigma_minor_km]
    return float(foster_circle(m, np.array(sx), np.array(sy), np.array([g.hbr_km]))[0])


MC_CASES = [i for i, g in enumerate(GEOMETRIES) if 1e-4 <= intended_pc(g) <= 0.99]
# Bonferroni: every case inside its interval together with probability >= 95 %.
MC_CONFIDENCE = 1.0 - (1.0 - FAMILY_CONFIDENCE) / len(MC_CASES)


def test_foster_inside_the_2d_monte_carlo_intervals(foster_batch: Array) -> None:
    r1, v1, c1, r2, v2, c2, hbr = (a[MC_CASES] for a in batch())
    result = probability_of_collision(
        r1, v1, c1, r2, v2, c2, hbr, PcMethod.MONTE_CARLO,
        n_samples=2_000_000, rng=20261123, confidence=MC_CONFIDENCE,
    )  # fmt: skip
    expected = foster_batch[MC_CASES]
    assert result.pc_low is not None and result.pc_high is not None
    outside = (expected < result.pc_low) | (expected > result.pc_high)
    assert not outside.any(), [NAMES[MC_CASES[i]] for i in np.flatnonzero(outside)]
    # and the intervals are tight enough to mean something: within +-20 % at 1.6e-4
    assert np.all((result.pc_high - result.pc_low) / expected < 0.4)


def test_foster_inside_the_3d_monte_carlo_intervals(foster_batch: Array) -> None:
    # Both objects' positions sampled in 3D, minimum distance of the straight-line motion:
    # checks the covariance sum, the projection and the dropped along-track axis.
    chosen = [2, 12, 19, 20]
    r1, v1, c1, r2, v2, c2, hbr = (a[chosen] for a in batch())
    confidence = 1.0 - (1.0 - FAMILY_CONFIDENCE) / len(chosen)
    estimate = monte_carlo_3d(r1, v1, c1, r2, v2, c2, hbr, 400_000, 7, confidence=confidence)
    expected = foster_batch[chosen]
    assert np.all((estimate.pc_low <= expected) & (expected <= estimate.pc_high))


def test_square_inside_its_monte_carlo_interval() -> None:
    g = GEOMETRIES[16]  # HBR = sigma: square and circle differ by far more than the noise
    arrays = states(g, 16)
    for axes in ("miss", "principal", "radial"):
        exact = probability_of_collision(*arrays, g.hbr_km, shape="square", square_axes=axes)
        sampled = probability_of_collision(
            *arrays, g.hbr_km, PcMethod.MONTE_CARLO, "square", square_axes=axes,
            n_samples=1_000_000, rng=3, confidence=1 - 0.05 / 3,
        )  # fmt: skip
        assert sampled.pc_low <= exact.pc <= sampled.pc_high


def test_monte_carlo_repeats_with_its_seed() -> None:
    miss, cov = np.array([[0.1, 0.0]]), np.diag([0.01, 0.0025])[None]
    a = monte_carlo_2d(miss, cov, np.array([0.05]), 100_000, 42)
    b = monte_carlo_2d(miss, cov, np.array([0.05]), 100_000, np.random.default_rng(42))
    assert a.hits[0] == b.hits[0] > 0


def test_binomial_intervals() -> None:
    wilson = binomial_interval(np.array([0, 5, 500]), 1000, 0.95)
    exact = binomial_interval(np.array([0, 5, 500]), 1000, 0.95, "clopper-pearson")
    assert wilson[0][0] == pytest.approx(0.0, abs=1e-15) and exact[0][0] == 0.0
    # Clopper-Pearson upper bound with no hit: 1 - 0.025**(1/1000)
    assert exact[1][0] == pytest.approx(-np.expm1(np.log(0.025) / 1000), rel=1e-12)
    assert wilson[0][2] < 0.5 < wilson[1][2] and exact[0][2] < 0.5 < exact[1][2]
    assert exact[1][1] - exact[0][1] > wilson[1][1] - wilson[0][1]  # exact is wider


def test_3d_monte_carlo_window() -> None:
    # A window much shorter than the encounter's crossing time misses most collisions.
    g = GEOMETRIES[12]  # 1 m/s: the 20 m disc takes 40 s to cross
    arrays = states(g, 12)
    full = monte_carlo_3d(*arrays, g.hbr_km, 200_000, 1)
    short = monte_carlo_3d(*arrays, g.hbr_km, 200_000, 1, window_s=1.0)
    assert short.pc < 0.5 * full.pc


# --- maximum Pc -----------------------------------------------------------------------


def test_alfano_max_bounds_foster_over_the_scaling() -> None:
    picks = [2, 3, 5, 8, 9, 15, 17, 18]
    m = np.array([GEOMETRIES[i].principal_miss() for i in picks])
    sx = np.array([GEOMETRIES[i].sigma_major_km for i in picks])
    sy = np.array([GEOMETRIES[i].sigma_minor_km for i in picks])
    hbr = np.array([GEOMETRIES[i].hbr_km for i in picks])
    best, k = alfano_scaling_max(m, sx, sy, hbr)
    for scale in np.logspace(-2, 2, 41):
        assert np.all(foster_circle(m, sx * scale, sy * scale, hbr) <= best * (1 + 1e-9))
    inside = np.hypot(m[:, 0], m[:, 1]) <= hbr  # the covariance may shrink to nothing
    assert np.all(best[inside] == 1.0) and np.all(k[inside] == 0.0)
    out = ~inside
    at_k = foster_circle(m[out], sx[out] * k[out], sy[out] * k[out], hbr[out])
    np.testing.assert_allclose(at_k, best[out], rtol=ROUNDING)
    # and it is the maximum: a scalar optimiser finds nothing higher
    for i in np.flatnonzero(out):
        found = minimize_scalar(
            lambda u, i=i: -foster_circle(m[i : i + 1], sx[i : i + 1] * np.exp(u),
                                          sy[i : i + 1] * np.exp(u), hbr[i : i + 1])[0],
            bracket=(np.log(k[i]) - 1, np.log(k[i]) + 1),
        )  # fmt: skip
        assert -found.fun <= best[i] * (1 + 1e-8)


def test_alfano_max_small_hbr_closed_form() -> None:
    # HBR**2 / (e sx sy v) at k**2 = v / 2 (Alfano 2005; Alfriend et al. 1999 eq. 20).
    m = np.array([[0.5, 0.2], [3.0, 0.0]])
    sx, sy, hbr = np.array([0.4, 1.0]), np.array([0.1, 1.0]), np.full(2, 1e-4)
    v = (m[:, 0] / sx) ** 2 + (m[:, 1] / sy) ** 2
    best, k = alfano_scaling_max(m, sx, sy, hbr)
    np.testing.assert_allclose(best, hbr**2 / (np.e * sx * sy * v), rtol=1e-6)
    np.testing.assert_allclose(k, np.sqrt(v / 2.0), rtol=1e-4)


def test_isotropic_max_tends_to_hbr2_over_e_d2() -> None:
    # The bound for a miss distance without covariance, spherical case: HBR**2 / (e d**2)
    # at sigma = d / sqrt(2).
    d, hbr = np.array([1.0, 0.2]), np.array([1e-3, 1e-5])
    best, sigma = isotropic_max(d, hbr)
    np.testing.assert_allclose(best, hbr**2 / (np.e * d**2), rtol=1e-5)
    np.testing.assert_allclose(sigma, d / np.sqrt(2.0), rtol=1e-4)
    inside, _ = isotropic_max(np.array([0.5]), np.array([1.0]))
    assert inside[0] == 1.0


def test_any_covariance_max_bounds_every_covariance() -> None:
    d, hbr = np.array([1.0]), np.array([0.05])
    best, sigma = any_covariance_max(d, hbr)
    # the 1D optimum, found by brute force
    found = minimize_scalar(
        lambda s: -(ndtr(1.05 / s) - ndtr(0.95 / s)),
        bounds=(0.1, 10.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert best[0] == pytest.approx(-found.fun, rel=1e-9)
    assert sigma[0] == pytest.approx(found.x, rel=1e-4)
    assert best[0] == pytest.approx(0.05 * np.sqrt(2 / (np.pi * np.e)), rel=1e-2)
    rng = np.random.default_rng(5)
    for _ in range(200):
        a = rng.normal(size=(2, 2)) * np.exp(rng.uniform(-3, 1))
        pc = probability_from_plane(np.array([1.0, 0.0]), a @ a.T, 0.05)
        assert pc <= best[0]


def probability_from_plane(miss: Array, cov: Array, hbr: float) -> float:
    plane = np.array([miss])
    values, vectors = np.linalg.eigh(cov)
    principal = plane @ vectors[:, ::-1]
    return float(
        foster_circle(principal, np.sqrt(values[1:]), np.sqrt(values[:1]), np.array([hbr]))[0]
    )


def test_one_covariance_max_bounds_random_unknown_covariances() -> None:
    miss = np.array([[0.8, 0.0]])
    known = np.array([[[0.04, 0.01], [0.01, 0.09]]])
    hbr = np.array([0.01])
    best, added = one_covariance_max(miss, known, hbr)
    rng = np.random.default_rng(9)
    for _ in range(300):
        a = rng.normal(size=(2, 2)) * np.exp(rng.uniform(-4, 1))
        assert probability_from_plane(miss[0], known[0] + a @ a.T, 0.01) <= best[0] * (1 + 1e-9)
    # small-HBR form: HBR**2 exp(-1/2) / (2 sqrt(det C) sqrt(v)), v = m C^-1 m
    v = float(miss[0] @ np.linalg.solve(known[0], miss[0]))
    closed = hbr[0] ** 2 * np.exp(-0.5) / (2 * np.sqrt(np.linalg.det(known[0])) * np.sqrt(v))
    assert best[0] == pytest.approx(closed, rel=1e-3)
    assert added[0] ** 2 == pytest.approx((v - 1) / np.linalg.inv(known[0])[0, 0], rel=1e-3)


def test_pc_max_picks_the_method_the_data_allow() -> None:
    r1, v1, c1, r2, v2, c2 = states(GEOMETRIES[3], 3)
    nan = np.full((3, 3), np.nan)
    result = pc_max(
        np.stack([r1] * 4), np.stack([v1] * 4), np.stack([c1, nan, c1, nan]),
        np.stack([r2] * 4), np.stack([v2] * 4), np.stack([c2, c2, nan, nan]), 0.01,
    )  # fmt: skip
    assert list(result.method) == [
        PcMaxMethod.ALFANO_SCALING,
        PcMaxMethod.ONE_COVARIANCE,
        PcMaxMethod.ONE_COVARIANCE,
        PcMaxMethod.ISOTROPIC,
    ]
    assert not result.status.any()
    foster = probability_of_collision(r1, v1, c1, r2, v2, c2, 0.01).pc
    assert result.pc_max[0] >= foster
    forced = pc_max(r1, v1, None, r2, v2, c2, 0.01, method=PcMaxMethod.ALFANO_SCALING)
    assert forced.status == PcStatus.COVARIANCE_MISSING and np.isnan(forced.pc_max)
    anyshape = pc_max(r1, v1, None, r2, v2, None, 0.01, no_covariance=PcMaxMethod.ANY_COVARIANCE)
    assert anyshape.method == PcMaxMethod.ANY_COVARIANCE
    assert anyshape.pc_max > result.pc_max[3]
    assert PcMaxMethod.ALFANO_SCALING.ccsds_name == "ALFANO-MAX-PROBABILITY"
    via_entry = probability_of_collision(r1, v1, c1, r2, v2, c2, 0.01, PcMethod.ALFANO_MAX)
    assert via_entry.pc == pytest.approx(result.pc_max[0], rel=ROUNDING)


# --- batches, scalars, failures -------------------------------------------------------


def test_scalar_batch_and_one_row_agree(foster_batch: Array) -> None:
    r1, v1, c1, r2, v2, c2, hbr = batch()
    single = probability_of_collision(r1[4], v1[4], c1[4], r2[4], v2[4], c2[4], hbr[4])
    one_row = probability_of_collision(r1[4:5], v1[4:5], c1[4:5], r2[4:5], v2[4:5], c2[4:5], 0.01)
    assert single.pc.shape == () and one_row.pc.shape == (1,)
    assert single.pc == pytest.approx(foster_batch[4], rel=ROUNDING)
    assert one_row.pc[0] == pytest.approx(foster_batch[4], rel=ROUNDING)
    grid = probability_of_collision(r1[:4].reshape(2, 2, 3), v1[:4].reshape(2, 2, 3),
                                    c1[:4].reshape(2, 2, 3, 3), r2[:4].reshape(2, 2, 3),
                                    v2[:4].reshape(2, 2, 3), c2[:4].reshape(2, 2, 3, 3),
                                    hbr[:4].reshape(2, 2))  # fmt: skip
    np.testing.assert_allclose(grid.pc.ravel(), foster_batch[:4], rtol=ROUNDING)


@pytest.mark.parametrize("method", list(PcMethod))
def test_partial_failure_batch(method: PcMethod) -> None:
    g = GEOMETRIES[3]
    r1, v1, c1, r2, v2, c2 = (np.stack([a] * 7) for a in states(g, 3))
    hbr = np.full(7, g.hbr_km)
    r1[1, 0] = np.nan  # invalid state
    v2[2] = v1[2]  # zero relative velocity
    c1[3] = c2[3] = -np.eye(3)  # negative covariance
    hbr[4] = -0.01  # negative radius
    hbr[5] = np.inf  # certain collision
    c2[6, 0, 0] = np.inf
    sampled = method in (PcMethod.MONTE_CARLO, PcMethod.MONTE_CARLO_3D)
    kwargs = {"n_samples": 20_000, "rng": 1} if sampled else {}
    result = probability_of_collision(r1, v1, c1, r2, v2, c2, hbr, method, **kwargs)
    assert list(result.status) == [
        PcStatus.OK,
        PcStatus.INVALID_INPUT,
        PcStatus.ZERO_RELATIVE_VELOCITY,
        PcStatus.COVARIANCE_NOT_POSITIVE_DEFINITE,
        PcStatus.NEGATIVE_HBR,
        PcStatus.OK,
        PcStatus.INVALID_INPUT,
    ]
    assert np.all(np.isnan(result.pc[1:5])) and np.isnan(result.pc[6])
    assert result.pc[5] == 1.0
    alone = probability_of_collision(*states(g, 3), g.hbr_km, method, **kwargs)
    if sampled:  # other draws: the good row's estimate lies in the lone row's interval
        assert alone.pc_low <= result.pc[0] <= alone.pc_high
    else:  # the bad rows leave the good one untouched
        assert result.pc[0] == pytest.approx(alone.pc, rel=ROUNDING)
    assert result.pc[0] > 0.0


def test_status_messages() -> None:
    codes = np.array([[0, 3], [2, 200]], dtype=np.uint8)
    messages = status_messages(codes)
    assert messages.shape == (2, 2)
    assert messages[0, 1] == STATUS_MESSAGES[PcStatus.COVARIANCE_NOT_POSITIVE_DEFINITE]
    assert "unknown" in messages[1, 1]
    assert all(code in STATUS_MESSAGES for code in PcStatus)


def test_impossible_arguments_raise() -> None:
    arrays = states(GEOMETRIES[1], 1)
    with pytest.raises(InvalidRequestError):
        probability_of_collision(*arrays, 0.02, PcMethod.CHAN, "square")
    with pytest.raises(InvalidRequestError):
        probability_of_collision(*arrays, 0.02, shape="hexagon")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="expected miss, principal or radial"):
        probability_of_collision(*arrays, 0.02, shape="square", square_axes="diagonal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nonsense"):
        probability_of_collision(*arrays, 0.02, "nonsense")  # type: ignore[arg-type]


# --- names, frames --------------------------------------------------------------------


def test_ccsds_names() -> None:
    assert PcMethod.FOSTER.ccsds_name == "FOSTER-1992"
    assert PcMethod.CHAN.ccsds_name == "CHAN-1997"
    assert PcMethod.ALFRIEND.ccsds_name == "ALFRIEND-1999"
    assert PcMethod.ALFANO_MAX.ccsds_name == "ALFANO-MAX-PROBABILITY"
    assert PcMethod.MONTE_CARLO.ccsds_name is None
    assert PcMethod.for_ccsds_name("foster-1992") is PcMethod.FOSTER
    assert PcMethod.for_ccsds_name("ALFANO-2005") is PcMethod.FOSTER
    assert PcMethod.for_ccsds_name("PATERA-2001") is PcMethod.FOSTER
    assert PcMethod.for_ccsds_name("MCKINLEY-2006") is None
    result = probability_of_collision(*states(GEOMETRIES[1], 1), 0.02, PcMethod.CHAN)
    assert result.ccsds_method == "CHAN-1997"


def test_rtn_rotation() -> None:
    r = np.array([[7000.0, 100.0, -50.0], [42164.0, 0.0, 0.0]])
    v = np.array([[0.1, 7.5, 0.3], [0.0, 3.07, 0.0]])
    m = rtn_to_inertial(r, v)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape),
                               atol=1e-15)  # fmt: skip
    np.testing.assert_allclose(m[:, :, 0], r / np.linalg.norm(r, axis=1, keepdims=True))
    h = np.cross(r, v)
    np.testing.assert_allclose(m[:, :, 2], h / np.linalg.norm(h, axis=1, keepdims=True))
    assert np.all(np.sum(m[:, :, 1] * v, axis=1) > 0)  # T is along the motion
    cov_rtn = np.diag([1.0, 100.0, 4.0])  # m**2: R, T, N
    cov = cov_rtn_to_inertial(cov_rtn, r, v)
    radial = m[:, :, 0]
    assert np.einsum("ni,nij,nj->n", radial, cov, radial) == pytest.approx([1.0, 1.0])
    assert np.allclose(np.linalg.eigvalsh(cov), [1.0, 4.0, 100.0])


def test_encounter_plane_geometry() -> None:
    for index in (3, 12, 20):
        g = GEOMETRIES[index]
        r1, v1, c1, r2, v2, c2 = states(g, index)
        plane = encounter_plane(r1, v1, c1, r2, v2, c2)
        basis = plane.basis[0]
        np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-14)
        relative = v2 - v1
        np.testing.assert_allclose(basis[1], relative / np.linalg.norm(relative), atol=1e-15)
        assert plane.miss_km[0, 0] == pytest.approx(g.miss_km, abs=one_micrometre)
        assert plane.sigma_major_km[0] == pytest.approx(g.sigma_major_km, rel=1e-12)
        assert plane.sigma_minor_km[0] == pytest.approx(g.sigma_minor_km, rel=1e-12)
        np.testing.assert_allclose(
            np.abs(plane.miss_principal_km[0]), np.abs(g.principal_miss()), atol=one_micrometre
        )
        assert plane.relative_speed_km_s[0] == pytest.approx(g.speed_km_s, rel=1e-12)
    # Off TCA: the along-track offset is dropped from the projected miss but kept by "range".
    g = GEOMETRIES[3]
    r1, v1, c1, r2, v2, c2 = states(g, 3)
    offset = 0.3 * (v2 - v1) / np.linalg.norm(v2 - v1)
    projected = encounter_plane(r1, v1, c1, r2 + offset, v2, c2)
    ranged = encounter_plane(r1, v1, c1, r2 + offset, v2, c2, miss_from="range")
    assert projected.miss_km[0, 0] == pytest.approx(g.miss_km, abs=one_micrometre)
    assert ranged.miss_km[0, 0] == pytest.approx(np.hypot(g.miss_km, 0.3), abs=one_micrometre)
