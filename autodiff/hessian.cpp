// tapegrad/autodiff/hessian.cpp — the sweep written with Vars, so that it is recorded.
//
// record_gradient() walks the nodes from the loss back to the first, as Tape::gradient does,
// and for each parent records `share = adjoint x local derivative` and adds it to the
// parent's adjoint, now Vars instead of doubles. local_shares() holds every op's local
// derivative once more, as Var arithmetic; the comments give the math of operations.hpp.
// A rule is opt-in, as a kernel is: a new op works everywhere else at once, and here says
// that it has no rule yet (tests/test_hessian.cpp walks every op, so it shows up there).
#include "tapegrad/autodiff/hessian.hpp"

#include <string>

namespace tapegrad {

namespace {
Var filled(Tape& tape, Shape s, double value) {
    return tape.constant(Eigen::MatrixXd::Constant(s.rows, s.cols, value));
}
// A constant of x's shape holding f(x) element by element: a derivative that is a step.
template <class F>
Var mask(Tape& tape, Var x, F f) {
    return tape.constant(x.value().unaryExpr(f).eval());
}

// A share computed at the node's (broadcast) shape, summed down to its parent's shape:
// a parent repeated along a dimension receives the sum along it.
Var reduce_to(Var share, Shape parent) {
    const Shape s = share.shape();
    if (s == parent) return share;
    if (parent.is_scalar()) return sum(share);
    if (parent.rows == 1 && s.rows != 1) share = col_sums(share);
    if (parent.cols == 1 && s.cols != 1) share = row_sums(share);
    return share;
}

// The shares of node k's parents: d loss / d parent through node k, given the node's adjoint
// G (its shape). Empty Vars where nothing passes (power_scalar with exponent 0).
std::vector<Var> local_shares(Tape& tape, std::size_t k, Var G) {
    const Op op = tape.node(k).op;  // copied: recording the shares moves the tape's nodes
    const double c = tape.node(k).constant;
    const Var y = tape.at(k);
    std::vector<Var> p;
    for (std::uint32_t parent : tape.parents(k)) p.push_back(tape.at(parent));
    switch (op) {
        case Op::variable:
        case Op::constant: return {};
        case Op::add: return {G, G};                               // 1, 1
        case Op::subtract: return {G, -G};                         // 1, -1
        case Op::multiply: return {G * p[1], G * p[0]};            // b, a
        case Op::divide: return {G / p[1], -(G * y) / p[1]};       // 1/b, -y/b
        case Op::power: return {G * (p[1] * pow(p[0], p[1] - 1.0)), G * (y * log(p[0]))};  // b a^(b-1), y ln a
        case Op::negate: return {-G};                              // -1
        case Op::exp: return {G * y};                              // y
        case Op::log: return {G / p[0]};                           // 1/x
        case Op::sqrt: return {G * (0.5 / y)};                     // 1/(2y)
        case Op::power_scalar: return {c == 0.0 ? Var{} : G * (c * pow(p[0], c - 1.0))};  // c x^(c-1)
        case Op::square: return {G * (2.0 * p[0])};                // 2x
        case Op::cube: return {G * (3.0 * square(p[0]))};          // 3x^2
        case Op::abs: return {G * mask(tape, p[0], [](double x) { return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : 0.0; })};
        case Op::sin: return {G * cos(p[0])};                      // cos x
        case Op::cos: return {-(G * sin(p[0]))};                   // -sin x
        case Op::tanh: return {G * (1.0 - square(y))};             // 1 - y^2
        case Op::sigmoid: return {G * (y * (1.0 - y))};            // y (1 - y)
        case Op::relu: return {G * mask(tape, p[0], [](double x) { return x > 0.0 ? 1.0 : 0.0; })};
        case Op::identity: return {G};                             // 1
        case Op::matmul: return {matmul(G, transpose(p[1])), matmul(transpose(p[0]), G)};  // G B^T, A^T G
        case Op::transpose: return {transpose(G)};
        case Op::linear: return {matmul(G, transpose(p[1])), matmul(transpose(p[0]), G), col_sums(G)};
        // A reduction's adjoint repeats over the elements it summed (times 1/N for a mean).
        case Op::sum:
        case Op::col_sums:
        case Op::row_sums: return {G * filled(tape, p[0].shape(), 1.0)};
        case Op::mean: return {G * filled(tape, p[0].shape(), 1.0 / static_cast<double>(p[0].shape().size()))};
        case Op::col_means: return {G * filled(tape, p[0].shape(), 1.0 / p[0].shape().rows)};
        case Op::row_means: return {G * filled(tape, p[0].shape(), 1.0 / p[0].shape().cols)};
        case Op::mean_squared_error: {  // 2 (P - T) / N for P, minus that for T
            const Var share = G * ((2.0 / static_cast<double>(p[0].shape().size())) * (p[0] - p[1]));
            return {share, -share};
        }
        case Op::log_softmax: return {G - exp(y) * row_sums(G)};  // row i: G_i - softmax_i sum_j G_ij
        default: break;  // an op added to TAPEGRAD_OPS without a rule here yet
    }
    throw TapeError("record_gradient: no recorded derivative for op '" + std::string(op_name(op)) + "'");
}
}  // namespace

std::vector<Var> record_gradient(Var loss, std::span<const Var> wrt) {
    Tape& tape = loss.tape();
    tape.check(loss, "record_gradient");
    if (!loss.shape().is_scalar())
        throw TapeError("record_gradient: the loss must be a scalar (1x1), got " + loss.shape().to_string());
    for (const Var& v : wrt) tape.check(v, "record_gradient (a Var of wrt)");
    std::vector<Var> adjoint(loss.index() + 1);  // empty: nothing reached this node yet
    adjoint.back() = tape.constant(1.0);         // d loss / d loss
    for (std::size_t k = adjoint.size(); k-- > 0;) {
        if (adjoint[k].empty()) continue;
        const std::vector<Var> shares = local_shares(tape, k, adjoint[k]);
        const auto on_tape = tape.parents(k);  // copied, as recording moves the parent list
        const std::vector<std::uint32_t> parents(on_tape.begin(), on_tape.end());
        for (std::size_t i = 0; i < shares.size(); ++i) {
            if (shares[i].empty()) continue;
            Var& to = adjoint[parents[i]];
            const Var share = reduce_to(shares[i], tape.node(parents[i]).shape);
            to = to.empty() ? share : to + share;  // the `+=` of the sweep, recorded
        }
    }
    std::vector<Var> result;
    for (const Var& v : wrt) {
        const std::size_t k = v.index();
        result.push_back(k < adjoint.size() && !adjoint[k].empty() ? adjoint[k] : filled(tape, v.shape(), 0.0));
    }
    return result;
}

Hessian::Hessian(Var loss) : tape_(&loss.tape()) {
    std::vector<Var> variables;
    for (std::size_t k = 0; k < tape_->size(); ++k)
        if (tape_->node(k).op == Op::variable) variables.push_back(tape_->at(k));
    gradient_ = record_gradient(loss, variables);
    for (const Var& g : gradient_) {
        const Var v = filled(*tape_, g.shape(), 0.0);
        dot_ = dot_.empty() ? sum(g * v) : dot_ + sum(g * v);
        direction_.push_back(v);
        size_ += g.shape().size();
    }
    if (dot_.empty()) throw TapeError("Hessian: the tape has no variables");
}

std::vector<double> Hessian::gradient() const {
    std::vector<double> g;
    for (const Var& v : gradient_) {
        const auto value = v.value();
        g.insert(g.end(), value.data(), value.data() + value.size());
    }
    return g;
}

void Hessian::product(std::span<const double> v, std::span<double> out) {
    if (v.size() != size_ || out.size() != size_)
        throw TapeError("Hessian::product: the variables hold " + std::to_string(size_) + " numbers, but v has " +
                        std::to_string(v.size()) + " and out " + std::to_string(out.size()));
    const double* from = v.data();
    for (const Var& d : direction_) {
        const Shape s = d.shape();
        tape_->set_value(d, Eigen::Map<const Eigen::MatrixXd>(from, s.rows, s.cols));
        from += s.size();
    }
    tape_->replay();
    tape_->gradient(dot_, out);
}

std::vector<double> Hessian::product(std::span<const double> v) {
    std::vector<double> out(size_);
    product(v, out);
    return out;
}

Eigen::MatrixXd Hessian::matrix() {
    Eigen::MatrixXd h(size_, size_);
    Eigen::VectorXd unit = Eigen::VectorXd::Zero(size_);
    for (std::size_t k = 0; k < size_; ++k) {
        unit(k) = 1.0;
        product(std::span<const double>(unit.data(), size_), std::span<double>(h.col(k).data(), size_));
        unit(k) = 0.0;
    }
    return h;
}

}  // namespace tapegrad
