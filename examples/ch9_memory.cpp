// examples/ch9_memory.cpp — tutorial chapter 9: what reverse mode keeps in memory, and checkpointing.
//
// The sweep runs backwards, so every value a local derivative needs must still be there when
// the sweep reaches it: a tape keeps every intermediate value, and an adjoint beside each,
// until the end. For a deep network that is every layer's activations at once.
// Checkpointing trades time for that memory: the forward pass keeps only the input of every
// k-th layer (a checkpoint); the sweep then goes segment by segment, from the last back,
// recording each segment afresh from its checkpoint on a small tape and sweeping it with the
// adjoint that the segment after it handed back. Each layer is computed twice, and the
// tape never holds more than one segment.
// 1. A tanh network of 64 layers, each layer and the loss recorded on one tape, then with
//    checkpoints every 1, 2, 4, 8, 16 and 64 layers: the numbers held at the peak, and how many
//    layers were computed.
// 2. Every checkpointed gradient against the full tape's, and the full tape's against central
//    differences for a few weights (an independent check).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/tape.hpp"

using namespace tapegrad;

namespace {

constexpr int layers = 64, width = 32, rows = 64;

// Numbers in [-1, 1) from a fixed seed by splitmix64: the same on every machine and library.
double next_uniform(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-52 - 1.0;
}

// Weights scaled so that a signal neither dies out nor blows up over 64 layers.
struct Network {
    Eigen::MatrixXd input = Eigen::MatrixXd(rows, width);
    std::vector<Eigen::MatrixXd> weights;
    Network() {
        std::uint64_t state = 1;
        for (double& x : input.reshaped()) x = next_uniform(state);
        const double scale = 1.5 * std::sqrt(3.0 / width);  // variance 1.5^2 / width per weight
        for (int l = 0; l < layers; ++l) {
            Eigen::MatrixXd w(width, width);
            for (double& x : w.reshaped()) x = scale * next_uniform(state);
            weights.push_back(w);
        }
    }
};

// What a strategy cost: the most numbers held at once besides the weights and their
// gradient (values and adjoints on the tape, plus the checkpoints kept), and layers computed.
struct Cost {
    std::size_t peak = 0;
    int layer_evaluations = 0;
    std::vector<Eigen::MatrixXd> gradient;  // d loss / d weights, one per layer
};

// The numbers a tape holds for its nodes other than the weights (variables of width x width).
std::size_t numbers_held(const Tape& tape) {
    std::size_t n = 0;
    for (std::size_t k = 0; k < tape.size(); ++k) {
        const Node& node = tape.node(k);
        const bool weight = node.op == Op::variable && node.shape == Shape{width, width};
        if (!weight) n += 2 * node.shape.size();  // its value and its adjoint
    }
    return n;
}

// Layers first..last-1 recorded on `tape` from input h; their weights' Vars go to `w`.
Var record_layers(Tape& tape, const Network& net, Var h, int first, int last, std::vector<Var>& w) {
    for (int l = first; l < last; ++l) {
        w.push_back(tape.variable(net.weights[l]));
        h = tanh(matmul(h, w.back()));
    }
    return h;
}

Var record_loss(Var out) { return mean(square(out)); }

// [full]
// The whole network on one tape, swept once.
Cost full_tape(const Network& net) {
    Tape tape;
    std::vector<Var> w;
    const Var out = record_layers(tape, net, tape.constant(net.input), 0, layers, w);
    tape.gradient(record_loss(out));
    Cost cost{numbers_held(tape), layers, {}};
    for (const Var& v : w) cost.gradient.emplace_back(tape.adjoint(v.index()));
    return cost;
}
// [full]

// [checkpoints]
// Keep the input of every k-th layer, then sweep segment by segment, from the last.
Cost checkpointed(const Network& net, int k) {
    Cost cost{0, 0, std::vector<Eigen::MatrixXd>(layers)};
    std::vector<Eigen::MatrixXd> checkpoints{net.input};  // the forward pass: no tape
    for (int l = 0; l + k < layers; l += k) {
        Eigen::MatrixXd h = checkpoints.back();
        for (int m = l; m < l + k; ++m, ++cost.layer_evaluations) h = (h * net.weights[m]).array().tanh().matrix();
        checkpoints.push_back(h);
    }
    const std::size_t kept = checkpoints.size() * rows * width;
    Eigen::MatrixXd after;  // d loss / d (the output of the segment being swept)
    Tape tape;
    for (int s = static_cast<int>(checkpoints.size()) - 1; s >= 0; --s) {
        tape.clear();  // one segment on the tape at a time
        std::vector<Var> w;
        const Var in = tape.variable(checkpoints[s]);
        const int first = s * k, last = std::min(first + k, layers);
        const Var out = record_layers(tape, net, in, first, last, w);
        cost.layer_evaluations += last - first;
        // The last segment ends in the loss; an earlier one in sum(out ⊙ after), whose
        // gradient is the chain rule through this segment with the adjoint handed back.
        const Var loss = s + 1 == static_cast<int>(checkpoints.size()) ? record_loss(out)
                                                                       : sum(out * tape.constant(after));
        tape.gradient(loss);
        for (int l = first; l < last; ++l) cost.gradient[l] = tape.adjoint(w[l - first].index());
        after = tape.adjoint(in.index());
        cost.peak = std::max(cost.peak, kept + numbers_held(tape));
    }
    return cost;
}
// [checkpoints]

double largest_difference(const Cost& a, const Cost& b) {
    double d = 0;
    for (int l = 0; l < layers; ++l) d = std::max(d, (a.gradient[l] - b.gradient[l]).cwiseAbs().maxCoeff());
    return d;
}

double loss_at(const Network& net) {
    Eigen::MatrixXd h = net.input;
    for (const Eigen::MatrixXd& w : net.weights) h = (h * w).array().tanh().matrix();
    return h.array().square().mean();
}

// Five weights, one per part of the network, checked by the project's gradient checker:
// the full tape's gradient against central differences of the plain forward pass, within
// 1e-8 + 1e-6 |numeric| plus the differences' rounding (step 1e-6: the truncation error,
// h^2/6 times the third derivative, is about 2e-9 for a first-layer weight).
bool against_differences(Network net, const Cost& full) {
    const int picks[][3] = {{0, 0, 0}, {13, 5, 7}, {31, 31, 2}, {47, 8, 30}, {63, 17, 17}};
    std::vector<std::string> names;
    std::vector<double> point, analytic;
    for (const auto& p : picks) {
        names.push_back("W" + std::to_string(p[0]) + "(" + std::to_string(p[1]) + "," + std::to_string(p[2]) + ")");
        point.push_back(net.weights[p[0]](p[1], p[2]));
        analytic.push_back(full.gradient[p[0]](p[1], p[2]));
    }
    const auto loss_with = [&](std::span<const double> values) {
        for (std::size_t i = 0; i < values.size(); ++i) net.weights[picks[i][0]](picks[i][1], picks[i][2]) = values[i];
        return loss_at(net);
    };
    std::vector<double> rounding;
    const std::vector<double> numeric = central_differences(loss_with, point, 1e-6, &rounding);
    return compare_gradients(names, analytic, numeric, {}, rounding).passed;
}

int show_chapter() {
    const Network net;
    std::printf("A tanh network of %d layers, %d neurons wide, on a batch of %d rows;\n", layers, width, rows);
    std::printf("one activation is %d numbers. Numbers held at the peak, besides the weights and their gradient:\n\n",
                rows * width);
    const Cost full = full_tape(net);
    std::printf("%-32s %14s %8s %16s\n", "strategy", "numbers held", "KiB", "layers computed");
    std::printf("%-32s %14zu %8zu %16d\n", "one tape, swept once", full.peak, full.peak * 8 / 1024,
                full.layer_evaluations);
    bool same = true;
    for (int k : {1, 2, 4, 8, 16, 64}) {
        const Cost c = checkpointed(net, k);
        char label[64];
        std::snprintf(label, sizeof label, "checkpoint every %d layer%s", k, k == 1 ? "" : "s");
        std::printf("%-32s %14zu %8zu %16d\n", label, c.peak, c.peak * 8 / 1024, c.layer_evaluations);
        same = same && largest_difference(c, full) < 1e-12;
    }
    std::printf("\nevery checkpointed gradient against the full tape's: %s\n",
                same ? "the same to 1e-12" : "DIFFERENT");
    const bool checked = against_differences(net, full);
    std::printf("the full tape's gradient against central differences, 5 weights: %s\n",
                checked ? "within 1e-8 + 1e-6 |numeric|" : "OUTSIDE 1e-8 + 1e-6 |numeric|");
    return same && checked ? 0 : 1;
}

}  // namespace

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
