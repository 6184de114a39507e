// tapegrad/autodiff/var.cpp — Var's accessors, and the operators and functions of
// var.hpp, each one line that records a node. A double operand is recorded as a 1 x 1
// constant on the Var's tape. The accessors go through Tape's public reading functions,
// which check that the Var is live and say what is wrong when it is not.
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

std::uint32_t Var::index() const {
    tape().check(*this, "index");
    return tape_->index_of(*this);
}

void Var::refuse_empty() { throw TapeError("the Var is empty (default-constructed, never recorded)"); }

Shape Var::shape() const {
    tape().check(*this, "shape");
    return tape_->node(tape_->index_of(*this)).shape;
}
Eigen::Map<const Eigen::MatrixXd> Var::value() const {
    tape().check(*this, "value");
    return tape_->value(tape_->index_of(*this));
}
Eigen::Map<const Eigen::MatrixXd> Var::adjoint() const {
    tape().check(*this, "adjoint");
    return tape_->adjoint(tape_->index_of(*this));
}
double Var::scalar_value() const {
    tape().check(*this, "scalar_value");
    const double* v = tape_->scalar_value_at(tape_->index_of(*this));
    if (v == nullptr) [[unlikely]]
        throw TapeError("scalar_value: the Var is " + shape().to_string() + ", not 1x1 (use value())");
    return *v;
}
double Var::scalar_adjoint() const {
    const auto a = adjoint();
    if (a.size() != 1) [[unlikely]]
        throw TapeError("scalar_adjoint: the Var is " + shape().to_string() + ", not 1x1 (use adjoint())");
    return a(0, 0);
}

namespace {
Var lit(const Var& like, double x) { return like.tape().constant(x); }
}  // namespace

Var operator+(Var a, Var b) { return a.tape().record<ops::Add>({a, b}); }
Var operator+(Var a, double b) { return a + lit(a, b); }
Var operator+(double a, Var b) { return lit(b, a) + b; }
Var operator-(Var a, double b) { return a - lit(a, b); }
Var operator-(double a, Var b) { return lit(b, a) - b; }
Var operator*(Var a, double b) { return a * lit(a, b); }
Var operator*(double a, Var b) { return lit(b, a) * b; }
Var operator/(Var a, Var b) { return a.tape().record<ops::Divide>({a, b}); }
Var operator/(Var a, double b) { return a / lit(a, b); }
Var operator/(double a, Var b) { return lit(b, a) / b; }
Var operator-(Var a) { return a.tape().record<ops::Negate>({a}); }

Var exp(Var x) { return x.tape().record<ops::Exp>({x}); }
Var log(Var x) { return x.tape().record<ops::Log>({x}); }
Var sqrt(Var x) { return x.tape().record<ops::Sqrt>({x}); }
Var pow(Var base, double exponent) { return base.tape().record<ops::PowerScalar>({base}, exponent); }
Var pow(Var base, Var exponent) { return base.tape().record<ops::Power>({base, exponent}); }
Var square(Var x) { return x.tape().record<ops::Square>({x}); }
Var cube(Var x) { return x.tape().record<ops::Cube>({x}); }
Var abs(Var x) { return x.tape().record<ops::Abs>({x}); }
Var sin(Var x) { return x.tape().record<ops::Sin>({x}); }
Var cos(Var x) { return x.tape().record<ops::Cos>({x}); }
Var tanh(Var x) { return x.tape().record<ops::Tanh>({x}); }
Var sigmoid(Var x) { return x.tape().record<ops::Sigmoid>({x}); }
Var relu(Var x) { return x.tape().record<ops::Relu>({x}); }
Var identity(Var x) { return x.tape().record<ops::Identity>({x}); }

Var matmul(Var a, Var b) { return a.tape().record<ops::MatMul>({a, b}); }
Var transpose(Var a) { return a.tape().record<ops::Transpose>({a}); }
Var linear(Var x, Var w, Var b) { return x.tape().record<ops::Linear>({x, w, b}); }
Var mean_squared_error(Var prediction, Var target) {
    return prediction.tape().record<ops::MeanSquaredError>({prediction, target});
}
Var log_softmax(Var x) { return x.tape().record<ops::LogSoftmax>({x}); }

Var sum(Var x) { return x.tape().record<ops::Sum>({x}); }
Var mean(Var x) { return x.tape().record<ops::Mean>({x}); }
Var col_sums(Var x) { return x.tape().record<ops::ColSums>({x}); }
Var row_sums(Var x) { return x.tape().record<ops::RowSums>({x}); }
Var col_means(Var x) { return x.tape().record<ops::ColMeans>({x}); }
Var row_means(Var x) { return x.tape().record<ops::RowMeans>({x}); }

}  // namespace tapegrad
