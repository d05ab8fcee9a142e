// engine/analysis/statistics.h against values computed by hand on small samples, and
// the Kolmogorov distribution and t/normal quantiles against scipy 1.10.1
// (scipy.special.kolmogorov, scipy.stats.norm/t; Debian python3-scipy).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "engine/analysis/statistics.h"

using namespace spikeq::analysis;

TEST_CASE("moments: mean, unbiased variance, SEs", "[analysis]") {
  const std::vector<double> x = {1, 2, 3, 4};
  const Moments m = moments(x);
  CHECK(m.n == 4);
  CHECK(m.mean == 2.5);
  CHECK(m.var == Approx(5.0 / 3));           // (2.25 + 0.25 + 0.25 + 2.25) / 3
  CHECK(m.se_mean() == Approx(std::sqrt(5.0 / 12)));
  CHECK(m.cv() == Approx(std::sqrt(5.0 / 3) / 2.5));
  CHECK(m.fano() == Approx(2.0 / 3));
  CHECK(moments(std::vector<double>{7}).mean == 7);
  CHECK(moments(std::vector<double>{}).n == 0);
}

TEST_CASE("isis and counts use left-open intervals: from < t <= to", "[analysis]") {
  const std::vector<double> t = {1, 3, 6, 10};
  CHECK(isis(t) == std::vector<double>{2, 3, 4});
  CHECK(isis(t, 2, 10) == std::vector<double>{3, 4});   // spikes 3, 6, 10
  CHECK(isis(t, 1, 9) == std::vector<double>{3});       // 1 excluded (t > from), 10 beyond
  CHECK(isis(t, 6, 10).empty());                        // one spike left
  // Windows (0,1], (1,2], (2,3], (3,4]: a time on a boundary closes the window before it.
  const std::vector<double> s = {0.5, 1.0, 1.5, 2.0, 3.7, 4.5, 0.0};
  CHECK(counts_in_windows(s, 0, 1, 4) == std::vector<double>{2, 2, 0, 1});
  // A grid time an ulp past a boundary still closes the window before it:
  // 3 x 0.1 = 0.30000000000000004 belongs to (0.2, 0.3].
  CHECK(counts_in_windows(std::vector<double>{3 * 0.1}, 0, 0.1, 4) == std::vector<double>{0, 0, 1, 0});
}

TEST_CASE("Fano factor: ratio of summed variances to summed means, with its SE", "[analysis]") {
  // node A: counts 1, 3, 2 (mean 2, var 1); node B: 0, 0, 3 (mean 1, var 3).
  // F = (1 + 3) / (2 + 1) = 4/3. Residuals var_i - F mean_i = -5/3, +5/3:
  // SE = sqrt((25/9 + 25/9) / (2 * 1)) / 1.5 = (5/3) / 1.5 = 10/9.
  const Estimate f = fano_factor({{1, 3, 2}, {0, 0, 3}});
  CHECK(f.value == Approx(4.0 / 3));
  CHECK(f.se == Approx(10.0 / 9));
  // A silent node adds nothing to either sum.
  CHECK(fano_factor({{1, 3, 2}, {0, 0, 3}, {0, 0, 0}}).value == Approx(4.0 / 3));
  // One node: SE from the chi-square law, F sqrt(2/(n-1)).
  const Estimate one = fano_factor({{1, 3, 2}});
  CHECK(one.value == Approx(0.5));
  CHECK(one.se == Approx(0.5));
}

TEST_CASE("Kolmogorov survival function matches scipy.special.kolmogorov", "[analysis]") {
  const double table[][2] = {{0.2, 0.999999999999495},      {0.3, 0.9999906941986655},
                             {0.5, 0.9639452436648751},     {0.8, 0.5441424115741981},
                             {0.99, 0.2808738392255489},    {1.0, 0.26999967167735456},
                             {1.2, 0.11224966667072497},    {1.5, 0.022217962616525127},
                             {2.5, 7.453306344157342e-06},  {4.0, 2.532833109818835e-14}};
  for (const auto& row : table) {
    INFO("lambda = " << row[0]);
    CHECK(kolmogorov_survival(row[0]) == Approx(row[1]).epsilon(1e-12).margin(1e-15));
  }
  CHECK(kolmogorov_survival(0) == 1);
}

TEST_CASE("two-sample KS: statistic by hand, ties, asymptotic p", "[analysis]") {
  // ECDF gaps at 1, 2, 2.5, 3, 4: 1/4, 2/4, 1/4, 2/4, 3/4 -> D = 3/4; n_eff = 16/8 = 2.
  const KsResult r = ks_two_sample({4, 3, 2, 1}, {2.5, 5, 6, 7});
  CHECK(r.d == Approx(0.75));
  CHECK(r.n_a == 4);
  CHECK(r.n_b == 4);
  // Stephens: lambda = (sqrt 2 + 0.12 + 0.11/sqrt 2) 0.75 = 1.2089964812277114;
  // scipy.special.kolmogorov(lambda) = 0.10749046502096637.
  CHECK(r.p == Approx(0.10749046502096637).epsilon(1e-10));
  // Ties step both samples together: at 1, F_a = 2/3, F_b = 1/3; at 2 both 1.
  CHECK(ks_two_sample({1, 1, 2}, {1, 2, 2}).d == Approx(1.0 / 3));
  CHECK(ks_two_sample({1, 2, 3}, {1, 2, 3}).d == 0);
  CHECK(std::isnan(ks_two_sample({}, {1.0}).p));
  // One-sample: {0.1, 0.5, 0.9} against U(0,1): max(1/3 - 0.1, 0.5 - 1/3, 1 - 0.9, ...) = 0.2333.
  CHECK(ks_statistic({0.9, 0.1, 0.5}, [](double x) { return x; }) == Approx(0.7 / 3));
}

TEST_CASE("quantiles, p-values, differences and trial means", "[analysis]") {
  CHECK(two_sided_quantile(0.05) == Approx(1.9599639845400545).epsilon(1e-12));  // scipy norm.isf(0.025)
  CHECK(two_sided_quantile(0.05, 10) == Approx(2.2281388519649385).epsilon(1e-10));  // t.isf(0.025, 10)
  CHECK(two_sided_p(1.9599639845400545) == Approx(0.05).epsilon(1e-12));
  CHECK(two_sided_p(2.5, 7) == Approx(0.040992218585752874).epsilon(1e-10));  // 2 t.sf(2.5, 7)
  CHECK(two_sided_p(40) < 1e-300);
  // Welch: se_a = 1 (dof 4), se_b = 2 (dof 9): dof = 25 / (1/4 + 16/9) = 12.3288...
  const Estimate d = difference({10, 1, 4}, {8, 2, 9});
  CHECK(d.value == 2);
  CHECK(d.se == Approx(std::sqrt(5.0)));
  CHECK(d.dof == Approx(25.0 / (0.25 + 16.0 / 9)));
  CHECK(std::isinf(difference({1, 1}, {0, 1}).dof));
  const std::vector<double> x = {1, 2, 3, 4, 5};
  const Estimate m = mean_with_sem(x);
  CHECK(m.value == 3);
  CHECK(m.se == Approx(std::sqrt(2.5 / 5)));
  CHECK(m.dof == 4);
  CHECK(std::isnan(mean_with_sem(std::vector<double>{2}).se));
}

TEST_CASE("weighted linear fit recovers a line and its slope SE", "[analysis]") {
  const std::vector<double> x = {0, 1, 2, 3}, y = {2, 2.5, 3, 3.5}, w = {1, 2, 1, 4};
  const LinearFit f = weighted_linear_fit(x, y, w);
  CHECK(f.n == 4);
  CHECK(f.slope == Approx(0.5));
  CHECK(f.intercept == Approx(2));
  CHECK(f.chi2 == Approx(0).margin(1e-20));
  // sum w = 8, sum w x = 16, sum w x^2 = 42: det = 8*42 - 16^2 = 80, SE = sqrt(8/80).
  CHECK(f.slope_se == Approx(std::sqrt(0.1)));
  // Non-positive weights are left out; fewer than two points give no fit.
  CHECK(weighted_linear_fit(x, y, std::vector<double>{1, 0, 0, 0}).n == 1);
  CHECK(std::isnan(weighted_linear_fit(x, y, std::vector<double>{1, 0, 0, 0}).slope));
}
