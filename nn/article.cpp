// tapegrad/nn/article.cpp — the port. Expressions keep the article's order of operations
// (left to right, as Python evaluates them), and sums add the people in order as numpy
// does for six elements, so the results match the article's program to the last bits.
#include "tapegrad/nn/article.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tapegrad::nn::article {

namespace {
// np.mean of a short array: sum in order, then divide by the count.
double np_mean(const Eigen::ArrayXd& a) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < a.size(); ++i) sum += a(i);
    return sum / static_cast<double>(a.size());
}

[[noreturn]] void invalid_parameter(std::string_view parameter) {
    throw std::invalid_argument("invalid parameter '" + std::string(parameter) + "'");
}
}  // namespace

Forward hidden_layer_model(const Globals& g, const Parameters& p) {
    Forward f;
    f.h1 = p[w1] * g.x1 + p[w2] * g.x2 + p[w3] * g.x3 + p[b1];
    f.h2 = p[w4] * g.x1 + p[w5] * g.x2 + p[w6] * g.x3 + p[b2];
    f.z = p[w7] * f.h1 + p[w8] * f.h2 + p[b3];
    f.y_pred = f.z.unaryExpr([&](double z) { return activate(g.activation, z); });
    return f;
}

double mse(const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets) {
    const double n = static_cast<double>(predictions.size());
    const Eigen::ArrayXd squared = (predictions - targets).square();
    double sum = 0.0;
    for (Eigen::Index i = 0; i < squared.size(); ++i) sum += squared(i);
    return (1 / n) * sum;
}

Eigen::ArrayXd d_mse(const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets) {
    const double n = static_cast<double>(predictions.size());
    return ((1 / n) * 2) * (predictions - targets);
}

Eigen::ArrayXd d_activ_func(Activation activation, const Eigen::ArrayXd& z) {
    switch (activation) {
        case Activation::identity: return Eigen::ArrayXd::Ones(z.size());  // the article returns 1
        case Activation::sigmoid: {  // x = sigmoid(x); x * (1 - x), with the article's 1 / (1 + e^-x)
            const Eigen::ArrayXd s = 1 / (1 + (-z).exp());
            return s * (1 - s);
        }
        case Activation::relu: return (z > 0).cast<double>();  // 1 where x > 0, else 0
        case Activation::tanh: return 1 - z.tanh().square();   // not in the article
    }
    return Eigen::ArrayXd::Ones(z.size());
}

double back_propagation_layer_1(const Globals& g, const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets,
                                const Eigen::ArrayXd& z, std::string_view parameter) {
    // (1) dMSE/dY_pred, per person, already divided by n
    const Eigen::ArrayXd one = d_mse(predictions, targets);
    // (2) dY_pred/dZ
    const Eigen::ArrayXd two = d_activ_func(g.activation, z);
    // (3) dZ/dh: w7 for the first hidden neuron, w8 for the second — and 1 for the biases
    double three;
    if (parameter == "w1" || parameter == "w2" || parameter == "w3")
        three = g.w7;
    else if (parameter == "w4" || parameter == "w5" || parameter == "w6")
        three = g.w8;
    else if (parameter == "b1" || parameter == "b2")
        three = 1;
    else
        invalid_parameter(parameter);
    // (4) dh/dh = 1
    const double four = 1;
    // (5) dh/dparameter: the input the weight multiplies, or 1 for a bias
    Eigen::ArrayXd five;
    if (parameter == "w1" || parameter == "w4")
        five = g.x1;
    else if (parameter == "w2" || parameter == "w5")
        five = g.x2;
    else if (parameter == "w3" || parameter == "w6")
        five = g.x3;
    else
        five = Eigen::ArrayXd::Ones(z.size());  // b1, b2

    // gradient = one * two * three * four * five, evaluated left to right
    const Eigen::ArrayXd gradient = (((one * two) * three) * four) * five;
    // then averaged over the people: a second division by n
    return np_mean(gradient);
}

double back_propagation_layer_2(const Globals& g, const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets,
                                const Eigen::ArrayXd& z, const Eigen::ArrayXd& h1, const Eigen::ArrayXd& h2,
                                std::string_view parameter) {
    const Eigen::ArrayXd one = d_mse(predictions, targets);
    const Eigen::ArrayXd two = d_activ_func(g.activation, z);
    Eigen::ArrayXd three;
    if (parameter == "w7")
        three = h1;
    else if (parameter == "w8")
        three = h2;
    else if (parameter == "b3")
        three = Eigen::ArrayXd::Ones(z.size());  // a bias multiplies no input
    else
        invalid_parameter(parameter);
    const Eigen::ArrayXd gradient = (one * two) * three;
    return np_mean(gradient);
}

double gradient(const HealthNetwork& network, const Parameters& p, Parameters& out) {
    const Globals g{network.x1().array(), network.x2().array(), network.x3().array(), p[w7], p[w8],
                    network.activation()};
    const Forward f = hidden_layer_model(g, p);
    const Eigen::ArrayXd y = network.targets().array();
    const double loss = mse(f.y_pred, y);
    for (std::size_t i : {w1, w2, w3, w4, w5, w6})
        out[i] = back_propagation_layer_1(g, f.y_pred, y, f.z, parameter_names[i]);
    out[w7] = back_propagation_layer_2(g, f.y_pred, y, f.z, f.h1, f.h2, "w7");
    out[w8] = back_propagation_layer_2(g, f.y_pred, y, f.z, f.h1, f.h2, "w8");
    out[b1] = back_propagation_layer_1(g, f.y_pred, y, f.z, "b1");
    out[b2] = back_propagation_layer_1(g, f.y_pred, y, f.z, "b2");
    out[b3] = back_propagation_layer_2(g, f.y_pred, y, f.z, f.h1, f.h2, "b3");
    return loss;
}

}  // namespace tapegrad::nn::article
