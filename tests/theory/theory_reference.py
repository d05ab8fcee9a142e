#!/usr/bin/python3
"""Independent reference numbers for tests/engine/test_theory_*.cpp.

Run with Debian's python3 (python3-scipy 1.10.1, python3-mpmath 1.2.1):
    /usr/bin/python3 tests/theory/theory_reference.py
scipy integrates the textbook integrands directly (erfcx for the Siegert
integrand, dblquad for Brunel's CV); mpmath (30 digits, erfc rather than 1 + erf,
which cancels) cross-checks them and covers what overflows in double.
Takes a few minutes (the mpmath CV double integrals).
"""
import numpy as np
from scipy.special import erfcx
from scipy.integrate import quad, dblquad
from scipy.optimize import brentq
import mpmath as mp

mp.mp.dps = 30
TAU, TREF, TH, VR = 20.0, 2.0, 20.0, 10.0  # models/README.md §4 neuron


def rate(m, s):
    yt, yr = (TH - m) / s, (VR - m) / s
    I, _ = quad(lambda u: erfcx(-u), yr, yt, epsabs=0, epsrel=1e-13, limit=500)
    return 1000.0 / (TREF + TAU * np.sqrt(np.pi) * I)


def cv(m, s):
    yt, yr = (TH - m) / s, (VR - m) / s
    nu = rate(m, s) / 1000.0
    # e^(x^2) e^(y^2) (1 + erf y)^2 = e^(x^2 - y^2) erfcx(-y)^2
    K, _ = dblquad(lambda y, x: np.exp(x * x - y * y) * erfcx(-y) ** 2, yr, yt,
                   lambda x: -np.inf, lambda x: x, epsabs=0, epsrel=1e-11)
    return np.sqrt(2 * np.pi * (nu * TAU) ** 2 * K)


def rate_mp(m, s):
    m, s = mp.mpf(m), mp.mpf(s)
    yt, yr = (TH - m) / s, (VR - m) / s
    pts = [yr, 0, yt] if yr < 0 < yt else [yr, yt]
    I = mp.quad(lambda u: mp.exp(u * u) * mp.erfc(-u), pts)
    return 1000 / (TREF + TAU * mp.sqrt(mp.pi) * I)


def cv_mp(m, s):
    m, s = mp.mpf(m), mp.mpf(s)
    yt, yr = (TH - m) / s, (VR - m) / s
    nu = rate_mp(m, s) / 1000
    G = lambda x: mp.quad(lambda y: mp.exp(x * x + y * y) * mp.erfc(-y) ** 2,
                          [-mp.inf, 0, x] if x > 0 else [-mp.inf, x])
    K = mp.quad(G, [yr, 0, yt] if yr < 0 < yt else [yr, yt])
    return mp.sqrt(2 * mp.pi * (nu * TAU) ** 2 * K)


def brunel_moments(nu, g, eta, CE=1000, J=0.1):
    nu_ext = eta * TH / (J * CE * TAU) * 1000  # Hz
    mu = CE * J * TAU * (nu_ext + nu * (1 - 0.25 * g)) / 1000
    s2 = CE * J * J * TAU * (nu_ext + nu * (1 + 0.25 * g * g)) / 1000
    return mu, np.sqrt(s2)


def all_roots(g, eta):
    f = lambda nu: rate(*brunel_moments(nu, g, eta)) - nu
    grid = np.concatenate([[0], 500 * np.linspace(0, 1, 4001)[1:] ** 2])
    vals = [f(x) for x in grid]
    return [brentq(f, grid[i], grid[i + 1], xtol=1e-14, rtol=1e-15)
            for i in range(len(grid) - 1) if np.sign(vals[i]) != np.sign(vals[i + 1])]


if __name__ == "__main__":
    print("erfcx:")
    for x in [-26.0, -5.0, -1.0, -1e-3, 0.0, 0.5, 2.9, 3.0, 3.1, 10.0, 1e3, 1e10]:
        print(f"  {x!r}: {erfcx(x)!r}")
    print("Siegert rate / CV (scipy, mpmath):")
    for (m, s) in [(15, 5), (19, 2), (20, 5), (20, 1), (25, 3), (30, 1), (10, 1)]:
        print(f"  m={m} sigma={s}: rate {rate(m, s):.15g} / {mp.nstr(rate_mp(m, s), 17)}"
              f"  cv {cv(m, s):.15g} / {mp.nstr(cv_mp(m, s), 17)}")
    for (m, s) in [(0, 1), (100, 1e-3), (20.0, 1e-6)]:
        print(f"  m={m} sigma={s}: rate (mpmath) {mp.nstr(rate_mp(m, s), 17)}")
    print("Brunel model A, all mean-field solutions (Hz):")
    for g, eta in [(5, 2), (3, 2), (6, 4), (4.5, 0.9), (3, 0.8)]:
        roots = all_roots(g, eta)
        mu, sig = brunel_moments(roots[0], g, eta)
        print(f"  g={g} eta={eta}: {[f'{r:.15g}' for r in roots]}  first: mu {mu:.15g} sigma {sig:.15g}"
              f" cv {cv(mu, sig):.15g}")
    print("C_E=1000 @10 Hz (0.1 mV), C_I=250 @10 Hz (-0.5 mV), 1000 ext @nu_ext (0.1 mV):")
    for nu_ext in [10, 12.5, 15]:
        mu = TAU * (1000 * 0.1 * 10 + 250 * (-0.5) * 10 + 1000 * 0.1 * nu_ext) / 1000
        sig = np.sqrt(TAU * (1000 * 0.01 * 10 + 250 * 0.25 * 10 + 1000 * 0.01 * nu_ext) / 1000)
        print(f"  nu_ext={nu_ext}: mu {mu:.15g} sigma {sig:.15g} rate {rate(mu, sig):.15g} cv {cv(mu, sig):.15g}")
