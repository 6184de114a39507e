// tests/test_gradient_check.cpp — the gradient checker catches wrong gradients, passes
// right ones, and its report names the parameter at fault.
#define BOOST_TEST_MODULE gradient_check
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "tapegrad/autodiff/gradient_check.hpp"

using tapegrad::GradientCheckOptions;
using tapegrad::Tape;
using tapegrad::Var;

BOOST_AUTO_TEST_CASE(central_differences_of_a_cubic_are_accurate) {
    // f(x, y) = x^3 y: df/dx = 3 x^2 y, df/dy = x^3
    const auto f = [](std::span<const double> p) { return p[0] * p[0] * p[0] * p[1]; };
    const std::vector<double> point{1.3, -0.7};
    const auto g = tapegrad::central_differences(f, point);
    BOOST_TEST(std::abs(g[0] - 3 * 1.3 * 1.3 * -0.7) < 1e-8);
    BOOST_TEST(std::abs(g[1] - 1.3 * 1.3 * 1.3) < 1e-8);
}

BOOST_AUTO_TEST_CASE(step_scales_with_the_size_of_x) {
    // At x = 1e8 a fixed step of 1e-6 would be lost to rounding (ulp(1e8) ~ 1.5e-8);
    // the relative step h = 1e-6 * |x| keeps the difference meaningful.
    const auto f = [](std::span<const double> p) { return p[0] * p[0]; };
    const std::vector<double> point{1e8};
    const auto g = tapegrad::central_differences(f, point);
    BOOST_TEST(std::abs(g[0] - 2e8) <= 1e-6 * 2e8);
}

BOOST_AUTO_TEST_CASE(check_gradient_passes_a_correct_tape_gradient) {
    const auto report = tapegrad::check_gradient(
        [](Tape&, const std::vector<Var>& p) { return exp(p[0]) * sin(p[1]) + square(p[0] * p[1]); },
        std::vector<double>{0.4, 1.1}, {}, {"u", "v"});
    BOOST_TEST(report.passed, report);
    BOOST_TEST(report.parameters.size() == 2u);
    BOOST_TEST(report.parameters[0].name == "u");
    const double u = 0.4, v = 1.1;
    BOOST_TEST(std::abs(report.parameters[0].analytic - (std::exp(u) * std::sin(v) + 2 * u * v * v)) < 1e-12);
    BOOST_TEST(report.failures() == 0u);
}

BOOST_AUTO_TEST_CASE(compare_gradients_names_the_wrong_parameter) {
    // A hand-written gradient with one wrong entry (b off by a factor of 2).
    const std::vector<std::string> names{"a", "b", "c"};
    const std::vector<double> claimed{1.0, 4.0, -3.0};
    const std::vector<double> reference{1.0, 2.0, -3.0};
    const auto report = tapegrad::compare_gradients(names, claimed, reference);
    BOOST_TEST(!report.passed);
    BOOST_TEST(report.failures() == 1u);
    BOOST_TEST(report.worst_parameter().name == "b");
    BOOST_TEST(report.worst_parameter().abs_error == 2.0);
    BOOST_TEST(report.worst_parameter().rel_error == 1.0);
    const std::string text = report.to_string();
    BOOST_TEST(text.find("FAILED") != std::string::npos, text);
    BOOST_TEST(text.find("worst: b") != std::string::npos, text);
    BOOST_TEST(text.find("failing: b") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(tolerance_rule_is_atol_plus_rtol_times_numeric) {
    GradientCheckOptions o;
    o.rtol = 1e-3;
    o.atol = 1e-6;
    const std::vector<std::string> names{"inside", "outside"};
    const std::vector<double> numeric{100.0, 100.0};
    const std::vector<double> analytic{100.0 + 0.1 + 0.9e-6, 100.0 + 0.1 + 1.1e-6};
    const auto report = tapegrad::compare_gradients(names, analytic, numeric, o);
    BOOST_TEST(report.parameters[0].passed);
    BOOST_TEST(!report.parameters[1].passed);
}

BOOST_AUTO_TEST_CASE(nan_never_passes) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<std::string> names{"ok", "nan"};
    const std::vector<double> analytic{1.0, nan}, numeric{1.0, 1.0};
    const auto report = tapegrad::compare_gradients(names, analytic, numeric);
    BOOST_TEST(!report.passed);
    BOOST_TEST(report.worst_parameter().name == "nan");
}

BOOST_AUTO_TEST_CASE(matrix_parameters_are_named_by_element) {
    Eigen::MatrixXd a(2, 2);
    a << 1, 2, 3, 4;
    const auto report = tapegrad::check_gradient([](Tape&, const std::vector<Var>& p) { return sum(square(p[0])); },
                                                 std::vector<Eigen::MatrixXd>{a}, {}, {"A"});
    BOOST_TEST(report.passed, report);
    BOOST_TEST(report.parameters.size() == 4u);
    BOOST_TEST(report.parameters[1].name == "A(1,0)");  // column-major order
    BOOST_TEST(std::abs(report.parameters[1].analytic - 6.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(misuse_is_reported) {
    const std::vector<std::string> names{"a"};
    const std::vector<double> two{1.0, 2.0};
    BOOST_CHECK_THROW(tapegrad::compare_gradients(names, two, two), std::invalid_argument);
    BOOST_CHECK_THROW(tapegrad::check_gradient([](Tape&, const std::vector<Var>& p) { return p[0] * 2.0; },
                                               std::vector<Eigen::MatrixXd>{Eigen::MatrixXd::Ones(2, 1)}),
                      tapegrad::TapeError);  // the function must return 1 x 1
}

BOOST_AUTO_TEST_CASE(rounding_of_a_large_loss_is_allowed_for) {
    // f(x) = 1e5 + (x - 1)^2 at x = 0: the exact derivative is -2, but f(x +- h) rounded
    // to doubles carries errors of about eps * 1e5 = 2e-11, so the central difference at
    // h = 1e-6 is off by up to ~1e-5, far beyond atol 1e-8 + rtol 1e-6 * 2. The checker
    // allows for that rounding (and says how much), so the right derivative passes...
    const auto f = [](std::span<const double> x) { return 1e5 + (x[0] - 1) * (x[0] - 1); };
    std::vector<double> rounding;
    const std::vector<double> numeric = tapegrad::central_differences(f, std::vector<double>{0.0}, 1e-6, &rounding);
    BOOST_REQUIRE(rounding.size() == 1u);
    BOOST_TEST(rounding[0] > 1e-5);
    BOOST_TEST(rounding[0] < 1e-3);
    const std::vector<std::string> names{"x"};
    const std::vector<double> right{-2.0}, wrong{-1.0};
    const auto report = tapegrad::compare_gradients(names, right, numeric, {}, rounding);
    BOOST_TEST(report.passed, report);
    BOOST_TEST(report.parameters[0].tolerance > report.parameters[0].rounding);
    // ...and a wrong one still fails: a wrong derivative is off by a factor, not by eps.
    BOOST_TEST(!tapegrad::compare_gradients(names, wrong, numeric, {}, rounding).passed);
}

BOOST_AUTO_TEST_CASE(tape_check_of_a_large_loss_passes) {
    const auto report = tapegrad::check_gradient(
        [](Tape&, const std::vector<Var>& p) { return square(p[0] - 1.0) + 1e5; }, std::vector<double>{0.3});
    BOOST_TEST(report.passed, report);
}

// ---- Along random directions: a check whose cost does not grow with the parameters ----

namespace {

// f(x) = sum_i sin(x_i) x_{i+1} + x_i^2 / 2, with its gradient derived by hand:
// df/dx_i = cos(x_i) x_{i+1} + sin(x_{i-1}) + x_i (the first and last terms as they exist).
struct Chain {
    int calls = 0;
    double operator()(std::span<const double> x) {
        ++calls;
        double f = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            f += x[i] * x[i] / 2;
            if (i + 1 < x.size()) f += std::sin(x[i]) * x[i + 1];
        }
        return f;
    }
    static std::vector<double> gradient(const std::vector<double>& x) {
        std::vector<double> g(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            g[i] = x[i];
            if (i + 1 < x.size()) g[i] += std::cos(x[i]) * x[i + 1];
            if (i > 0) g[i] += std::sin(x[i - 1]);
        }
        return g;
    }
};

std::vector<double> spread(std::size_t n, double scale = 1.0) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = scale * std::sin(0.37 * static_cast<double>(i) + 0.1);
    return x;
}

}  // namespace

BOOST_AUTO_TEST_CASE(directional_check_passes_a_right_gradient_of_many_parameters) {
    for (std::size_t n : {1u, 2u, 17u, 1000u, 200000u}) {
        BOOST_TEST_CONTEXT("n = " << n) {
            Chain f;
            const std::vector<double> x = spread(n);
            int reported = 0;
            const auto report = tapegrad::check_directions(std::ref(f), x, Chain::gradient(x), {}, 5, 42,
                                                           [&](int done) { reported = done; });
            BOOST_TEST(report.passed, report);
            BOOST_TEST(report.parameters.size() == 5u);
            BOOST_TEST(report.parameters[0].name == "direction 1");
            BOOST_TEST(reported == 5);
            // Two evaluations per direction, whatever n: the point of the mode.
            BOOST_TEST(f.calls == 10);
        }
    }
}

BOOST_AUTO_TEST_CASE(directional_check_holds_for_large_parameters) {
    // Entries near 1e6: each moves by 1e-6 |x_i|, as in the full check. A cubic,
    // f = sum x_i^2 x_{i+1}, so that the step's truncation error is relative (h / x)^2:
    // df/dx_i = 2 x_i x_{i+1} + x_{i-1}^2.
    const std::vector<double> x = spread(500, 1e6);
    const auto f = [](std::span<const double> p) {
        double sum = 0;
        for (std::size_t i = 0; i + 1 < p.size(); ++i) sum += p[i] * p[i] * p[i + 1];
        return sum;
    };
    std::vector<double> g(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        g[i] = (i + 1 < x.size() ? 2 * x[i] * x[i + 1] : 0.0) + (i > 0 ? x[i - 1] * x[i - 1] : 0.0);
    BOOST_TEST(tapegrad::check_directions(f, x, g).passed);
    g[250] *= 1.5;
    BOOST_TEST(!tapegrad::check_directions(f, x, g).passed);
}

BOOST_AUTO_TEST_CASE(directional_check_catches_one_wrong_entry_among_many) {
    for (std::size_t wrong : {0u, 4999u, 9999u}) {
        BOOST_TEST_CONTEXT("entry " << wrong) {
            Chain f;
            const std::vector<double> x = spread(10000);
            std::vector<double> g = Chain::gradient(x);
            g[wrong] += 0.5;  // one entry of ten thousand off by a half
            const auto report = tapegrad::check_directions(std::ref(f), x, g, {}, 4, 7);
            BOOST_TEST(!report.passed);
            BOOST_TEST(report.failures() >= 3u, report);
        }
    }
}

BOOST_AUTO_TEST_CASE(directional_check_catches_a_gradient_off_by_a_factor) {
    // The article's defect: every entry 6 times too small.
    Chain f;
    const std::vector<double> x = spread(3000);
    std::vector<double> g = Chain::gradient(x);
    for (double& v : g) v /= 6;
    BOOST_TEST(tapegrad::check_directions(std::ref(f), x, g).failures() == 4u);
}

BOOST_AUTO_TEST_CASE(directional_check_refuses_mismatched_sizes) {
    Chain f;
    const std::vector<double> x = spread(3), short_gradient(2);
    BOOST_CHECK_THROW(tapegrad::check_directions(std::ref(f), x, short_gradient), std::invalid_argument);
    BOOST_CHECK_THROW(tapegrad::check_directions(std::ref(f), x, Chain::gradient(x), {}, 0), std::invalid_argument);
    BOOST_TEST(f.calls == 0);
}
