// Solver for x = f(x) on a box [0, upper]: the self-consistency of mean-field
// rates. Generic in f so that it can be tested on equations with known roots.
#pragma once

#include <functional>
#include <vector>

namespace spikeq::inline theory {

struct FixedPointResult {
  std::vector<double> x;  // the solution, or the best iterate when not converged
  bool converged = false;
  int evaluations = 0;  // calls of f
};

// Follows the relaxation dynamics dx/dt = f(x) - x from `start` (adaptive Heun
// steps, clamped to the box) until close, then polishes with Newton (forward-
// difference Jacobian, backtracking); if that fails, Newton from `start`.
// Converged means |f(x)_i - x_i| <= abs_tol + rel_tol |x_i| for all i.
// `upper[i]` may be +inf.
FixedPointResult solve_fixed_point(
    const std::function<std::vector<double>(const std::vector<double>&)>& f,
    std::vector<double> start, const std::vector<double>& upper, double rel_tol = 1e-10,
    double abs_tol = 1e-12);

}  // namespace spikeq::theory
