"""The dt-error laws of tools/bench/accuracy_fit.py on synthetic data with known answers."""
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "bench"))
import accuracy_fit as fit  # noqa: E402

DTS = [0.4, 0.2, 0.1, 0.05, 0.025]


def test_power_law_recovers_c_p_and_the_target_dt():
    bias = [-0.2 * d ** 0.5 for d in DTS]
    r = fit.fit_power_law(DTS, bias, [1e-3] * len(DTS), 1e-3)
    assert r["p"] == pytest.approx(0.5, abs=1e-9)
    assert r["c"] == pytest.approx(-0.2, rel=1e-9)
    assert r["dt_target_ms"] == pytest.approx((1e-3 / 0.2) ** 2, rel=1e-9)
    lo, hi = r["dt_target_range_ms"]
    assert lo < r["dt_target_ms"] < hi


def test_power_law_weights_points_by_their_relative_error():
    # One point off the law with a huge standard error must not pull the fit.
    bias = [-0.3 * d ** 0.7 for d in DTS]
    ses = [1e-4] * len(DTS)
    bias[-1] *= 3
    ses[-1] = 1.0  # |bias| < 2 SE: left out altogether
    r = fit.fit_power_law(DTS, bias, ses, 1e-3)
    assert r["dts_used"] == DTS[:-1]
    assert r["p"] == pytest.approx(0.7, abs=1e-9)
    bias[-1] = -0.3 * DTS[-1] ** 0.7 * 1.5
    ses[-1] = bias[-1] * -0.2  # kept (5 SE), with about 1/1600 of the others' weight
    r = fit.fit_power_law(DTS, bias, ses, 1e-3)
    assert r["p"] == pytest.approx(0.7, abs=0.01)


def test_power_law_is_the_weighted_fit_numpy_gives():
    # Off-law points with unequal errors: the same line as numpy.polyfit weighted by 1/se of ln|b|.
    import numpy as np
    bias = [-0.031, -0.045, -0.07, -0.093, -0.128]
    ses = [0.001, 0.004, 0.002, 0.01, 0.003]
    r = fit.fit_power_law(DTS, bias, ses, 1e-3)
    x = np.log(DTS)
    y = np.log(-np.array(bias))
    p, ln_c = np.polyfit(x, y, 1, w=-np.array(bias) / np.array(ses))
    assert r["p"] == pytest.approx(p, rel=1e-9)
    assert r["c"] == pytest.approx(-math.exp(ln_c), rel=1e-9)


def test_power_law_reports_an_unresolved_bias():
    r = fit.fit_power_law(DTS, [1e-4, -1e-4, 0, 1e-5, 2e-5], [1e-3] * len(DTS), 1e-3)
    assert "error" in r and "dt_target_ms" not in r


def test_sqrt_dt_fit_recovers_both_terms_and_solves_for_the_target():
    a, d = -0.22, 0.05
    bias = [a * math.sqrt(t) + d * t for t in DTS]
    r = fit.fit_sqrt_dt(DTS, bias, [1e-3] * len(DTS), 1e-3)
    assert r["a"] == pytest.approx(a, rel=1e-9)
    assert r["d"] == pytest.approx(d, rel=1e-7)
    dt = r["dt_target_ms"]
    assert abs(a * math.sqrt(dt) + d * dt) == pytest.approx(1e-3, rel=1e-9)
    assert dt == pytest.approx((1e-3 / 0.22) ** 2, rel=0.01)  # the sqrt term dominates there


def test_sqrt_dt_root_takes_the_smallest_positive_dt():
    # |0.1 s - s^2| = 0.001 (s = sqrt(dt)) at s = 0.01127, 0.08873 and 0.1092: the first.
    dt = fit.sqrt_dt_root(0.1, -1.0, 0.001)
    assert math.sqrt(dt) == pytest.approx((0.1 - math.sqrt(0.006)) / 2, rel=1e-12)
    assert fit.sqrt_dt_root(0.0, 0.0, 0.001) is None


def test_rate_per_node_and_sem():
    rates = fit.rate_per_node([0.5, 1.0, 1.5, 2.0, 3.0], [0, 1, 1, 2, 0], 3, 1.0, 3.0)
    assert rates == [500.0, 500.0, 500.0]  # (1, 3] ms: node 0 at 3.0, node 1 at 1.5, node 2 at 2.0; 1 / 2 ms
    assert rates != fit.rate_per_node([0.5, 1.0, 1.5, 2.0, 3.0], [0, 1, 1, 2, 0], 3, 0.0, 3.0)
    mean, sem = fit.mean_sem([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and sem == pytest.approx(math.sqrt(5 / 3 / 4))
    with pytest.raises(ValueError):
        fit.rate_per_node([1.0], [5], 3, 0.0, 2.0)


def test_discrete_monitoring_prediction_for_ou_lif():
    # Siegert's d ln(nu)/d theta for ou_lif is -0.33598 per mV (scipy, independent of spikeq):
    # a = -0.33598 * 0.58260 * 5 / sqrt(20) = -0.21884 per sqrt(ms).
    assert fit.discrete_monitoring_a(-0.3359789628, 5.0, 20.0) == pytest.approx(-0.218844, rel=1e-5)
