// examples/exercises.cpp — the answers to the tutorial's "try it yourself" exercises that
// are code (docs/answers.md shows each piece by its marker, and this program's output).
//
// Each answer prints what it finds and states its claim; a claim that does not hold is
// printed as "CLAIM FAILS" and the program exits 1, so the test examples.exercises (which
// also diffs the output against expected/exercises.txt) fails with it. The answers:
//   ch2  the output bias that makes the mean error zero, and the MSE it leaves
//   ch3  dL/dw8 by hand against the tape
//   ch4  a reused node, b = a + a, c = b * b: its adjoint; a new op (softplus) checked
//   ch5  a broken derivative caught by the checker; the article's b1 with w7 put back
//   ch6  the learning rate at which training diverges
//   ch7  the two-moons network without its tanh
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/nn/article.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/datasets.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/mlp_training.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/training.hpp"

using namespace tapegrad;

namespace {

int failed_claims = 0;

void claim(bool holds, const std::string& what) {
    std::printf("  %s: %s\n", holds ? "claim holds" : "CLAIM FAILS", what.c_str());
    failed_claims += holds ? 0 : 1;
}

nn::HealthNetwork article_network() {
    const nn::Dataset people = nn::article_people();
    return {nn::Scaler::article_min_max().transform(people.features), people.targets};
}

nn::Parameters article_start() {
    nn::Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0, 0.0, 0.0};
    return p;
}

void chapter2_output_bias() {
    std::printf("Chapter 2: the output bias that makes the mean error zero\n");
    const nn::HealthNetwork network = article_network();
    // [ch2-bias]
    nn::Parameters p = article_start();
    const nn::ForwardPass f = network.forward(p);
    const double mean_error = (f.prediction - network.targets()).mean();  // prediction - health, averaged
    const double mse_before = network.loss(p);
    p[nn::b3] -= mean_error;  // every prediction moves by minus the mean error
    const double mse_after = network.loss(p);
    // [ch2-bias]
    std::printf("  mean error %.6f; b3 = %.6f; MSE %.6f -> %.6f (RMSE %.6f)\n", mean_error, p[nn::b3], mse_before,
                mse_after, std::sqrt(mse_after));
    claim(std::abs(mse_after - (mse_before - mean_error * mean_error)) < 1e-9,
          "the MSE falls by exactly the mean error squared");
    for (double nudge : {-0.01, 0.01}) {
        nn::Parameters q = p;
        q[nn::b3] += nudge;
        claim(network.loss(q) > mse_after, "b3 " + std::string(nudge < 0 ? "lower" : "higher") + " gives a larger MSE");
    }
}

void chapter3_w8_by_hand() {
    std::printf("\nChapter 3: dL/dw8 by hand\n");
    const nn::HealthNetwork network = article_network();
    const nn::Parameters p = article_start();
    // [ch3-w8]
    const nn::ForwardPass f = network.forward(p);
    const Eigen::VectorXd g = 2.0 / 6.0 * (f.prediction - network.targets());  // dL/dprediction, per person
    const double by_hand = g.dot(f.h2);                                        // dZ/dw8 = h2 (identity output)
    // [ch3-w8]
    Tape tape;
    nn::ParameterVars vars;
    tape.gradient(network.record_loss(tape, p, vars));
    const double on_tape = vars[nn::w8].scalar_adjoint();
    std::printf("  by hand %.9f, tape %.9f\n", by_hand, on_tape);
    claim(std::abs(by_hand - on_tape) <= 1e-12 * std::abs(on_tape),
          "the sum (2/n) sum_i e_i h2_i is the tape's dL/dw8");
}

void chapter4_reused_node() {
    std::printf("\nChapter 4: a node used twice\n");
    // [ch4-reuse]
    Tape tape;
    const Var a = tape.variable(3.0);
    const Var b = a + a;  // b = 2a: a is b's parent twice
    const Var c = b * b;  // c = 4a^2, so dc/da = 8a = 24
    tape.gradient(c);
    // [ch4-reuse]
    std::printf("  a = 3: c = %g, dc/db = %g, dc/da = %g\n", c.scalar_value(), b.scalar_adjoint(), a.scalar_adjoint());
    claim(a.scalar_adjoint() == 24.0, "both uses of a add their share: 12 + 12 = 24");
    // The same sweep with `=` where the tape has `+=`: a parent keeps only the last share.
    std::vector<double> set(tape.size(), 0.0);
    set[c.index()] = 1.0;
    for (std::size_t k = tape.size(); k-- > 0;) {
        const auto parents = tape.parents(k);
        for (std::size_t i = 0; i < parents.size(); ++i)  // multiply: the other factor; add: 1
            set[parents[i]] = set[k] * (tape.node(k).op == Op::multiply ? tape.value(parents[1 - i])(0, 0) : 1.0);
    }
    std::printf("  a sweep that set adjoints instead of adding: dc/db = %g, dc/da = %g\n", set[b.index()],
                set[a.index()]);
    claim(set[a.index()] == 6.0, "setting loses a share at each reuse: 6, not 24");
}

// [ch4-softplus]
/// y = ln(1 + e^x);  dy/dx = e^x / (1 + e^x) = sigmoid(x)
/// Written so that e^x is only taken of x <= 0: softplus(1000) = 1000, not inf.
struct Softplus : ops::Unary {
    static constexpr std::string_view name = "softplus";
    static double value(double x, double) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
    static double derivative(double x, double, double) {
        return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
    }
};
// [ch4-softplus]

/// A unary op's derivative at each x against central differences of its value.
template <class Op>
GradientReport check_unary(const std::vector<double>& xs) {
    std::vector<std::string> names;
    std::vector<double> derivatives, numeric;
    for (double x : xs) {
        char name[32];
        std::snprintf(name, sizeof name, "%s'(%g)", std::string(Op::name).c_str(), x);
        names.push_back(name);
        derivatives.push_back(Op::derivative(x, Op::value(x, 0), 0));
        const auto f = [](std::span<const double> v) { return Op::value(v[0], 0); };
        numeric.push_back(central_differences(f, std::vector<double>{x})[0]);
    }
    return compare_gradients(names, derivatives, numeric);
}

void chapter4_new_op() {
    std::printf("\nChapter 4: a new operation, softplus\n");
    const GradientReport report = check_unary<Softplus>({-3.0, -0.5, 0.0, 0.5, 3.0});
    std::printf("%s", report.to_string().c_str());
    claim(report.passed, "softplus's derivative agrees with central differences of its value");
    claim(Softplus::value(1000.0, 0) == 1000.0 && Softplus::value(-1000.0, 0) == 0.0,
          "softplus(1000) = 1000 and softplus(-1000) = 0: no overflow");
}

// [ch5-broken]
/// ops::Sin with the sign of its derivative flipped: the typo the exercise makes.
struct BrokenSin : ops::Unary {
    static constexpr std::string_view name = "sin";
    static double value(double x, double) { return std::sin(x); }
    static double derivative(double x, double, double) { return -std::cos(x); }  // should be +cos x
};
// [ch5-broken]

void chapter5_broken_derivative() {
    std::printf("\nChapter 5: a broken derivative\n");
    const GradientReport report = check_unary<BrokenSin>({-1.3, 0.4, 2.1});
    std::printf("%s", report.to_string().c_str());
    claim(!report.passed && report.failures() == 3, "the checker fails sin at every point");
}

/// The article's back_propagation_layer_1 for b1 (nn/article.cpp), with the chain rule's
/// factor w7 put back where the article has three = 1.
double article_b1_with_w7(const nn::HealthNetwork& network, const nn::Parameters& p) {
    nn::article::Globals g{network.x1().array(), network.x2().array(), network.x3().array(), p[nn::w7], p[nn::w8]};
    const nn::article::Forward f = nn::article::hidden_layer_model(g, p);
    const Eigen::ArrayXd targets = network.targets().array();
    // [ch5-w7]
    const Eigen::ArrayXd one = nn::article::d_mse(f.y_pred, targets);  // (1/n) 2 (prediction - target)
    const Eigen::ArrayXd two = nn::article::d_activ_func(g.activation, f.z);
    const double three = g.w7;  // was 1: dZ/dh1 = w7
    const double four = 1;
    const Eigen::ArrayXd five = Eigen::ArrayXd::Ones(f.z.size());  // dh1/db1 = 1
    return (one * two * three * four * five).mean();               // np.mean: a second 1/n
    // [ch5-w7]
}

void chapter5_article_fixed() {
    std::printf("\nChapter 5: the article's b1 with w7 put back\n");
    const nn::HealthNetwork network = article_network();
    const nn::Parameters p = article_start();
    nn::Parameters article, chain_rule = network.chain_rule_gradient(p);
    nn::article::gradient(network, p, article);
    const double fixed = article_b1_with_w7(network, p);
    std::printf("  dL/db1: true %.9f, article %.9f (ratio %.6g), article with w7 %.9f (ratio %.6g)\n",
                chain_rule[nn::b1], article[nn::b1], chain_rule[nn::b1] / article[nn::b1], fixed,
                chain_rule[nn::b1] / fixed);
    claim(std::abs(chain_rule[nn::b1] / fixed - 6.0) < 1e-9,
          "with w7 b1 agrees up to the factor 1/6 every weight has: 'agrees-up-to-factor'");
    const std::vector<double> times_six{6 * fixed}, truth{chain_rule[nn::b1]};
    claim(compare_gradients({"b1"}, times_six, truth).passed, "times 6 it passes the checker against the chain rule");
}

void chapter6_learning_rate() {
    std::printf("\nChapter 6: raising the learning rate\n");
    const nn::HealthNetwork network = article_network();
    // [ch6-rate]
    const nn::GradientFunction gradient = nn::gradient_function(network, nn::GradientSource::tape);
    double first_diverging = 0;
    for (double rate : {0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.5}) {
        nn::TrainingOptions options;  // the article's 2000 iterations
        options.learning_rate = rate;
        options.keep_history = false;
        const nn::TrainingResult r = nn::train(gradient, article_start(), options);
        if (r.diverged) {
            std::printf("  rate %-5g diverged at iteration %d\n", rate, r.diverged_at);
            first_diverging = first_diverging > 0 ? first_diverging : rate;
        } else {
            std::printf("  rate %-5g final RMSE %.6f\n", rate, r.final_rmse);
        }
    }
    // [ch6-rate]
    claim(first_diverging > 0.005, "the article's 0.005 is below the rate where training diverges");
}

void chapter7_linear_moons() {
    std::printf("\nChapter 7: two moons without tanh\n");
    const nn::SyntheticData train = nn::make_dataset(nn::DatasetKind::moons, 1000, 0.1, 1);
    const nn::SyntheticData test = nn::make_dataset(nn::DatasetKind::moons, 1000, 0.1, 2);
    const nn::Scaler scaler = nn::Scaler::standard(train.values.leftCols(2));
    const Eigen::MatrixXd x = scaler.transform(train.values.leftCols(2)), y = train.values.col(2);
    const Eigen::MatrixXd test_x = scaler.transform(test.values.leftCols(2)), test_y = test.values.col(2);
    // [ch7-linear]
    nn::MLP network({2, 16, 16, 1}, nn::Activation::identity);  // was tanh: now every layer is linear
    // [ch7-linear]
    network.initialize(1);
    nn::MlpTrainingOptions options;  // the chapter's settings
    options.loss = nn::Loss::log;
    options.optimizer = nn::OptimizerKind::adam;
    options.learning_rate = 0.01;
    options.epochs = 20;
    options.batch_size = 32;
    nn::train(network, x, y, options, test_x, test_y);
    const double accuracy = nn::accuracy(network.forward(test_x), test_y, 0.0);
    std::printf("  test accuracy %.1f%% (the tanh network: 99.8%%)\n", 100 * accuracy);
    claim(accuracy > 0.75 && accuracy < 0.95, "a straight boundary gets most points right, but not the moons' tips");
}

int show_answers() {
    chapter2_output_bias();
    chapter3_w8_by_hand();
    chapter4_reused_node();
    chapter4_new_op();
    chapter5_broken_derivative();
    chapter5_article_fixed();
    chapter6_learning_rate();
    chapter7_linear_moons();
    std::printf("\n%s\n", failed_claims == 0 ? "Every claim holds." : "SOME CLAIMS FAIL.");
    return failed_claims == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_answers); }
