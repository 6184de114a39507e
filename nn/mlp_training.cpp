// tapegrad/nn/mlp_training.cpp — a batch's gradient by a compiled loss, and the epochs.
#include "tapegrad/nn/mlp_training.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>
#include <ostream>
#include <random>
#include <stdexcept>

namespace tapegrad::nn {

// The loss of one batch shape: the layers as variables (from the numbers traced at), the
// batch as constants, kept as Vars of the trace so later batches are set_value's.
BatchGradient::Traced::Traced(const BatchGradient& owner, const Eigen::Ref<const Eigen::MatrixXd>& x,
                              const Eigen::Ref<const Eigen::MatrixXd>& y)
    : rows(x.rows()), loss([this, &owner, &x, &y](Tape& tape, std::span<const double> p) {
          std::vector<Var> parameters;
          for (const Dense& d : owner.network_.layers()) {
              parameters.push_back(
                  tape.variable(Eigen::Map<const Eigen::MatrixXd>(p.data() + d.weights_offset, d.inputs, d.outputs)));
              parameters.push_back(tape.variable(Eigen::Map<const Eigen::MatrixXd>(p.data() + d.bias_offset, 1, d.outputs)));
          }
          batch_x = tape.constant(x);  // x and y: the batch of the first call, traced there and then
          batch_y = tape.constant(y);
          return record_loss(owner.network_.record(batch_x, parameters), batch_y, owner.loss_kind_);
      }) {}

// A batch of a size traced before is new data for that plan; a new size (the last batch of
// an epoch, usually smaller) is another graph, traced and compiled once and kept.
double BatchGradient::operator()(std::span<const double> p, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                 const Eigen::Ref<const Eigen::MatrixXd>& y, std::span<double> gradient) {
    for (const auto& t : traced_)
        if (t->rows == x.rows()) {
            t->loss.set_value(t->batch_x, x);
            t->loss.set_value(t->batch_y, y);
            last_ = t.get();
            return t->loss.gradient(p, gradient);
        }
    last_ = traced_.emplace_back(std::make_unique<Traced>(*this, x, y)).get();
    last_->loss.trace(p);
    return last_->loss.gradient(p, gradient);
}

void MlpHistory::write_csv(std::ostream& out, bool with_test) const {
    out << (with_test ? "epoch,train_loss,test_loss\n" : "epoch,train_loss\n");
    char buf[80];
    for (const EpochRecord& r : epochs) {
        if (with_test)
            std::snprintf(buf, sizeof buf, "%d,%.17g,%.17g\n", r.epoch, r.train_loss, r.test_loss);
        else
            std::snprintf(buf, sizeof buf, "%d,%.17g\n", r.epoch, r.train_loss);
        out << buf;
    }
}

namespace {
// Fisher-Yates with the engine's raw draws (the modulo's bias is below 1e-15 here).
void shuffle(std::vector<Eigen::Index>& order, std::mt19937_64& engine) {
    for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[engine() % (i + 1)]);
}

EpochRecord evaluate(const MLP& network, int epoch, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                     const Eigen::MatrixXd& test_x, const Eigen::MatrixXd& test_y, Loss loss) {
    EpochRecord r;
    r.epoch = epoch;
    r.train_loss = network.loss(x, y, loss);
    if (test_x.rows() > 0) r.test_loss = network.loss(test_x, test_y, loss);
    return r;
}
}  // namespace

MlpTrainingResult train(MLP& network, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                        const MlpTrainingOptions& options, const Eigen::MatrixXd& test_x, const Eigen::MatrixXd& test_y,
                        const EpochCallback& progress) {
    const Eigen::Index n = x.rows();
    if (n == 0 || y.rows() != n || y.cols() != network.outputs() || x.cols() != network.inputs())
        throw std::invalid_argument("train: the data do not fit the network's inputs and outputs");
    if (options.epochs < 1) throw std::invalid_argument("train: epochs must be at least 1");
    if (options.loss == Loss::mse) network.bias(network.layers().size() - 1) = y.colwise().mean();

    Optimizer optimizer(options.optimizer, options.learning_rate, network.parameter_count());
    const Eigen::Index batch = options.batch_size <= 0 ? n : std::min<Eigen::Index>(options.batch_size, n);
    BatchGradient full(network, options.loss), remainder(network, options.loss);
    Eigen::MatrixXd batch_x(batch, x.cols()), batch_y(batch, y.cols());
    Eigen::MatrixXd rest_x(n % batch, x.cols()), rest_y(n % batch, y.cols());
    std::vector<double> gradient(network.parameter_count());
    std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    std::mt19937_64 engine(options.seed);

    MlpTrainingResult result;
    result.history.epochs.push_back(evaluate(network, 0, x, y, test_x, test_y, options.loss));
    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
        if (batch < n) shuffle(order, engine);
        for (Eigen::Index start = 0; start < n; start += batch) {
            double loss = 0;
            if (batch == n) {
                loss = full(network.parameters(), x, y, gradient);
            } else {
                const Eigen::Index rows = std::min(batch, n - start);
                Eigen::MatrixXd& bx = rows == batch ? batch_x : rest_x;
                Eigen::MatrixXd& by = rows == batch ? batch_y : rest_y;
                for (Eigen::Index i = 0; i < rows; ++i) {
                    bx.row(i) = x.row(order[static_cast<std::size_t>(start + i)]);
                    by.row(i) = y.row(order[static_cast<std::size_t>(start + i)]);
                }
                loss = (rows == batch ? full : remainder)(network.parameters(), bx, by, gradient);
            }
            if (!std::isfinite(loss)) {
                result.diverged = true;
                result.divergence = "diverged in epoch " + std::to_string(epoch) + ": the loss became " +
                                    (std::isnan(loss) ? "NaN" : "infinite") + " (try a smaller learning rate)";
                return result;
            }
            optimizer.step(network.parameters(), gradient);
            ++result.steps;
        }
        result.history.epochs.push_back(evaluate(network, epoch, x, y, test_x, test_y, options.loss));
        if (progress) progress(epoch, result.history.epochs.back().train_loss);
    }
    return result;
}

double rmse(const Eigen::MatrixXd& output, const Eigen::MatrixXd& y) {
    return std::sqrt(loss_value(output, y, Loss::mse));
}

double accuracy(const Eigen::MatrixXd& output, const Eigen::MatrixXd& y, double threshold) {
    if (output.size() != y.size() || y.size() == 0) throw std::invalid_argument("accuracy: shapes differ");
    Eigen::Index right = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i)
        right += (output.reshaped()(i) >= threshold) == (y.reshaped()(i) >= 0.5);
    return static_cast<double>(right) / static_cast<double>(y.size());
}

}  // namespace tapegrad::nn
