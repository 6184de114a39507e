/// \file
/// The one gradient checker: tape versus central
/// finite differences, with a report that says which parameter is wrong and by how much.
///
/// Central difference for parameter x_i:
///     g_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h),   h = step * max(1, |x_i|)
/// Its truncation error shrinks like h², its rounding error grows like eps·|f|/h; with
/// doubles (eps ≈ 2.2e-16) a step of 1e-6 balances the two for functions whose third
/// derivative is of order one, leaving errors around 1e-10 relative. The divisor is the
/// step actually taken, (x + h) - (x - h) as rounded, not 2h as written.
///
/// A parameter passes when |analytic - numeric| <= atol + rtol * |numeric| + rounding
/// (the rule of numpy.isclose and PyTorch's gradcheck, plus the step's own rounding
/// error): rounding = 16 eps max(|f(x+h)|, |f(x-h)|) / (2h), the most that rounding f to
/// doubles can move the central difference. Without it a large loss (|f| = 1e5: 2e-5
/// at h = 1e-6) would fail a correct gradient. Defaults: step 1e-6, rtol 1e-6, atol 1e-8.
/// Used by the tests, the examples and the benchmarks alike; `compare_gradients` is the
/// same judgement for any two gradients (e.g. the tape against a hand-written one).
///
/// A full check costs two evaluations of f per parameter: for a million parameters, hours.
/// `check_directions` costs two per direction, whatever the size: it compares the gradient
/// along a few random directions d, g·d, with the central difference of f along d (the
/// fast mode of PyTorch's gradcheck).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

struct GradientCheckOptions {
    double step = 1e-6;  ///< relative finite-difference step: h = step * max(1, |x|)
    double rtol = 1e-6;  ///< pass when |a - n| <= atol + rtol * |n|
    double atol = 1e-8;
};

struct ParameterCheck {
    std::string name;
    double analytic = 0;   ///< the gradient under test (the tape's, or a hand-written one)
    double numeric = 0;    ///< the reference (central differences, or another gradient)
    double abs_error = 0;  ///< |analytic - numeric|
    double rel_error = 0;  ///< |analytic - numeric| / |numeric| (0 when both are 0)
    double rounding = 0;   ///< the reference's rounding error allowed for (0 for two exact gradients)
    double tolerance = 0;  ///< the threshold applied: atol + rtol * |numeric| + rounding
    bool passed = false;
};

struct GradientReport {
    std::vector<ParameterCheck> parameters;
    GradientCheckOptions options;
    std::size_t worst = 0;  ///< the parameter furthest outside (or least inside) its threshold
    bool passed = true;

    const ParameterCheck& worst_parameter() const { return parameters.at(worst); }
    std::size_t failures() const;
    /// A table of every parameter, then a line naming the worst (and every failing) one.
    std::string to_string() const;
};
std::ostream& operator<<(std::ostream& out, const GradientReport& report);

/// Judge `analytic` against the reference `numeric`, parameter by parameter; `rounding`
/// (empty, or one per parameter) is the reference's own rounding error, added to the
/// threshold.
GradientReport compare_gradients(const std::vector<std::string>& names, std::span<const double> analytic,
                                 std::span<const double> numeric, const GradientCheckOptions& options = {},
                                 std::span<const double> rounding = {});

/// Central differences of a plain function of a vector, one entry per parameter. With
/// `rounding`, it also receives each entry's rounding error bound (see above).
std::vector<double> central_differences(const std::function<double(std::span<const double>)>& f,
                                        std::span<const double> point, double step = 1e-6,
                                        std::vector<double>* rounding = nullptr);

/// The gradient `gradient` of f at `point`, checked along `directions` random directions (seeded
/// by `seed`): each d has entries ±max(1, |x_i|) with random signs, so every parameter moves by
/// the step the full check gives it alone. The check compares g·(x⁺ - x⁻) with f(x⁺) - f(x⁻),
/// where x± = x ± step·d as rounded, both divided by 2·step: exact to first order whatever the
/// rounding of x±. The threshold has the full check's terms (atol + rtol·|numeric| +
/// rounding), with sqrt(n) times its rounding allowance, since every term of f now rounds
/// differently at x⁺ and x⁻. A wrong entry g_i moves g·d by its error; several directions make
/// a cancellation by chance unlikely. One row per direction, named "direction 1", ...;
/// `progress`, when given, is called with the number of directions done after each.
GradientReport check_directions(const std::function<double(std::span<const double>)>& f,
                                std::span<const double> point, std::span<const double> gradient,
                                const GradientCheckOptions& options = {}, int directions = 4,
                                std::uint64_t seed = 1, const std::function<void(int)>& progress = {});

/// A computation to check: given a tape and the parameters recorded on it as variables
/// (with the shapes of the point), record the computation and return its 1 x 1 output.
using TapeFunction = std::function<Var(Tape&, const std::vector<Var>&)>;

/// Record `f` at `point`, take the tape's gradient, and compare it with central
/// differences of f for every element of every parameter. `names` name the parameters
/// (default x0, x1, ...); elements of a matrix parameter are named like "A(1,0)".
GradientReport check_gradient(const TapeFunction& f, const std::vector<Eigen::MatrixXd>& point,
                              const GradientCheckOptions& options = {}, const std::vector<std::string>& names = {});
/// The same for scalar parameters.
GradientReport check_gradient(const TapeFunction& f, const std::vector<double>& point,
                              const GradientCheckOptions& options = {}, const std::vector<std::string>& names = {});

}  // namespace tapegrad
