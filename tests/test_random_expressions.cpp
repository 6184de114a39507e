// tests/test_random_expressions.cpp — the class, not the case: thousands of random
// expression graphs over Vars, each recorded by every mode there is and held to two
// independent references. (Issue 28: five hand-picked sums passed while the sixth term of
// `w1 * x1 + b + ...` vanished.)
//
// A graph is a list of nodes, each an operator or function of var.hpp on earlier nodes,
// the leaves variables, constant nodes or plain numbers; a node may be used many times
// (shared subexpressions), and sums of 1 to 20 products with a bias anywhere are written
// the way a learner writes them. Each graph is evaluated in plain doubles (the same
// operations in the same order) and recorded on the core's tape, on a tape recorded at
// another point and replayed, compiled from the tape (OptimizedTape), and traced at another
// point by a CompiledLoss. The values must match the doubles; the gradients must match
// central differences of the doubles and each other. Graphs whose numbers leave the ranges
// where central differences are reliable (a kink within reach of the step, a log near 0, a
// value over 1e4) are drawn again, so the seed fixes the graphs. Every number is 1 x 1:
// shapes are the business of test_var, test_kernels and test_optimized_tape.
//
// Then the sums of issue 28 by hand, on the core's tape and compiled: the compiler's
// weighted-sum fusion is where that class of bug now lives (a term lost, or added twice,
// when the bias sits between the products).
#define BOOST_TEST_MODULE random_expressions
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/autodiff/optimized_tape.hpp"
#include "tapegrad/autodiff/tape.hpp"

using tapegrad::CompiledLoss;
using tapegrad::OptimizedTape;
using tapegrad::Tape;
using tapegrad::Var;

namespace {

// Every operator and function of var.hpp, as a node of a graph.
// One line per family (clang-format would put each on a line of its own).
// clang-format off
enum class Kind {
    variable, constant,                                              // leaves
    add, subtract, multiply, divide,                                 // Var op Var
    add_number, number_add, subtract_number, number_subtract,        // Var op double, double op Var
    multiply_number, number_multiply, divide_number, number_divide,  //
    negate, exp, log, sqrt, pow_number, pow, square, cube, abs, sin, cos, tanh, sigmoid, relu, identity,
    matmul, transpose, linear, mean_squared_error, sum, mean, col_sums, row_sums, col_means, row_means,
    sum_of_products,            // a1 * b1 + ... + ak * bk with a bias anywhere (or none)
    squared_difference,         // square(a - b)
    mean_squared_difference,    // mean(square(a - b))
    count
};
// clang-format on
constexpr int kinds = static_cast<int>(Kind::count);

struct Node {
    Kind kind;
    std::vector<int> in;  // earlier nodes; a sum of products: a1, b1, ..., ak, bk, then the bias
    double number = 0.0;  // a leaf's value, or the plain number of `x + 2.5`, pow's exponent
    int bias_after = -1;  // a sum of products: the bias after this many products (-1: none)
};
using Graph = std::vector<Node>;

// A fixed pseudo-random sequence (the graphs are the same on every run and platform).
struct Random {
    std::uint64_t state;
    std::uint64_t bits() {
        state = state * 6364136223846793005u + 1442695040888963407u;
        return state >> 33;
    }
    int below(int n) { return static_cast<int>(bits() % static_cast<std::uint64_t>(n)); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * static_cast<double>(bits()) / 2147483648.0; }
};

// ---- Plain double arithmetic: the same operations in the same order -------------------------

struct Checked {
    std::vector<double> value;
    bool reliable = true;         // every number in the ranges the file's description names
    std::vector<bool> kink_side;  // which side of its kink each abs and relu is on
};
double sum_of_products(const Node& n, const std::vector<double>& v) {
    const int k = static_cast<int>(n.in.size()) / 2;
    const double bias = n.bias_after >= 0 ? v[n.in.back()] : 0.0;
    double y = n.bias_after == 0 ? bias : 0.0;
    for (int i = 0; i < k; ++i) {
        const double p = v[n.in[2 * i]] * v[n.in[2 * i + 1]];
        y = (i == 0 && n.bias_after != 0) ? p : y + p;
        if (i + 1 == n.bias_after) y += bias;
    }
    return y;
}
double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
Checked evaluate(const Graph& g, std::span<const double> variables) {
    Checked c;
    std::vector<double>& v = c.value;
    std::size_t next_variable = 0;
    const auto away_from = [&](double x, double from, double margin) {
        if (!(std::abs(x - from) > margin)) c.reliable = false;
    };
    const auto positive = [&](double x) {  // log, sqrt and pow: well inside their domain
        if (!(x > 0.1)) c.reliable = false;
    };
    for (const Node& n : g) {
        const double a = n.in.empty() ? 0.0 : v[n.in[0]], b = n.in.size() > 1 ? v[n.in[1]] : 0.0, k = n.number;
        double y = 0.0;
        switch (n.kind) {
            case Kind::variable: y = variables[next_variable++]; break;
            case Kind::constant: y = k; break;
            case Kind::add: y = a + b; break;
            case Kind::subtract: y = a - b; break;
            case Kind::multiply:
            case Kind::matmul: y = a * b; break;
            case Kind::divide: away_from(b, 0, 0.1), y = a / b; break;
            case Kind::add_number: y = a + k; break;
            case Kind::number_add: y = k + a; break;
            case Kind::subtract_number: y = a - k; break;
            case Kind::number_subtract: y = k - a; break;
            case Kind::multiply_number: y = a * k; break;
            case Kind::number_multiply: y = k * a; break;
            case Kind::divide_number: y = a / k; break;
            case Kind::number_divide: away_from(a, 0, 0.1), y = k / a; break;
            case Kind::negate: y = -a; break;
            case Kind::exp: y = std::exp(a); break;
            case Kind::log: positive(a), y = std::log(a); break;
            case Kind::sqrt: positive(a), y = std::sqrt(a); break;
            case Kind::pow_number: positive(a), y = std::pow(a, k); break;
            case Kind::pow: positive(a), y = std::pow(a, b); break;
            case Kind::square: y = a * a; break;
            case Kind::cube: y = a * a * a; break;
            case Kind::abs: away_from(a, 0, 1e-3), c.kink_side.push_back(a > 0), y = std::abs(a); break;
            case Kind::relu: away_from(a, 0, 1e-3), c.kink_side.push_back(a > 0), y = a > 0 ? a : 0.0; break;
            case Kind::sin: y = std::sin(a); break;
            case Kind::cos: y = std::cos(a); break;
            case Kind::tanh: y = std::tanh(a); break;
            case Kind::sigmoid: y = sigmoid(a); break;
            case Kind::identity:
            case Kind::transpose:
            case Kind::sum:
            case Kind::col_sums:
            case Kind::row_sums: y = a; break;
            case Kind::mean:
            case Kind::col_means:
            case Kind::row_means: y = a / 1.0; break;
            case Kind::linear: y = v[n.in[2]] + a * b; break;  // b + x w, for 1 x 1
            case Kind::mean_squared_error:
            case Kind::squared_difference:
            case Kind::mean_squared_difference: y = (a - b) * (a - b); break;
            case Kind::sum_of_products: y = sum_of_products(n, v); break;
            case Kind::count: break;
        }
        if (!(std::abs(y) < 1e4)) c.reliable = false;  // NaN too
        v.push_back(y);
    }
    return c;
}

// ---- The same graph recorded on a tape --------------------------------------------------------

// p1 + p2 + b + p3 + ...: one `+` at a time, left to right, as a learner writes it.
Var record_sum_of_products(const Node& n, const std::vector<Var>& v) {
    const int k = static_cast<int>(n.in.size()) / 2;
    Var y = n.bias_after == 0 ? v[n.in.back()] : Var();
    for (int i = 0; i < k; ++i) {
        const Var p = v[n.in[2 * i]] * v[n.in[2 * i + 1]];
        y = y.empty() ? p : y + p;
        if (i + 1 == n.bias_after) y = y + v[n.in.back()];
    }
    return y;
}
Var record(Tape& tape, const Graph& g, std::span<const double> variables) {
    std::vector<Var> v;
    std::size_t next_variable = 0;
    for (const Node& n : g) {
        const Var a = n.in.empty() ? Var() : v[n.in[0]], b = n.in.size() > 1 ? v[n.in[1]] : Var();
        const double k = n.number;
        switch (n.kind) {
            case Kind::variable: v.push_back(tape.variable(variables[next_variable++])); break;
            case Kind::constant: v.push_back(tape.constant(k)); break;
            case Kind::add: v.push_back(a + b); break;
            case Kind::subtract: v.push_back(a - b); break;
            case Kind::multiply: v.push_back(a * b); break;
            case Kind::divide: v.push_back(a / b); break;
            case Kind::add_number: v.push_back(a + k); break;
            case Kind::number_add: v.push_back(k + a); break;
            case Kind::subtract_number: v.push_back(a - k); break;
            case Kind::number_subtract: v.push_back(k - a); break;
            case Kind::multiply_number: v.push_back(a * k); break;
            case Kind::number_multiply: v.push_back(k * a); break;
            case Kind::divide_number: v.push_back(a / k); break;
            case Kind::number_divide: v.push_back(k / a); break;
            case Kind::negate: v.push_back(-a); break;
            case Kind::exp: v.push_back(exp(a)); break;
            case Kind::log: v.push_back(log(a)); break;
            case Kind::sqrt: v.push_back(sqrt(a)); break;
            case Kind::pow_number: v.push_back(pow(a, k)); break;
            case Kind::pow: v.push_back(pow(a, b)); break;
            case Kind::square: v.push_back(square(a)); break;
            case Kind::cube: v.push_back(cube(a)); break;
            case Kind::abs: v.push_back(abs(a)); break;
            case Kind::sin: v.push_back(sin(a)); break;
            case Kind::cos: v.push_back(cos(a)); break;
            case Kind::tanh: v.push_back(tanh(a)); break;
            case Kind::sigmoid: v.push_back(sigmoid(a)); break;
            case Kind::relu: v.push_back(relu(a)); break;
            case Kind::identity: v.push_back(identity(a)); break;
            case Kind::matmul: v.push_back(matmul(a, b)); break;
            case Kind::transpose: v.push_back(transpose(a)); break;
            case Kind::linear: v.push_back(linear(a, b, v[n.in[2]])); break;
            case Kind::mean_squared_error: v.push_back(mean_squared_error(a, b)); break;
            case Kind::sum: v.push_back(sum(a)); break;
            case Kind::mean: v.push_back(mean(a)); break;
            case Kind::col_sums: v.push_back(col_sums(a)); break;
            case Kind::row_sums: v.push_back(row_sums(a)); break;
            case Kind::col_means: v.push_back(col_means(a)); break;
            case Kind::row_means: v.push_back(row_means(a)); break;
            case Kind::sum_of_products: v.push_back(record_sum_of_products(n, v)); break;
            case Kind::squared_difference: v.push_back(square(a - b)); break;
            case Kind::mean_squared_difference: v.push_back(mean(square(a - b))); break;
            case Kind::count: break;
        }
    }
    return v.back();
}

// ---- Drawing graphs ---------------------------------------------------------------------------

int inputs_of(Kind k) {
    switch (k) {
        case Kind::variable:
        case Kind::constant: return 0;
        case Kind::add:
        case Kind::subtract:
        case Kind::multiply:
        case Kind::divide:
        case Kind::pow:
        case Kind::matmul:
        case Kind::mean_squared_error:
        case Kind::squared_difference:
        case Kind::mean_squared_difference: return 2;
        case Kind::linear: return 3;
        case Kind::sum_of_products: return -1;
        default: return 1;
    }
}
// A graph of `variables` variables, a few constants and `operations` operations, the last
// one the loss. Inputs are drawn mostly from the newest nodes (so graphs grow deep) and
// sometimes from any earlier one (so subexpressions are shared).
Graph draw(Random& r, int variables, int operations) {
    Graph g;
    for (int i = 0; i < variables; ++i) g.push_back({Kind::variable, {}, 0.0});
    for (int i = 0, n = 1 + r.below(3); i < n; ++i) g.push_back({Kind::constant, {}, r.uniform(-2, 2)});
    const auto input = [&] {
        const int size = static_cast<int>(g.size());
        return r.below(3) == 0 ? r.below(size) : size - 1 - r.below(std::min(size, 3));
    };
    for (int i = 0; i < operations; ++i) {
        Node n{static_cast<Kind>(2 + r.below(kinds - 2)), {}, r.uniform(0.5, 2.5) * (r.below(2) ? 1 : -1)};
        if (n.kind == Kind::pow_number) n.number = r.uniform(-2.0, 3.0);
        if (n.kind == Kind::sum_of_products) {
            const int k = 1 + r.below(20);
            for (int p = 0; p < 2 * k; ++p) n.in.push_back(input());
            n.bias_after = r.below(k + 2) - 1;  // none, or after 0..k products
            if (n.bias_after >= 0) n.in.push_back(input());
        } else {
            for (int p = 0; p < inputs_of(n.kind); ++p) n.in.push_back(input());
        }
        g.push_back(n);
    }
    return g;
}

// The graph as text, for a failure's message: "3 = divide(1, 2)" for each node.
std::string describe(const Graph& g, const std::vector<double>& x) {
    static const char* const names[] = {"variable",
                                        "constant",
                                        "add",
                                        "subtract",
                                        "multiply",
                                        "divide",
                                        "add_number",
                                        "number_add",
                                        "subtract_number",
                                        "number_subtract",
                                        "multiply_number",
                                        "number_multiply",
                                        "divide_number",
                                        "number_divide",
                                        "negate",
                                        "exp",
                                        "log",
                                        "sqrt",
                                        "pow_number",
                                        "pow",
                                        "square",
                                        "cube",
                                        "abs",
                                        "sin",
                                        "cos",
                                        "tanh",
                                        "sigmoid",
                                        "relu",
                                        "identity",
                                        "matmul",
                                        "transpose",
                                        "linear",
                                        "mean_squared_error",
                                        "sum",
                                        "mean",
                                        "col_sums",
                                        "row_sums",
                                        "col_means",
                                        "row_means",
                                        "sum_of_products",
                                        "squared_difference",
                                        "mean_squared_difference"};
    static_assert(std::size(names) == kinds);
    std::ostringstream out;
    std::size_t next_variable = 0;
    for (std::size_t k = 0; k < g.size(); ++k) {
        out << "\n  " << k << " = " << names[static_cast<int>(g[k].kind)] << "(";
        for (std::size_t i = 0; i < g[k].in.size(); ++i) out << (i ? ", " : "") << g[k].in[i];
        out << ")";
        if (g[k].kind == Kind::variable) out << " at " << x[next_variable++];
        if (inputs_of(g[k].kind) < 2 && g[k].kind != Kind::variable) out << " number " << g[k].number;
        if (g[k].kind == Kind::sum_of_products) out << " bias after " << g[k].bias_after;
    }
    return out.str();
}

// ---- Checking one graph -----------------------------------------------------------------------

// Central differences of the doubles: a step of 1e-6 (times the variable, when larger).
// Their error is the rounding of the function's values over the step, about eps times the
// sum of the magnitudes of all the graph's numbers over h, and h^2 f''' / 6 (small: every
// number is under 1e4 and no kink is within reach). The tolerance is 1e-6 relative, plus
// 1e-7, plus sixteen times that rounding estimate.
struct Numeric {
    std::vector<double> gradient, tolerance;
    bool reliable = true;
};
Numeric central_differences(const Graph& g, const std::vector<double>& x) {
    Numeric d;
    const Checked at = evaluate(g, x);
    double magnitude = 0.0;
    for (double v : at.value) magnitude += std::abs(v);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double h = 1e-6 * std::max(1.0, std::abs(x[i]));
        std::vector<double> up = x, down = x;
        up[i] += h, down[i] -= h;
        const Checked u = evaluate(g, up), l = evaluate(g, down);
        if (!u.reliable || !l.reliable || u.kink_side != at.kink_side || l.kink_side != at.kink_side)
            d.reliable = false;
        const double n = (u.value.back() - l.value.back()) / (2 * h);
        d.gradient.push_back(n);
        d.tolerance.push_back(1e-6 * std::abs(n) + 1e-7 + 16 * std::numeric_limits<double>::epsilon() * magnitude / h);
    }
    return d;
}
bool close(double a, double b, double rtol) {
    return std::abs(a - b) <= rtol * std::max({std::abs(a), std::abs(b), 1e-300}) || std::abs(a - b) <= 1e-300;
}

struct Mode {
    std::string name;
    double value;
    std::vector<double> gradient;
};
// The graph's loss and gradient at x by every mode there is.
std::vector<Mode> every_mode(const Graph& g, const std::vector<double>& x, const std::vector<double>& elsewhere) {
    std::vector<Mode> modes;
    Tape tape;
    const Var loss = record(tape, g, x);
    Mode plain{"core tape", loss.scalar_value(), std::vector<double>(x.size())};
    tape.gradient(loss, plain.gradient);
    modes.push_back(plain);

    OptimizedTape plan(tape, loss);  // every graph here compiles
    Mode compiled{"compiled (OptimizedTape)", 0.0, std::vector<double>(x.size())};
    compiled.value = plan.gradient(x, compiled.gradient);
    modes.push_back(compiled);

    CompiledLoss traced([&](Tape& t, std::span<const double> at) { return record(t, g, at); });
    traced.trace(elsewhere);  // traced at another point, then evaluated at x
    Mode from_trace{"traced elsewhere (CompiledLoss)", 0.0, std::vector<double>(x.size())};
    from_trace.value = traced.gradient(x, from_trace.gradient);
    modes.push_back(from_trace);

    Tape other;
    const Var other_loss = record(other, g, elsewhere);  // recorded at another point, then replayed at x
    other.replay(x);
    Mode replayed{"replayed", other_loss.scalar_value(), std::vector<double>(x.size())};
    other.gradient(other_loss, replayed.gradient);
    modes.push_back(replayed);
    return modes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_expressions_agree_with_doubles_central_differences_and_every_mode) {
    constexpr int graphs = 3000;
    Random r{20260428};
    int drawn = 0, checked = 0, long_sums = 0;
    std::vector<int> used(kinds, 0);
    while (checked < graphs) {
        ++drawn;
        const int variables = 1 + r.below(5);
        Graph g = draw(r, variables, 1 + r.below(24));
        std::vector<double> x, elsewhere;
        for (int i = 0; i < variables; ++i) x.push_back(r.uniform(-2, 2)), elsewhere.push_back(x.back() * 1.25 + 0.1);
        const Checked plain = evaluate(g, x);
        if (!plain.reliable) continue;
        const Numeric numeric = central_differences(g, x);
        if (!numeric.reliable) continue;
        ++checked;
        for (const Node& n : g) {
            ++used[static_cast<int>(n.kind)];
            const int products = static_cast<int>(n.in.size()) / 2;  // a sum that goes on past its recording
            long_sums +=
                n.kind == Kind::sum_of_products && (products > 4 || (n.bias_after > 0 && n.bias_after + 1 < products));
        }
        BOOST_TEST_CONTEXT("graph " << checked << " (drawn " << drawn << "): " << describe(g, x)) {
            const std::vector<Mode> modes = every_mode(g, x, elsewhere);
            for (const Mode& m : modes) BOOST_TEST_CONTEXT(m.name) {
                    BOOST_TEST(close(m.value, plain.value.back(), 1e-13),
                               m.value << " vs doubles " << plain.value.back());
                    for (std::size_t i = 0; i < x.size(); ++i) {
                        BOOST_TEST(std::abs(m.gradient[i] - numeric.gradient[i]) <= numeric.tolerance[i],
                                   "d/dx" << i << ": " << m.gradient[i] << " vs central differences "
                                          << numeric.gradient[i] << " (tolerance " << numeric.tolerance[i] << ")");
                        // The modes among themselves: the same sums up to the order of additions.
                        BOOST_TEST(
                            close(m.gradient[i], modes[0].gradient[i], 1e-12),
                            "d/dx" << i << ": " << m.gradient[i] << " vs the core tape's " << modes[0].gradient[i]);
                    }
                }
        }
    }
    for (int k = 2; k < kinds; ++k) BOOST_TEST(used[k] > 50, "operation " << k << " was drawn " << used[k] << " times");
    BOOST_TEST(long_sums > 100, long_sums << " sums went on past a fifth product or past the bias");
    BOOST_TEST(drawn < 4 * graphs, drawn << " graphs drawn for " << graphs << " reliable ones");
}

// ---- Issue 28: a sum that goes on past the bias ---------------------------------------------
// `w1 * x1 + b + w2 * x2 + w3 * x3` once gave 3, not 106: the sum was recorded when the bias
// came, and the next product started afresh. Every `+` is a node of the core's tape now;
// the compiler gathers the add tree back into one weighted-sum step, and must keep every
// term, each once, in the tape's order. So each sum here runs on the core's tape and
// compiled, against plain doubles added in the same order (equal to the last bit) and
// d/dw_i = x_i, d/dx_i = w_i, d/db = 1 by hand.

namespace {
struct Sum {
    std::vector<Var> w, x;
    Var b;
};
// w_i * x_i for i = 1..n with the bias b after the first `bias_after` products (0: first,
// n: last, -1: none), one `+` at a time as written, and the same sum in plain doubles.
Var written_sum(const Sum& s, int bias_after) {
    Var y = bias_after == 0 ? s.b : Var();
    for (std::size_t i = 0; i < s.w.size(); ++i) {
        y = y.empty() ? s.w[i] * s.x[i] : y + s.w[i] * s.x[i];
        if (static_cast<int>(i) + 1 == bias_after) y = y + s.b;
    }
    return y;
}
double plain_sum(const std::vector<double>& w, const std::vector<double>& x, double b, int bias_after) {
    double y = bias_after == 0 ? b : 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        y = (i == 0 && bias_after != 0) ? w[i] * x[i] : y + w[i] * x[i];
        if (static_cast<int>(i) + 1 == bias_after) y += b;
    }
    return y;
}
// y's value and d y / d (every variable, in recording order): from the core's tape, or
// from a plan compiled from it.
struct Result {
    double value;
    std::vector<double> gradient;
};
Result evaluate_sum(Tape& tape, Var y, bool compiled) {
    Result r{0.0, std::vector<double>(tape.variable_elements())};
    if (compiled) {
        std::vector<double> point;
        for (std::size_t k = 0; k < tape.size(); ++k)
            if (tape.node(k).op == tapegrad::Op::variable) point.push_back(tape.value(k)(0, 0));
        r.value = OptimizedTape(tape, y).gradient(point, r.gradient);
    } else {
        tape.gradient(y, r.gradient);
        r.value = y.scalar_value();
    }
    return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(bias_between_products_is_kept) {
    // The sums, each w = 1: three products with the bias second (the article's kind
    // of numbers: 1 + 100 + 2 + 3 = 106), six and ten products.
    for (const bool compiled : {false, true}) BOOST_TEST_CONTEXT((compiled ? "compiled" : "core tape")) {
            Tape tape;
            const Var w1 = tape.variable(1.0), w2 = tape.variable(1.0), w3 = tape.variable(1.0);
            const Var x1 = tape.constant(1.0), x2 = tape.constant(2.0), x3 = tape.constant(3.0);
            const Var b = tape.variable(100.0);
            const Result r = evaluate_sum(tape, w1 * x1 + b + w2 * x2 + w3 * x3, compiled);
            BOOST_TEST(r.value == 106.0);
            BOOST_TEST(r.gradient == (std::vector<double>{1.0, 2.0, 3.0, 1.0}), boost::test_tools::per_element());

            Tape more;
            std::vector<Var> w, x;
            for (int i = 1; i <= 10; ++i) w.push_back(more.variable(1.0)), x.push_back(more.constant(double(i)));
            const Var six = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + w[4] * x[4] + w[5] * x[5];
            BOOST_TEST(evaluate_sum(more, six, compiled).value == 21.0);
            const Var ten = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + w[4] * x[4] + w[5] * x[5] +
                            w[6] * x[6] + w[7] * x[7] + w[8] * x[8] + w[9] * x[9];
            const Result r10 = evaluate_sum(more, ten, compiled);
            BOOST_TEST(r10.value == 55.0);
            for (int i = 0; i < 10; ++i) BOOST_TEST(r10.gradient[static_cast<std::size_t>(i)] == double(i + 1));
        }
}

BOOST_AUTO_TEST_CASE(sums_of_1_to_20_products_with_the_bias_anywhere) {
    int cases = 0;
    for (const bool compiled : {false, true})
        for (int n = 1; n <= 20; ++n)
            for (int bias_after = -1; bias_after <= n; ++bias_after)  // -1: no bias
                BOOST_TEST_CONTEXT((compiled ? "compiled" : "core tape")
                                   << ", " << n << " products, bias after " << bias_after) {
                    Tape tape;
                    std::vector<double> wv, xv;
                    Sum s;
                    for (int i = 0; i < n; ++i) {
                        wv.push_back(0.37 + 0.113 * i), xv.push_back(1.9 - 0.071 * i * i);
                        s.w.push_back(tape.variable(wv.back())), s.x.push_back(tape.variable(xv.back()));
                    }
                    const double bv = bias_after < 0 ? 0.0 : -2.75;
                    s.b = tape.variable(bv);
                    const Result r = evaluate_sum(tape, written_sum(s, bias_after), compiled);
                    BOOST_TEST(r.value == plain_sum(wv, xv, bv, bias_after));
                    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
                        BOOST_TEST(r.gradient[2 * i] == xv[i], "d/dw" << i);
                        BOOST_TEST(r.gradient[2 * i + 1] == wv[i], "d/dx" << i);
                    }
                    BOOST_TEST(r.gradient.back() == (bias_after >= 0 ? 1.0 : 0.0), "d/db");
                    ++cases;
                }
    BOOST_TEST(cases == 2 * 250);  // n + 2 places for the bias (or none) for each n, both ways
}
