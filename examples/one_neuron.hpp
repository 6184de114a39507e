// examples/one_neuron.hpp — the smallest piece of the health network, recorded on a tape.
//
// One neuron with one input (the first person's scaled age, 60/101), a weight w and a bias
// b, predicting the health score 7 under a squared error:
//     prediction = w * x + b,   loss = (prediction - y)^2
// Chapter 4 of the tutorial records it (ch4_record_expression) and tape_graph --neuron
// draws it: eight nodes, small enough to follow every number of the sweep by hand.
#pragma once

#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad::examples {

// [record]
// The neuron's loss, recorded on `tape` for parameters w and b.
inline Var neuron_loss(Tape& tape, Var w, Var b) {
    const Var x = tape.constant(60.0 / 101.0);  // age 60, scaled by the article's 0..101
    const Var y = tape.constant(7.0);           // the health score to predict
    tape.set_name(x, "x");
    tape.set_name(y, "y");
    const Var prediction = w * x + b;
    tape.set_name(prediction, "prediction");
    const Var loss = square(prediction - y);
    tape.set_name(loss, "loss");
    return loss;
}
// [record]

}  // namespace tapegrad::examples
