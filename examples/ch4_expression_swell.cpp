// examples/ch4_expression_swell.cpp — tutorial chapter 4, "Three ways to a derivative":
// symbolic differentiation beside the tape, counted.
//
// A tiny computer algebra of its own: an expression is a tree of constants, x, +, *, sin
// and cos, and `derivative` applies the sum, product and chain rules to it, as a student
// does on paper: no simplification, and a subexpression used twice is written out twice.
// For two families of functions, deeper and deeper, it prints the size of f and of f'
// written out as formulas (nodes of the tree) beside the nodes the tape records for f and
// sweeps once for f'. At every depth it checks that the formula for f', the tape's gradient
// and a central difference give the same number.
//   a product of k factors   f = x (x + 1) (x + 2) ... (x + k - 1)
//   a nested map             f_1 = x,  f_{k+1} = f_k sin(f_k)
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace {

using tapegrad::format_number;
using tapegrad::Tape;
using tapegrad::Var;

// An expression written out as a formula. Children are held by shared pointers only to
// save memory; `size` counts every occurrence, as the formula written on paper has them.
struct Expr;
using E = std::shared_ptr<const Expr>;
struct Expr {
    enum Kind { constant, x, add, multiply, sin, cos } kind;
    double number = 0;  // a constant's value
    E a, b;             // the operands (b only for + and *)
};
E constant(double c) { return std::make_shared<const Expr>(Expr{Expr::constant, c, {}, {}}); }
E variable() { return std::make_shared<const Expr>(Expr{Expr::x, 0, {}, {}}); }
E operator+(E a, E b) { return std::make_shared<const Expr>(Expr{Expr::add, 0, a, b}); }
E operator*(E a, E b) { return std::make_shared<const Expr>(Expr{Expr::multiply, 0, a, b}); }
E sin(E a) { return std::make_shared<const Expr>(Expr{Expr::sin, 0, a, {}}); }
E cos(E a) { return std::make_shared<const Expr>(Expr{Expr::cos, 0, a, {}}); }

// [expr]
// d/dx by the rules of the textbook, applied as they stand.
E derivative(const E& f) {
    switch (f->kind) {
        case Expr::constant: return constant(0);
        case Expr::x: return constant(1);
        case Expr::add: return derivative(f->a) + derivative(f->b);                     // (u + v)' = u' + v'
        case Expr::multiply: return derivative(f->a) * f->b + f->a * derivative(f->b);  // (uv)' = u'v + uv'
        case Expr::sin: return cos(f->a) * derivative(f->a);                            // sin(u)' = cos(u) u'
        case Expr::cos: return constant(-1) * sin(f->a) * derivative(f->a);             // cos(u)' = -sin(u) u'
    }
    return {};
}
// [expr]

double size(const E& f) { return 1 + (f->a ? size(f->a) : 0) + (f->b ? size(f->b) : 0); }

double evaluate(const E& f, double x) {
    switch (f->kind) {
        case Expr::constant: return f->number;
        case Expr::x: return x;
        case Expr::add: return evaluate(f->a, x) + evaluate(f->b, x);
        case Expr::multiply: return evaluate(f->a, x) * evaluate(f->b, x);
        case Expr::sin: return std::sin(evaluate(f->a, x));
        case Expr::cos: return std::cos(evaluate(f->a, x));
    }
    return 0;
}

// The same function written once with the formula type and once with tapegrad's Vars, so
// the two cannot differ in anything but how they are differentiated.
template <class T, class Lift>
T product_of_factors(T x, int k, Lift lift) {  // x (x + 1) ... (x + k - 1)
    T f = x;
    for (int i = 1; i < k; ++i) f = f * (x + lift(i));
    return f;
}
template <class T>
T nested_map(T x, int k) {  // f_1 = x, f_{k+1} = f_k sin(f_k)
    T f = x;
    for (int i = 1; i < k; ++i) f = f * sin(f);
    return f;
}

struct Row {
    int depth = 0;
    double f_size = 0, derivative_size = 0;
    std::size_t tape_nodes = 0;
    double symbolic = 0, tape = 0, numeric = 0;
};

// Differentiate `formula` (f as an Expr) symbolically, `record` (f on a tape) by the
// sweep, and the plain function by a central difference, all at x.
template <class Formula, class Record>
Row measure(int depth, double x, Formula formula, Record record) {
    Row row{depth};
    const E f = formula(variable());
    const E df = derivative(f);
    row.f_size = size(f);
    row.derivative_size = size(df);
    row.symbolic = evaluate(df, x);
    Tape tape;
    const Var v = tape.variable(x);
    tape.gradient(record(v));
    row.tape_nodes = tape.size();
    row.tape = v.scalar_adjoint();
    const double point[] = {x};
    row.numeric = tapegrad::central_differences([&](std::span<const double> p) { return evaluate(f, p[0]); }, point)[0];
    return row;
}

// Prints the table and returns whether every row's three derivatives agree.
bool print_table(const std::vector<Row>& rows) {
    std::cout << "k      f (nodes)  f' (nodes)  tape (nodes)  f' by formula     by the tape       "
                 "central difference\n";
    const auto column = [](const std::string& s, std::size_t width) {  // s, padded to width
        return s + std::string(s.size() < width ? width - s.size() : 1, ' ');
    };
    bool all_agree = true;
    for (const Row& r : rows) {
        std::cout << column(std::to_string(r.depth), 7) << column(format_number(r.f_size, "%.0f"), 11)
                  << column(format_number(r.derivative_size, "%.0f"), 12) << column(std::to_string(r.tape_nodes), 14)
                  << column(format_number(r.symbolic, "%.10g"), 18) << column(format_number(r.tape, "%.10g"), 18)
                  << format_number(r.numeric, "%.10g") << "\n";
        const double scale = std::max(std::abs(r.tape), 1e-300);  // relative: some derivatives are small
        all_agree =
            all_agree && std::abs(r.symbolic - r.tape) <= 1e-12 * scale && std::abs(r.numeric - r.tape) <= 1e-6 * scale;
    }
    return all_agree;
}

int show_chapter() {
    const double x = 0.75, x_nested = 2;  // f_k then tends to pi/2, where f sin f has derivative 1
    const auto lift_expr = [](int i) { return constant(i); };
    const auto lift_double = [](int i) { return static_cast<double>(i); };
    std::vector<Row> product, nested;
    for (int k : {1, 2, 3, 4, 6, 8, 12, 16})
        product.push_back(measure(
            k, x, [&](E v) { return product_of_factors(v, k, lift_expr); },
            [&](Var v) { return product_of_factors(v, k, lift_double); }));
    for (int k = 1; k <= 10; ++k)
        nested.push_back(measure(
            k, x_nested, [&](E v) { return nested_map(v, k); }, [&](Var v) { return nested_map(v, k); }));

    std::cout << "f = x (x + 1) ... (x + k - 1), k factors, at x = " << format_number(x) << ":\n\n";
    const bool product_ok = print_table(product);
    std::cout << "\nf_1 = x, f_(k+1) = f_k sin(f_k), nested to depth k, at x = " << format_number(x_nested) << ":\n\n";
    const bool nested_ok = print_table(nested);
    const bool ok = product_ok && nested_ok;
    std::cout << "\nat every depth the formula for f', the tape and the central difference "
              << (ok ? "agree" : "DISAGREE") << " (to 1e-12 and 1e-6 relative)\n";
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
