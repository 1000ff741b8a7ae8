"""SGP4 and SDP4 compiled with numba: many element sets at many times, without the GIL.

python-sgp4's ``SatrecArray`` (Vallado's C++) holds the GIL through a call, so a process
propagates on one core however many threads it has; heyoka's compiled propagator covers
near-Earth element sets only.  This kernel propagates both, near-Earth (SGP4) and deep-space
(SDP4: lunar-solar periodics and the 12 h and 24 h resonance integrator), from the state that
python-sgp4's ``sgp4init`` builds, and releases the GIL, so that threads propagate on every
core.

The arithmetic is that of Vallado's ``sgp4`` routine (D. A. Vallado, P. Crawford, R. Hujsak,
T. S. Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, 2006; the C++ of the 2020
release that python-sgp4 wraps), statement for statement, with ``fmod`` where the C++ uses
it, so the states agree with python-sgp4's to rounding (``tests/core/test_sgp4_kernel.py``:
Vallado's verification set and every deep-space element set of a full catalogue).  One
difference in form, not in result: the resonance integrator restarts from epoch at every
call instead of resuming from the last call's stored step; its steps are the same fixed
720 min steps from epoch either way.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray
from sgp4.api import WGS72, Satrec
from sgp4.model import Satrec as ModelSatrec

FloatArray = NDArray[np.float64]

_SGP4_EPOCH_JD = 2433281.5  # sgp4init counts its epoch in days from 1949 December 31 0h UTC

# The columns of a parameter row: three flags, then sgp4init's results by their names in
# python-sgp4's model (the C++ Satrec does not expose the deep-space ones), then the epoch.
PARAMETERS = (
    "deep", "isimp", "irez",
    "mo", "mdot", "argpo", "argpdot", "nodeo", "nodedot", "nodecf", "cc1", "bstar", "cc4",
    "t2cof", "omgcof", "eta", "xmcof", "delmo", "d2", "d3", "d4", "cc5", "sinmao", "t3cof",
    "t4cof", "t5cof", "no_unkozai", "ecco", "inclo", "xke", "radiusearthkm", "j2", "j3oj2",
    "aycof", "xlcof", "con41", "x1mth2", "x7thm1",
    "d2201", "d2211", "d3210", "d3222", "d4410", "d4422", "d5220", "d5232", "d5421", "d5433",
    "dedt", "del1", "del2", "del3", "didt", "dmdt", "dnodt", "domdt", "gsto", "xfact", "xlamo",
    "e3", "ee2", "peo", "pgho", "pho", "pinco", "plo", "se2", "se3", "sgh2", "sgh3", "sgh4",
    "sh2", "sh3", "si2", "si3", "sl2", "sl3", "sl4", "xgh2", "xgh3", "xgh4", "xh2", "xh3",
    "xi2", "xi3", "xl2", "xl3", "xl4", "zmol", "zmos",
    "jdsatepoch", "jdsatepochF",
)  # fmt: skip
N_PARAMETERS = len(PARAMETERS)

_MEMO: dict[tuple[float, ...], FloatArray] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_MAX = 1_000_000


def parameters(satrecs: Sequence[Satrec]) -> FloatArray:
    """Given python-sgp4 Satrecs (WGS-72, improved mode, as ``satrec_of`` builds them),
    return their kernel parameters ``(n, N_PARAMETERS)``.

    Each row comes from python-sgp4's own ``sgp4init`` (its Python model, which keeps every
    intermediate) on the Satrec's elements, and is kept in a process-wide memo keyed by
    those elements, so a catalogue is initialised once per process."""
    out = np.empty((len(satrecs), N_PARAMETERS))
    for k, sat in enumerate(satrecs):
        key = (
            float(sat.satnum), sat.jdsatepoch, sat.jdsatepochF, sat.bstar, sat.ndot,
            sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo, sat.no_kozai, sat.nodeo,
        )  # fmt: skip
        row = _MEMO.get(key)
        if row is None:
            row = _row(sat)
            with _MEMO_LOCK:
                if len(_MEMO) >= _MEMO_MAX:
                    _MEMO.clear()
                _MEMO[key] = row
        out[k] = row
    return out


def _row(sat: Satrec) -> FloatArray:
    model = ModelSatrec()
    model.sgp4init(WGS72, "i", sat.satnum, (sat.jdsatepoch + sat.jdsatepochF) - _SGP4_EPOCH_JD,
                   sat.bstar, sat.ndot, sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo,
                   sat.no_kozai, sat.nodeo)  # fmt: skip
    values = [1.0 if model.method == "d" else 0.0, float(model.isimp), float(model.irez)]
    values += [float(getattr(model, name)) for name in PARAMETERS[3:-2]]
    values += [sat.jdsatepoch, sat.jdsatepochF]
    return np.array(values)


def propagate(
    params: FloatArray, jd: FloatArray, fr: FloatArray
) -> tuple[NDArray[np.uint8], FloatArray, FloatArray]:
    """Given parameter rows ``(n, N_PARAMETERS)`` and UTC Julian dates ``jd + fr``, each
    ``(m,)``, return python-sgp4's error codes ``(n, m)`` and the TEME states ``(n, m, 3)``
    in km and km/s (NaN where the code is 1 to 4; a decayed state, code 6, is kept, as
    python-sgp4 returns them)."""
    params = np.ascontiguousarray(params, dtype=np.float64)
    jd = np.ascontiguousarray(jd, dtype=np.float64)
    fr = np.ascontiguousarray(fr, dtype=np.float64)
    error, r, v = _outputs(len(params), len(jd))
    _propagate(params, jd, fr, error, r, v)
    return error, r, v


def propagate_minutes(
    params: FloatArray, minutes: FloatArray
) -> tuple[NDArray[np.uint8], FloatArray, FloatArray]:
    """:func:`propagate` at ``minutes`` ``(m,)`` from each element set's own epoch."""
    params = np.ascontiguousarray(params, dtype=np.float64)
    minutes = np.ascontiguousarray(minutes, dtype=np.float64)
    error, r, v = _outputs(len(params), len(minutes))
    _propagate_minutes(params, minutes, error, r, v)
    return error, r, v


def propagate_each(
    params: FloatArray, rows: NDArray[np.int64], jd: FloatArray, fr: FloatArray
) -> tuple[NDArray[np.uint8], FloatArray, FloatArray]:
    """Element set ``rows[k]`` of ``params`` at UTC Julian date ``jd[k] + fr[k]``, each
    ``(m,)``: error codes ``(m,)`` and states ``(m, 3)``, as :func:`propagate` gives them."""
    params = np.ascontiguousarray(params, dtype=np.float64)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    jd = np.ascontiguousarray(jd, dtype=np.float64)
    fr = np.ascontiguousarray(fr, dtype=np.float64)
    error, r, v = _outputs(1, len(rows))
    _propagate_each(params, rows, jd, fr, error, r, v)
    return error[0], r[0], v[0]


def _outputs(n: int, m: int) -> tuple[NDArray[np.uint8], FloatArray, FloatArray]:
    """Error codes ``(n, m)`` (zero) and room for states ``(n, m, 3)``."""
    return np.zeros((n, m), dtype=np.uint8), np.empty((n, m, 3)), np.empty((n, m, 3))


@njit(cache=True, nogil=True)
def _propagate_each(
    params: FloatArray,
    rows: NDArray[np.int64],
    jd: FloatArray,
    fr: FloatArray,
    error: NDArray[np.uint8],
    r: FloatArray,
    v: FloatArray,
) -> None:  # pragma: no cover - compiled
    for k in range(rows.shape[0]):
        p = params[rows[k]]
        _one(p, (jd[k] - p[-2]) * 1440.0 + (fr[k] - p[-1]) * 1440.0, error, r, v, 0, k)


@njit(cache=True, nogil=True)
def _propagate_minutes(
    params: FloatArray,
    minutes: FloatArray,
    error: NDArray[np.uint8],
    r: FloatArray,
    v: FloatArray,
) -> None:  # pragma: no cover - compiled
    for i in range(params.shape[0]):
        for k in range(minutes.shape[0]):
            _one(params[i], minutes[k], error, r, v, i, k)


@njit(cache=True, nogil=True, inline="always")
def _one(
    p: FloatArray,
    tsince: float,
    error: NDArray[np.uint8],
    r: FloatArray,
    v: FloatArray,
    i: int,
    k: int,
) -> None:  # pragma: no cover - compiled
    code = _sgp4(p, tsince, r[i, k], v[i, k])
    error[i, k] = code
    if code != 0 and code != 6:
        for c in range(3):
            r[i, k, c] = np.nan
            v[i, k, c] = np.nan


@njit(cache=True, nogil=True)
def _propagate(
    params: FloatArray,
    jd: FloatArray,
    fr: FloatArray,
    error: NDArray[np.uint8],
    r: FloatArray,
    v: FloatArray,
) -> None:  # pragma: no cover - compiled
    for i in range(params.shape[0]):
        p = params[i]
        for k in range(jd.shape[0]):
            # python-sgp4's expression, so that the times agree to the last bit
            _one(p, (jd[k] - p[-2]) * 1440.0 + (fr[k] - p[-1]) * 1440.0, error, r, v, i, k)


@njit(cache=True, nogil=True, inline="always")
def _sgp4(p: FloatArray, t: float, r: FloatArray, v: FloatArray) -> int:  # pragma: no cover
    """One element set at ``t`` minutes from its epoch: Vallado's ``sgp4``; the error code
    (1: mean eccentricity, 2: mean motion, 3: perturbed eccentricity, 4: semi-latus rectum
    out of range; 6: decayed, states still written)."""
    twopi = 2.0 * math.pi
    x2o3 = 2.0 / 3.0
    temp4 = 1.5e-12
    deep, isimp = p[0] == 1.0, p[1] == 1.0
    mo, mdot, argpo, argpdot, nodeo, nodedot, nodecf = p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    cc1, bstar, cc4, t2cof, omgcof, eta, xmcof = p[10], p[11], p[12], p[13], p[14], p[15], p[16]
    delmo, d2, d3, d4, cc5, sinmao = p[17], p[18], p[19], p[20], p[21], p[22]
    t3cof, t4cof, t5cof, no_unkozai, ecco, inclo = p[23], p[24], p[25], p[26], p[27], p[28]
    xke, radiusearthkm, j2, j3oj2 = p[29], p[30], p[31], p[32]
    aycof, xlcof, con41, x1mth2, x7thm1 = p[33], p[34], p[35], p[36], p[37]
    vkmpersec = radiusearthkm * xke / 60.0

    xmdf = mo + mdot * t
    argpdf = argpo + argpdot * t
    nodedf = nodeo + nodedot * t
    argpm = argpdf
    mm = xmdf
    t2 = t * t
    nodem = nodedf + nodecf * t2
    tempa = 1.0 - cc1 * t
    tempe = bstar * cc4 * t
    templ = t2cof * t2
    if not isimp:
        delomg = omgcof * t
        delmtemp = 1.0 + eta * math.cos(xmdf)
        delm = xmcof * (delmtemp * delmtemp * delmtemp - delmo)
        temp = delomg + delm
        mm = xmdf + temp
        argpm = argpdf - temp
        t3 = t2 * t
        t4 = t3 * t
        tempa = tempa - d2 * t2 - d3 * t3 - d4 * t4
        tempe = tempe + bstar * cc5 * (math.sin(mm) - sinmao)
        templ = templ + t3cof * t3 + t4 * (t4cof + t * t5cof)
    nm = no_unkozai
    em = ecco
    inclm = inclo
    if deep:
        em, argpm, inclm, mm, nodem, nm = _dspace(p, t, em, argpm, inclm, mm, nodem, nm)
    if nm <= 0.0:
        return 2
    am = (xke / nm) ** x2o3 * tempa * tempa
    nm = xke / am**1.5
    em = em - tempe
    if em >= 1.0 or em < -0.001:
        return 1
    if em < 1.0e-6:
        em = 1.0e-6
    mm = mm + no_unkozai * templ
    xlm = mm + argpm + nodem
    emsq = em * em
    temp = 1.0 - emsq
    nodem = np.fmod(nodem, twopi)
    argpm = np.fmod(argpm, twopi)
    xlm = np.fmod(xlm, twopi)
    mm = np.fmod(xlm - argpm - nodem, twopi)

    sinim = math.sin(inclm)
    cosim = math.cos(inclm)
    ep, xincp, argpp, nodep, mp = em, inclm, argpm, nodem, mm
    sinip, cosip = sinim, cosim
    if deep:
        ep, xincp, nodep, argpp, mp = _dpper(p, t, ep, xincp, nodep, argpp, mp)
        if xincp < 0.0:
            xincp = -xincp
            nodep = nodep + math.pi
            argpp = argpp - math.pi
        if ep < 0.0 or ep > 1.0:
            return 3
        sinip = math.sin(xincp)
        cosip = math.cos(xincp)
        aycof = -0.5 * j3oj2 * sinip
        if math.fabs(cosip + 1.0) > 1.5e-12:
            xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0 * cosip) / (1.0 + cosip)
        else:
            xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0 * cosip) / temp4

    axnl = ep * math.cos(argpp)
    temp = 1.0 / (am * (1.0 - ep * ep))
    aynl = ep * math.sin(argpp) + temp * aycof
    xl = mp + argpp + nodep + temp * xlcof * axnl
    u = np.fmod(xl - nodep, twopi)
    eo1 = u
    tem5 = 9999.9
    ktr = 1
    sineo1 = 0.0
    coseo1 = 0.0
    while math.fabs(tem5) >= 1.0e-12 and ktr <= 10:
        sineo1 = math.sin(eo1)
        coseo1 = math.cos(eo1)
        tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl
        tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5
        if math.fabs(tem5) >= 0.95:
            tem5 = 0.95 if tem5 > 0.0 else -0.95
        eo1 = eo1 + tem5
        ktr = ktr + 1
    ecose = axnl * coseo1 + aynl * sineo1
    esine = axnl * sineo1 - aynl * coseo1
    el2 = axnl * axnl + aynl * aynl
    pl = am * (1.0 - el2)
    if pl < 0.0:
        return 4
    rl = am * (1.0 - ecose)
    rdotl = math.sqrt(am) * esine / rl
    rvdotl = math.sqrt(pl) / rl
    betal = math.sqrt(1.0 - el2)
    temp = esine / (1.0 + betal)
    sinu = am / rl * (sineo1 - aynl - axnl * temp)
    cosu = am / rl * (coseo1 - axnl + aynl * temp)
    su = math.atan2(sinu, cosu)
    sin2u = (cosu + cosu) * sinu
    cos2u = 1.0 - 2.0 * sinu * sinu
    temp = 1.0 / pl
    temp1 = 0.5 * j2 * temp
    temp2 = temp1 * temp
    if deep:
        cosisq = cosip * cosip
        con41 = 3.0 * cosisq - 1.0
        x1mth2 = 1.0 - cosisq
        x7thm1 = 7.0 * cosisq - 1.0
    mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
    su = su - 0.25 * temp2 * x7thm1 * sin2u
    xnode = nodep + 1.5 * temp2 * cosip * sin2u
    xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u
    mvt = rdotl - nm * temp1 * x1mth2 * sin2u / xke
    rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke
    sinsu = math.sin(su)
    cossu = math.cos(su)
    snod = math.sin(xnode)
    cnod = math.cos(xnode)
    sini = math.sin(xinc)
    cosi = math.cos(xinc)
    xmx = -snod * cosi
    xmy = cnod * cosi
    ux = xmx * sinsu + cnod * cossu
    uy = xmy * sinsu + snod * cossu
    uz = sini * sinsu
    vx = xmx * cossu - cnod * sinsu
    vy = xmy * cossu - snod * sinsu
    vz = sini * cossu
    mr = mrt * radiusearthkm
    r[0], r[1], r[2] = mr * ux, mr * uy, mr * uz
    v[0] = (mvt * ux + rvdot * vx) * vkmpersec
    v[1] = (mvt * uy + rvdot * vy) * vkmpersec
    v[2] = (mvt * uz + rvdot * vz) * vkmpersec
    return 6 if mrt < 1.0 else 0


@njit(cache=True, nogil=True, inline="always")
def _dspace(
    p: FloatArray, t: float, em: float, argpm: float, inclm: float, mm: float, nodem: float,
    nm: float,
) -> tuple[float, float, float, float, float, float]:  # pragma: no cover - compiled  # fmt: skip
    """Deep-space secular effects and the resonance integrator (Vallado's ``dspace``):
    the mean elements ``em, argpm, inclm, mm, nodem, nm`` at ``t`` minutes."""
    twopi = 2.0 * math.pi
    fasx2, fasx4, fasx6 = 0.13130908, 2.8843198, 0.37448087
    g22, g32, g44, g52, g54 = 5.7686396, 0.95240898, 1.8014998, 1.0508330, 4.4108898
    rptim = 4.37526908801129966e-3  # the Earth's rotation, rad/min
    stepp, stepn, step2 = 720.0, -720.0, 259200.0
    irez = int(p[2])
    argpo, argpdot, no = p[5], p[6], p[26]
    d2201, d2211, d3210, d3222, d4410 = p[38], p[39], p[40], p[41], p[42]
    d4422, d5220, d5232, d5421, d5433 = p[43], p[44], p[45], p[46], p[47]
    dedt, del1, del2, del3, didt, dmdt, dnodt, domdt = (p[48], p[49], p[50], p[51], p[52],
                                                        p[53], p[54], p[55])  # fmt: skip
    gsto, xfact, xlamo = p[56], p[57], p[58]

    theta = np.fmod(gsto + t * rptim, twopi)
    em = em + dedt * t
    inclm = inclm + didt * t
    argpm = argpm + domdt * t
    nodem = nodem + dnodt * t
    mm = mm + dmdt * t
    if irez == 0:
        return em, argpm, inclm, mm, nodem, nm
    # the integrator from epoch, in fixed steps of 720 min, then the partial step
    atime = 0.0
    xni = no
    xli = xlamo
    delt = stepp if t > 0.0 else stepn
    ft = 0.0
    xndt = 0.0
    xldot = 0.0
    xnddt = 0.0
    while True:
        if irez != 2:
            xndt = (del1 * math.sin(xli - fasx2) + del2 * math.sin(2.0 * (xli - fasx4))
                    + del3 * math.sin(3.0 * (xli - fasx6)))  # fmt: skip
            xldot = xni + xfact
            xnddt = (del1 * math.cos(xli - fasx2) + 2.0 * del2 * math.cos(2.0 * (xli - fasx4))
                     + 3.0 * del3 * math.cos(3.0 * (xli - fasx6)))  # fmt: skip
            xnddt = xnddt * xldot
        else:
            xomi = argpo + argpdot * atime
            x2omi = xomi + xomi
            x2li = xli + xli
            xndt = (d2201 * math.sin(x2omi + xli - g22) + d2211 * math.sin(xli - g22)
                    + d3210 * math.sin(xomi + xli - g32) + d3222 * math.sin(-xomi + xli - g32)
                    + d4410 * math.sin(x2omi + x2li - g44) + d4422 * math.sin(x2li - g44)
                    + d5220 * math.sin(xomi + xli - g52) + d5232 * math.sin(-xomi + xli - g52)
                    + d5421 * math.sin(xomi + x2li - g54)
                    + d5433 * math.sin(-xomi + x2li - g54))  # fmt: skip
            xldot = xni + xfact
            xnddt = (d2201 * math.cos(x2omi + xli - g22) + d2211 * math.cos(xli - g22)
                     + d3210 * math.cos(xomi + xli - g32) + d3222 * math.cos(-xomi + xli - g32)
                     + d5220 * math.cos(xomi + xli - g52) + d5232 * math.cos(-xomi + xli - g52)
                     + 2.0 * (d4410 * math.cos(x2omi + x2li - g44) + d4422 * math.cos(x2li - g44)
                              + d5421 * math.cos(xomi + x2li - g54)
                              + d5433 * math.cos(-xomi + x2li - g54)))  # fmt: skip
            xnddt = xnddt * xldot
        if math.fabs(t - atime) >= stepp:
            xli = xli + xldot * delt + xndt * step2
            xni = xni + xndt * delt + xnddt * step2
            atime = atime + delt
        else:
            ft = t - atime
            break
    nm = xni + xndt * ft + xnddt * ft * ft * 0.5
    xl = xli + xldot * ft + xndt * ft * ft * 0.5
    mm = xl - 2.0 * nodem + 2.0 * theta if irez != 1 else xl - nodem - argpm + theta
    nm = no + (nm - no)
    return em, argpm, inclm, mm, nodem, nm


@njit(cache=True, nogil=True, inline="always")
def _dpper(
    p: FloatArray, t: float, ep: float, inclp: float, nodep: float, argpp: float, mp: float
) -> tuple[float, float, float, float, float]:  # pragma: no cover - compiled
    """Lunar-solar periodics (Vallado's ``dpper``, after initialisation, improved mode):
    the perturbed ``ep, inclp, nodep, argpp, mp``."""
    twopi = 2.0 * math.pi
    zns, zes, znl, zel = 1.19459e-5, 0.01675, 1.5835218e-4, 0.05490
    e3, ee2, peo, pgho, pho, pinco, plo = p[59], p[60], p[61], p[62], p[63], p[64], p[65]
    se2, se3, sgh2, sgh3, sgh4, sh2, sh3 = p[66], p[67], p[68], p[69], p[70], p[71], p[72]
    si2, si3, sl2, sl3, sl4 = p[73], p[74], p[75], p[76], p[77]
    xgh2, xgh3, xgh4, xh2, xh3 = p[78], p[79], p[80], p[81], p[82]
    xi2, xi3, xl2, xl3, xl4, zmol, zmos = p[83], p[84], p[85], p[86], p[87], p[88], p[89]

    zm = zmos + zns * t
    zf = zm + 2.0 * zes * math.sin(zm)
    sinzf = math.sin(zf)
    f2 = 0.5 * sinzf * sinzf - 0.25
    f3 = -0.5 * sinzf * math.cos(zf)
    ses = se2 * f2 + se3 * f3
    sis = si2 * f2 + si3 * f3
    sls = sl2 * f2 + sl3 * f3 + sl4 * sinzf
    sghs = sgh2 * f2 + sgh3 * f3 + sgh4 * sinzf
    shs = sh2 * f2 + sh3 * f3
    zm = zmol + znl * t
    zf = zm + 2.0 * zel * math.sin(zm)
    sinzf = math.sin(zf)
    f2 = 0.5 * sinzf * sinzf - 0.25
    f3 = -0.5 * sinzf * math.cos(zf)
    sel = ee2 * f2 + e3 * f3
    sil = xi2 * f2 + xi3 * f3
    sll = xl2 * f2 + xl3 * f3 + xl4 * sinzf
    sghl = xgh2 * f2 + xgh3 * f3 + xgh4 * sinzf
    shll = xh2 * f2 + xh3 * f3
    pe = ses + sel - peo
    pinc = sis + sil - pinco
    pl = sls + sll - plo
    pgh = sghs + sghl - pgho
    ph = shs + shll - pho
    inclp = inclp + pinc
    ep = ep + pe
    sinip = math.sin(inclp)
    cosip = math.cos(inclp)
    if inclp >= 0.2:  # Lyddane's modification below 0.2 rad (GSFC: perturbed inclination)
        ph = ph / sinip
        pgh = pgh - cosip * ph
        argpp = argpp + pgh
        nodep = nodep + ph
        mp = mp + pl
    else:
        sinop = math.sin(nodep)
        cosop = math.cos(nodep)
        alfdp = sinip * sinop
        betdp = sinip * cosop
        dalf = ph * cosop + pinc * cosip * sinop
        dbet = -ph * sinop + pinc * cosip * cosop
        alfdp = alfdp + dalf
        betdp = betdp + dbet
        nodep = np.fmod(nodep, twopi)
        xls = mp + argpp + pl + pgh + (cosip - pinc * sinip) * nodep
        xnoh = nodep
        nodep = math.atan2(alfdp, betdp)
        if math.fabs(xnoh - nodep) > math.pi:
            nodep = nodep + twopi if nodep < xnoh else nodep - twopi
        mp = mp + pl
        argpp = xls - mp - cosip * nodep
    return ep, inclp, nodep, argpp, mp
