// examples/ch4_person_tape.cpp — tutorial chapter 4: the real tape of one person's
// squared error, recorded with scalar nodes, printed as a table after one reverse sweep;
// then the batched tape of the whole MSE, where every node is a column of six people.
#include <iostream>

#include "cli.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

int show_chapter() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0, 0.0, 0.0};
    const Dataset people = article_people();
    const Eigen::MatrixXd scaled = Scaler::article_min_max().transform(people.features);

    // [person]
    // A network of one person: the first (age 60, exercise 8, diet 7, health 7).
    const HealthNetwork first_person(scaled.topRows(1), people.targets.head(1));
    Tape tape;
    ParameterVars vars;
    const Var loss = first_person.record_loss_per_person(tape, p, vars, /*named=*/true);
    tape.gradient(loss);
    print_tape(std::cout, tape);
    // [person]

    std::cout << "\nThe same loss for all six people, batched (each value a column of six; three shown):\n\n";
    // [batched]
    const HealthNetwork everyone(scaled, people.targets);
    tape.clear();
    const Var mse = everyone.record_loss(tape, p, vars, /*named=*/true);
    tape.gradient(mse);
    PrintOptions options;
    options.max_elements = 3;
    print_tape(std::cout, tape, options);
    // [batched]
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
