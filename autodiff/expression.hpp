/// \file
/// `a * b` and `a - b` before they are recorded, and the two expressions built from them
/// that the tutorial writes: what Adept calls expression templates, in the smallest form
/// the tutorial needs.
///
///     w1 * x1 + w2 * x2 + w3 * x3 + b1     a SumOfProducts: up to four products, then a bias
///     mean(square(prediction - y))         the mean squared error
///
/// `w1 * x1` is a Product and `prediction - y` a Difference: the two Vars, not yet a node.
/// Each becomes a Var where a Var is needed (`const Var h1 = ...;`, or as an argument), and
/// only then is recorded:
///   - on a tape that fuses expressions (Tape::set_fuse_expressions), a sum whose every
///     product is a number (1 x 1) times a node of one shape is one weighted_sum node, and
///     the mean of the squared difference of two nodes of one shape is one mse node: the
///     tape's cost is per node, and six nodes become one, or three one;
///   - otherwise the nodes each operator would have recorded, left to right.
/// The values and gradients are the same either way, up to the order of additions inside
/// the mse (a weighted sum adds in the order the adds would, so it matches to the last bit).
///
/// One thing to know: `auto h = w * x;` makes h a Product, not a Var. It has no value() and
/// is recorded each time it is used as a Var. Write `Var h = w * x;` to record it once.
#pragma once

#include <utility>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/var.hpp"

namespace tapegrad {

/// a * b or a - b (T is ops::Multiply or ops::Subtract), recorded as a node of T when it
/// becomes a Var: Product and Difference.
template <class T>
class [[nodiscard]] BinaryExpression {
public:
    BinaryExpression(Var a, Var b) : a_(a), b_(b) {}
    operator Var() const;  // NOLINT: used wherever a Var is (expression.cpp)
    Var left() const { return a_; }
    Var right() const { return b_; }

private:
    Var a_, b_;
};
extern template class BinaryExpression<ops::Multiply>;  // the two there are (expression.cpp)
extern template class BinaryExpression<ops::Subtract>;
inline Product operator*(Var a, Var b) { return {a, b}; }
inline Difference operator-(Var a, Var b) { return {a, b}; }

/// square(a - b): a subtract and a square when it becomes a Var, or with mean() around it
/// the mean squared error.
class [[nodiscard]] SquaredDifference {
public:
    explicit SquaredDifference(Difference d) : d_(d) {}
    operator Var() const;  // NOLINT: used wherever a Var is
    const Difference& difference() const { return d_; }

private:
    Difference d_;
};
inline SquaredDifference square(Difference d) { return SquaredDifference(d); }
/// mean(square(a - b)): one mse node on a tape that fuses expressions, when a and b have one
/// shape; else subtract, square, mean.
Var mean(SquaredDifference s);

/// a1 * b1 + ... + ak * bk (+ bias), recorded when it becomes a Var: see the file's
/// description. Built term by term in place: `p1 + p2 + p3 + b` makes one SumOfProducts
/// and adds to it. (A new sum for each `+`, copying the Vars over, cost more than the
/// recording it saved: each copy read Vars just written, and waited for them; appendix B.)
class [[nodiscard]] SumOfProducts {
public:
    static constexpr int most_products = ops::WeightedSum::most_products;

    SumOfProducts(Product a, Product b) : count_(4) {
        parents_[0] = a.left(), parents_[1] = a.right(), parents_[2] = b.left(), parents_[3] = b.right();
    }
    SumOfProducts(Product a, Var bias) : count_(3) {
        parents_[0] = a.left(), parents_[1] = a.right(), parents_[2] = bias;
    }
    operator Var() const;  // NOLINT: a sum is used wherever a Var is

    /// One more product, or the bias (which comes last). A sum with no room for it (four
    /// products, or its bias already, or recorded already) is recorded, and the term is
    /// added to it as a node: every later term, too, is added to what was recorded.
    void add(Product p);
    void add(Var bias);

private:
    Var parents_[ops::most_parents];  // a1, b1, ..., ak, bk, then the bias if any
    int count_ = 0;                   // 0: recorded already, as recorded_
    Var recorded_;
};

inline SumOfProducts operator+(Product a, Product b) { return {a, b}; }
inline SumOfProducts operator+(Product a, Var bias) { return {a, bias}; }
// A sum being built (a temporary) grows in place; a named one is copied first.
inline SumOfProducts&& operator+(SumOfProducts&& s, Product p) {
    s.add(p);
    return std::move(s);
}
inline SumOfProducts&& operator+(SumOfProducts&& s, Var bias) {
    s.add(bias);
    return std::move(s);
}
inline SumOfProducts operator+(const SumOfProducts& s, Product p) { return SumOfProducts(s) + p; }
inline SumOfProducts operator+(const SumOfProducts& s, Var bias) { return SumOfProducts(s) + bias; }

// A sum recorded already (count_ = 0) has no room: the term is added to what was recorded,
// never to a fresh list (which would forget it: `p1 + b + p2 + p3` gave p2 + p3).
inline void SumOfProducts::add(Product p) {
    if (count_ > 0 && count_ % 2 == 0 && count_ + 2 < ops::most_parents) {
        parents_[count_] = p.left(), parents_[count_ + 1] = p.right();
        count_ += 2;
    } else {
        recorded_ = Var(*this) + Var(p);
        count_ = 0;
    }
}
inline void SumOfProducts::add(Var bias) {
    if (count_ % 2 == 0 && count_ > 0) {
        parents_[count_++] = bias;
    } else {
        recorded_ = Var(*this) + bias;
        count_ = 0;
    }
}

}  // namespace tapegrad
