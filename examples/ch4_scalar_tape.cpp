// examples/ch4_scalar_tape.cpp — tutorial chapter 4: the whole idea of a tape in about 40
// lines, with no library: scalar nodes, each recording its value and, right beside it, the
// local derivative with respect to each parent; and a reverse sweep that walks the nodes
// newest first, doing parent adjoint += adjoint x local derivative.
// It records chapter 4's one neuron, (w x + b - y)^2 at w = 0.5, b = 0, prints every node,
// and compares the two gradients with tapegrad's real tape. Then a node used twice, a * a,
// shows why the sweep adds into an adjoint instead of setting it.
// tapegrad's Tape (autodiff/tape.hpp) is the same loop, grown up: nodes with shapes,
// values and adjoints in two arenas, derivatives from one op list, broadcasting.
#include <cstdio>
#include <vector>

#include "cli.hpp"
#include "one_neuron.hpp"

namespace {

// [scalar_tape]
struct Node {
    double value = 0;
    double adjoint = 0;         // d loss / d this node, filled in by the sweep
    int parents[2] = {-1, -1};  // earlier nodes this one was computed from (-1: none)
    double local[2] = {0, 0};   // d this node / d each parent, known when it is recorded
};

struct ScalarTape {
    std::vector<Node> nodes;

    int record(double value, int a = -1, double da = 0, int b = -1, double db = 0) {
        nodes.push_back({value, 0, {a, b}, {da, db}});
        return static_cast<int>(nodes.size()) - 1;  // a handle is just the node's index
    }
    double value(int k) const { return nodes[k].value; }
    int variable(double v) { return record(v); }
    int add(int a, int b) { return record(value(a) + value(b), a, 1, b, 1); }
    int subtract(int a, int b) { return record(value(a) - value(b), a, 1, b, -1); }
    int multiply(int a, int b) { return record(value(a) * value(b), a, value(b), b, value(a)); }
    int square(int a) { return record(value(a) * value(a), a, 2 * value(a)); }

    // The reverse sweep: newest node first, each hands every parent its share.
    void gradient(int loss) {
        for (Node& n : nodes) n.adjoint = 0;
        nodes[loss].adjoint = 1;  // d loss / d loss
        for (int k = loss; k >= 0; --k) {
            const Node& n = nodes[k];
            for (int p = 0; p < 2; ++p)
                if (n.parents[p] >= 0) nodes[n.parents[p]].adjoint += n.adjoint * n.local[p];
        }
    }
};
// [scalar_tape]

}  // namespace

int show_chapter() {
    // [neuron]
    ScalarTape tape;
    const int w = tape.variable(0.5), b = tape.variable(0.0);
    const int x = tape.variable(60.0 / 101.0), y = tape.variable(7.0);  // the first person's age, health
    const int prediction = tape.add(tape.multiply(w, x), b);
    const int loss = tape.square(tape.subtract(prediction, y));
    tape.gradient(loss);
    // [neuron]
    std::printf("index  value      adjoint    parents\n");
    for (int k = 0; k < static_cast<int>(tape.nodes.size()); ++k) {
        const Node& n = tape.nodes[k];
        std::printf("%5d  %-9.6g  %-9.6g  ", k, n.value, n.adjoint);
        if (n.parents[0] < 0)
            std::printf("-\n");
        else if (n.parents[1] < 0)
            std::printf("%d\n", n.parents[0]);
        else
            std::printf("%d, %d\n", n.parents[0], n.parents[1]);
    }

    // The same neuron on tapegrad's tape (examples/one_neuron.hpp).
    tapegrad::Tape real;
    const tapegrad::Var real_w = real.variable(0.5), real_b = real.variable(0.0);
    real.gradient(tapegrad::examples::neuron_loss(real, real_w, real_b));
    std::printf("\ndloss/dw: this tape %.9g, tapegrad's %.9g\n", tape.nodes[w].adjoint, real_w.scalar_adjoint());
    std::printf("dloss/db: this tape %.9g, tapegrad's %.9g\n", tape.nodes[b].adjoint, real_b.scalar_adjoint());

    // [reuse]
    ScalarTape twice;
    const int a = twice.variable(3.0);
    twice.gradient(twice.multiply(a, a));  // both parents are a: two shares, 3 + 3
    // [reuse]
    std::printf("\na * a at a = 3: d/da = %g (2a = 6; with = instead of += the sweep would give 3)\n",
                twice.nodes[a].adjoint);
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
