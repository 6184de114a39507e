// examples/ch4_two_paths.cpp — tutorial chapter 4: the smallest graph with two paths from
// one input to the output, swept by hand and then by the tape.
//
//     c = a + b,   d = b + 1,   e = c * d      at a = 2, b = 1
//
// b reaches e along two paths, through c and through d, so its adjoint is the sum of two
// contributions: the reason the sweep does += (chapter 4, "Why adjoints are added").
// The program works the sweep by hand with plain doubles, one node at a time, newest
// first; records the same expression on tapegrad's tape and prints the tape after one
// sweep; and checks both against the derivatives of the expanded polynomial
// e = ab + a + b² + b: de/da = b + 1, de/db = a + 2b + 1.
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace {

using tapegrad::format_number;
using tapegrad::Tape;
using tapegrad::Var;

struct Gradient {
    double da = 0, db = 0;
};

std::string n(double x) { return format_number(x); }

// One step of the sweep by hand: `parent` += `adjoint` x the local derivative, printed with
// its numbers; `local_name` names the local derivative when it is another node's value.
void share(const char* parent, double& parent_adjoint, double adjoint, double local, const char* local_name = nullptr) {
    const double before = parent_adjoint;
    parent_adjoint += adjoint * local;
    std::cout << "    " << parent << "'s adjoint += " << n(adjoint) << " x ";
    if (local_name) std::cout << local_name << " = " << n(adjoint) << " x ";
    std::cout << n(local) << " = " << n(adjoint * local);
    if (before != 0.0)
        std::cout << "   (now " << n(before) << " + " << n(adjoint * local) << " = " << n(parent_adjoint) << ")";
    std::cout << "\n";
}

Gradient sweep_by_hand(double a, double b) {
    const double c = a + b, d = b + 1, e = c * d;  // the forward pass
    std::cout << "forward:  c = a + b = " << n(c) << ",  d = b + 1 = " << n(d) << ",  e = c * d = " << n(e) << "\n\n";
    double ea = 0, eb = 0, ec = 0, ed = 0;  // the adjoints, all 0 before the sweep
    std::cout << "sweep by hand, newest node first:\n";
    const double ee = 1;  // de/de
    std::cout << "  e = c * d: e's adjoint is 1 (de/de)\n";
    share("c", ec, ee, d, "d");  // de/dc = d
    share("d", ed, ee, c, "c");  // de/dd = c
    std::cout << "  d = b + 1: d's adjoint is " << n(ed) << "\n";
    share("b", eb, ed, 1);  // dd/db = 1
    std::cout << "  c = a + b: c's adjoint is " << n(ec) << "\n";
    share("a", ea, ec, 1);  // dc/da = 1
    share("b", eb, ec, 1);  // dc/db = 1: b's second path
    return {ea, eb};
}

Gradient sweep_on_the_tape(double a_value, double b_value) {
    // [tape]
    Tape tape;
    const Var a = tape.variable(a_value), b = tape.variable(b_value);
    const Var c = a + b;
    const Var d = b + 1.0;  // the 1 is recorded as a constant node
    const Var e = c * d;
    tape.gradient(e);
    // [tape]
    tape.set_name(a, "a");
    tape.set_name(b, "b");
    tape.set_name(c, "c");
    tape.set_name(d, "d");
    tape.set_name(e, "e");
    std::cout << "\nthe tape after one sweep:\n\n";
    tapegrad::print_tape(std::cout, tape);
    return {a.scalar_adjoint(), b.scalar_adjoint()};
}

int show_chapter() {
    const double a = 2, b = 1;
    std::cout << "e = (a + b)(b + 1) at a = " << n(a) << ", b = " << n(b) << "\n\n";
    const Gradient hand = sweep_by_hand(a, b);
    const Gradient tape = sweep_on_the_tape(a, b);
    const Gradient formula{b + 1, a + 2 * b + 1};  // from e = ab + a + b^2 + b
    std::cout << "\nde/da: by hand " << n(hand.da) << ", tape " << n(tape.da) << ", formula b + 1 = " << n(formula.da)
              << "\nde/db: by hand " << n(hand.db) << ", tape " << n(tape.db)
              << ", formula a + 2b + 1 = " << n(formula.db) << "\n";
    const bool agree = hand.da == tape.da && hand.db == tape.db && tape.da == formula.da && tape.db == formula.db;
    std::cout << "the sweep by hand, the tape and the formulas " << (agree ? "agree" : "DISAGREE") << "\n";
    return agree ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
