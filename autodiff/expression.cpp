// tapegrad/autodiff/expression.cpp — recording the expressions of expression.hpp when they
// become Vars: one weighted_sum or mse node when the tape fuses expressions and the shapes
// allow it, else a node per operator, in the order they are written.
#include "tapegrad/autodiff/expression.hpp"

#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

template <class T>
BinaryExpression<T>::operator Var() const {
    return a_.tape().template record<T>({a_, b_});
}
template class BinaryExpression<ops::Multiply>;
template class BinaryExpression<ops::Subtract>;

SquaredDifference::operator Var() const { return square(Var(d_)); }

Var mean(SquaredDifference s) {
    const Var a = s.difference().left(), b = s.difference().right();
    Tape& tape = a.tape();
    if (tape.fuse_expressions() && tape.live(a) && tape.live(b) &&
        tape.node(tape.index_of(a)).shape == tape.node(tape.index_of(b)).shape)
        return mean_squared_error(a, b);
    return mean(Var(s));
}

SumOfProducts::operator Var() const {
    if (count_ == 0) return recorded_;
    Tape& tape = parents_[0].tape();
    if (tape.fuse_expressions()) {
        const Var y = tape.try_record_weighted_sum(std::span<const Var>(parents_, static_cast<std::size_t>(count_)));
        if (!y.empty()) return y;
    }
    // As the operators would have recorded it: a1 * b1, a2 * b2, +, a3 * b3, +, ..., + bias.
    Var y = Product(parents_[0], parents_[1]);
    for (int p = 2; p + 1 < count_; p += 2) y = y + Var(Product(parents_[p], parents_[p + 1]));
    if (count_ % 2 == 1) y = y + parents_[count_ - 1];
    return y;
}

}  // namespace tapegrad
