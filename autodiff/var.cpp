// tapegrad/autodiff/var.cpp — Var's accessors, and the operators and functions of var.hpp, each
// one line that records a node (a double operand first as a 1 x 1 constant on the Var's tape).
// The accessors check that the Var is live, so that an error names what was asked for.
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

void Var::refuse_empty() { throw TapeError("the Var is empty (default-constructed, never recorded)"); }
std::uint32_t Var::checked_index(std::string_view where) const {
    tape().check(*this, where);
    return tape_->index_of(*this);
}
std::uint32_t Var::index() const { return checked_index("index"); }
Shape Var::shape() const { return tape().node(checked_index("shape")).shape; }
Eigen::Map<const Eigen::MatrixXd> Var::value() const { return tape().value(checked_index("value")); }
Eigen::Map<const Eigen::MatrixXd> Var::adjoint() const { return tape().adjoint(checked_index("adjoint")); }
double Var::scalar_value() const {
    const auto v = tape().value(checked_index("scalar_value"));
    if (v.size() != 1) [[unlikely]]
        throw TapeError("scalar_value: the Var is " + shape().to_string() + ", not 1x1 (use value())");
    return v(0, 0);
}
double Var::scalar_adjoint() const {
    const auto a = tape().adjoint(checked_index("scalar_adjoint"));
    if (a.size() != 1) [[unlikely]]
        throw TapeError("scalar_adjoint: the Var is " + shape().to_string() + ", not 1x1 (use adjoint())");
    return a(0, 0);
}

namespace {
Var lit(const Var& like, double x) { return like.tape().constant(x); }
}  // namespace

Var operator+(Var a, Var b) { return a.tape().record(Op::add, {a, b}); }
Var operator-(Var a, Var b) { return a.tape().record(Op::subtract, {a, b}); }
Var operator*(Var a, Var b) { return a.tape().record(Op::multiply, {a, b}); }
Var operator+(Var a, double b) { return a + lit(a, b); }
Var operator+(double a, Var b) { return lit(b, a) + b; }
Var operator-(Var a, double b) { return a - lit(a, b); }
Var operator-(double a, Var b) { return lit(b, a) - b; }
Var operator*(Var a, double b) { return a * lit(a, b); }
Var operator*(double a, Var b) { return lit(b, a) * b; }
Var operator/(Var a, Var b) { return a.tape().record(Op::divide, {a, b}); }
Var operator/(Var a, double b) { return a / lit(a, b); }
Var operator/(double a, Var b) { return lit(b, a) / b; }
Var operator-(Var a) { return a.tape().record(Op::negate, {a}); }
Var& operator+=(Var& a, Var b) { return a = a + b; }

Var exp(Var x) { return x.tape().record(Op::exp, {x}); }
Var log(Var x) { return x.tape().record(Op::log, {x}); }
Var sqrt(Var x) { return x.tape().record(Op::sqrt, {x}); }
Var pow(Var base, double exponent) { return base.tape().record(Op::power_scalar, {base}, exponent); }
Var pow(Var base, Var exponent) { return base.tape().record(Op::power, {base, exponent}); }
Var square(Var x) { return x.tape().record(Op::square, {x}); }
Var cube(Var x) { return x.tape().record(Op::cube, {x}); }
Var abs(Var x) { return x.tape().record(Op::abs, {x}); }
Var sin(Var x) { return x.tape().record(Op::sin, {x}); }
Var cos(Var x) { return x.tape().record(Op::cos, {x}); }
Var tanh(Var x) { return x.tape().record(Op::tanh, {x}); }
Var sigmoid(Var x) { return x.tape().record(Op::sigmoid, {x}); }
Var relu(Var x) { return x.tape().record(Op::relu, {x}); }
Var identity(Var x) { return x.tape().record(Op::identity, {x}); }

Var matmul(Var a, Var b) { return a.tape().record(Op::matmul, {a, b}); }
Var transpose(Var a) { return a.tape().record(Op::transpose, {a}); }
Var linear(Var x, Var w, Var b) { return x.tape().record(Op::linear, {x, w, b}); }
Var mean_squared_error(Var prediction, Var target) {
    return prediction.tape().record(Op::mean_squared_error, {prediction, target});
}
Var log_softmax(Var x) { return x.tape().record(Op::log_softmax, {x}); }

Var sum(Var x) { return x.tape().record(Op::sum, {x}); }
Var mean(Var x) { return x.tape().record(Op::mean, {x}); }
Var col_sums(Var x) { return x.tape().record(Op::col_sums, {x}); }
Var row_sums(Var x) { return x.tape().record(Op::row_sums, {x}); }
Var col_means(Var x) { return x.tape().record(Op::col_means, {x}); }
Var row_means(Var x) { return x.tape().record(Op::row_means, {x}); }

}  // namespace tapegrad
