"""Rate estimates and the dt-error laws of tools/bench/time_to_accuracy.py (numpy only to count spikes).

A grid method's rate bias b(dt) = rate(dt)/theory - 1 is measured at a few dt,
each with its standard error, and extrapolated to the dt where |b| is a target
(0.1%) in two ways:
  * power law |b| = c dt^p, c and p fitted (weighted least squares of ln|b| on
    ln dt, weights (b/se)^2: the variance of ln|b| is (se/b)^2);
  * b = a sqrt(dt) + d dt: the leading order 1/2 of discrete threshold
    monitoring (Brunel, Chance, Fourcaud & Abbott 2001; models/README.md §5)
    with its first correction, weighted linear least squares.
Both are extrapolations far below the dts measured; the second one's leading
coefficient can be set against theory (the threshold shift of discretely
monitored Brownian motion, Siegmund 1985: theta + beta sigma sqrt(dt/tau),
beta = -zeta(1/2)/sqrt(2 pi) = 0.5826).
"""
import math

BETA_DISCRETE_MONITORING = 0.5825971579390107  # -zeta(1/2)/sqrt(2*pi)


def rate_per_node(times_ms, node_ids, n_nodes, from_ms, to_ms):
    """Each node's rate (Hz) over spikes with from_ms < t <= to_ms (spikeq stats' interval), a list."""
    import numpy as np
    t = np.asarray(times_ms, dtype=float)
    ids = np.asarray(node_ids, dtype=np.int64)
    keep = (t > from_ms) & (t <= to_ms)
    counts = np.bincount(ids[keep], minlength=n_nodes)
    if len(counts) != n_nodes:
        raise ValueError(f"node id {int(ids[keep].max())} is not below the population size {n_nodes}")
    return (counts / ((to_ms - from_ms) / 1000.0)).tolist()


def mean_sem(values):
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else float("nan")
    return mean, math.sqrt(var / n)


def _solve2(a11, a12, a22, b1, b2):
    det = a11 * a22 - a12 * a12
    if det == 0:
        raise ZeroDivisionError("singular normal equations")
    return (a22 * b1 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det, (a22 / det, -a12 / det, a11 / det)


def weighted_line(xs, ys, ses):
    """y = alpha + beta x by weighted least squares (weights 1/se^2).

    Returns alpha, beta, their covariance (a11, a12, a22) and chi2. The covariance
    is scaled by chi2/dof when that exceeds 1 (the points scatter more than their
    errors say: the model is not exact over the range)."""
    w = [1.0 / s ** 2 for s in ses]
    sw, swx, swxx = sum(w), sum(wi * x for wi, x in zip(w, xs)), sum(wi * x * x for wi, x in zip(w, xs))
    swy, swxy = sum(wi * y for wi, y in zip(w, ys)), sum(wi * x * y for wi, x, y in zip(w, xs, ys))
    alpha, beta, cov = _solve2(sw, swx, swxx, swy, swxy)
    chi2 = sum(wi * (y - alpha - beta * x) ** 2 for wi, x, y in zip(w, xs, ys))
    dof = len(xs) - 2
    scale = max(1.0, chi2 / dof) if dof > 0 else 1.0
    return alpha, beta, tuple(c * scale for c in cov), chi2, dof


def fit_power_law(dts, bias, bias_se, target):
    """|b| = c dt^p; the dt where |b| = target with its 1-sigma range. Uses the points whose
    bias has the sign of the majority and is at least 2 standard errors from 0."""
    sign = 1.0 if sum(1 for b in bias if b > 0) > len(bias) / 2 else -1.0
    pts = [(d, b, s) for d, b, s in zip(dts, bias, bias_se) if sign * b > 2 * s]
    out = {"model": "|b| = c dt^p", "sign": sign, "points": len(pts), "dts_used": [p[0] for p in pts]}
    if len(pts) < 2:
        out["error"] = "bias not resolved (fewer than 2 dt with |bias| > 2 SE)"
        return out
    xs = [math.log(d) for d, _, _ in pts]
    ys = [math.log(sign * b) for _, b, _ in pts]
    ses = [s / (sign * b) for _, b, s in pts]
    ln_c, p, (v_cc, v_cp, v_pp), chi2, dof = weighted_line(xs, ys, ses)
    ln_dt = (math.log(target) - ln_c) / p
    # ln dt* = (ln target - ln c)/p: gradient (-1/p, -ln dt*/p) against (ln c, p).
    g0, g1 = -1.0 / p, -ln_dt / p
    sd = math.sqrt(max(0.0, g0 * g0 * v_cc + 2 * g0 * g1 * v_cp + g1 * g1 * v_pp))
    out.update({"c": sign * math.exp(ln_c), "c_rel_se": math.sqrt(v_cc), "p": p, "p_se": math.sqrt(v_pp),
                "chi2": chi2, "dof": dof, "dt_target_ms": math.exp(ln_dt),
                "dt_target_range_ms": [math.exp(ln_dt - sd), math.exp(ln_dt + sd)]})
    return out


def sqrt_dt_root(a, d, target):
    """Smallest dt > 0 with |a sqrt(dt) + d dt| = target (s = sqrt(dt) solves d s^2 + a s -+ target = 0)."""
    best = None
    for rhs in (target, -target):
        if d == 0:
            roots = [rhs / a] if a != 0 else []
        else:
            disc = a * a + 4 * d * rhs
            if disc < 0:
                continue
            roots = [(-a + sgn * math.sqrt(disc)) / (2 * d) for sgn in (1, -1)]
        for s in roots:
            if s > 0 and (best is None or s * s < best):
                best = s * s
    return best


def fit_sqrt_dt(dts, bias, bias_se, target):
    """b = a sqrt(dt) + d dt by weighted linear least squares, and the dt where |b| = target."""
    out = {"model": "b = a sqrt(dt) + d dt", "points": len(dts)}
    if len(dts) < 2:
        out["error"] = "needs 2 dt"
        return out
    # b/sqrt(dt) = a + d sqrt(dt): a weighted line in x = sqrt(dt).
    xs = [math.sqrt(t) for t in dts]
    ys = [b / x for b, x in zip(bias, xs)]
    ses = [s / x for s, x in zip(bias_se, xs)]
    a, d, (v_aa, v_ad, v_dd), chi2, dof = weighted_line(xs, ys, ses)
    out.update({"a": a, "a_se": math.sqrt(v_aa), "d": d, "d_se": math.sqrt(v_dd), "chi2": chi2, "dof": dof,
                "dt_target_ms": sqrt_dt_root(a, d, target)})
    if abs(a) > 0:
        # At the target the a sqrt(dt) term dominates: dt* ~ (target/a)^2, so its relative
        # error is about twice a's.
        rel = 2 * math.sqrt(v_aa) / abs(a)
        dt = out["dt_target_ms"]
        if dt is not None:
            out["dt_target_range_ms"] = [dt * math.exp(-rel), dt * math.exp(rel)]
    return out


def discrete_monitoring_a(rel_dnu_dtheta_per_mv, sigma_mv, tau_m_ms):
    """Leading-order prediction of a (per sqrt(ms)): the threshold moves up by
    beta sigma sqrt(dt/tau), and the rate by (d nu/d theta)/nu times that."""
    return rel_dnu_dtheta_per_mv * BETA_DISCRETE_MONITORING * sigma_mv / math.sqrt(tau_m_ms)
