/// \file
/// Training an MLP: the gradient of a batch by a compiled loss, epochs of mini-batches.
///
/// `BatchGradient` traces the loss of one batch shape once — the layers as variables, the
/// batch's inputs and targets as constants — and compiles it (compiled_loss.hpp); later
/// batches of that shape only give the plan new data and parameters, so a step allocates
/// nothing once it has run.
///
/// `train` runs epochs. Each epoch visits every training row once: in one full batch, or
/// in mini-batches of `batch_size` rows after a seeded shuffle (Fisher-Yates, drawing
/// with std::mt19937_64, so a seed gives the same order everywhere); the last batch of an
/// epoch holds the rows left over. After each batch the optimizer steps the parameters.
/// For mean squared error the output layer's bias starts at the targets' mean, so the
/// network starts from predicting the average rather than 0. The history keeps the
/// training (and test) loss at the start and after each epoch. A loss that becomes inf or
/// NaN stops training; the result says at which epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/nn/mlp.hpp"
#include "tapegrad/nn/optimizer.hpp"

namespace tapegrad::nn {

/// The tape's gradient of `loss` over one batch at given parameters, on a tape it keeps.
class BatchGradient {
public:
    BatchGradient(const MLP& network, Loss loss) : network_(network), loss_kind_(loss) {}
    /// The loss of the network with `parameters` on inputs `x` and targets `y` (a column);
    /// its gradient goes to `gradient`. The first call of each number of rows traces and
    /// compiles; later calls with that number run its plan.
    double operator()(std::span<const double> parameters, const Eigen::Ref<const Eigen::MatrixXd>& x,
                      const Eigen::Ref<const Eigen::MatrixXd>& y, std::span<double> gradient);
    /// The tape traced for the last call's batch size (TapeError before any call).
    const Tape& tape() const {
        if (!last_) throw TapeError("BatchGradient::tape: no batch yet");
        return last_->loss.tape();
    }

private:
    struct Traced {  // one batch size, traced and compiled
        Traced(const BatchGradient& owner, const Eigen::Ref<const Eigen::MatrixXd>& x,
               const Eigen::Ref<const Eigen::MatrixXd>& y);
        Eigen::Index rows;
        Var batch_x, batch_y;  // the batch's leaves in the trace
        CompiledLoss loss;
    };
    const MLP& network_;
    Loss loss_kind_;
    std::vector<std::unique_ptr<Traced>> traced_;  // an epoch has at most two sizes
    Traced* last_ = nullptr;
};

struct MlpTrainingOptions {
    Loss loss = Loss::mse;
    OptimizerKind optimizer = OptimizerKind::adam;
    double learning_rate = 0.01;
    int epochs = 100;
    int batch_size = 0;      ///< 0 (or at least the rows): full batch
    std::uint64_t seed = 1;  ///< the shuffle's
};

struct EpochRecord {
    int epoch = 0;  ///< 0 = the start, before any step
    double train_loss = 0;
    double test_loss = std::numeric_limits<double>::quiet_NaN();  ///< NaN without a test set
};

struct MlpHistory {
    std::vector<EpochRecord> epochs;
    /// epoch,train_loss[,test_loss] — numbers with 17 significant digits.
    void write_csv(std::ostream& out, bool with_test) const;
};

struct MlpTrainingResult {
    MlpHistory history;
    long steps = 0;  ///< optimizer steps taken
    bool diverged = false;
    std::string divergence;  ///< "diverged in epoch 3: the loss became NaN (try a smaller learning rate)"
};

/// Called after each epoch with the epoch and its training loss.
using EpochCallback = std::function<void(int epoch, double train_loss)>;

/// Train `network` in place on rows `x` (n x inputs) and targets `y` (n x outputs);
/// `test_x`, `test_y` (may be empty) are only evaluated.
MlpTrainingResult train(MLP& network, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                        const MlpTrainingOptions& options, const Eigen::MatrixXd& test_x = {},
                        const Eigen::MatrixXd& test_y = {}, const EpochCallback& progress = {});

/// Root mean squared error of outputs against targets.
double rmse(const Eigen::MatrixXd& output, const Eigen::MatrixXd& y);
/// The share of rows classified right: class 1 when the output is at least `threshold`
/// (0 for logits, 0.5 for outputs trained by MSE on 0/1 labels).
double accuracy(const Eigen::MatrixXd& output, const Eigen::MatrixXd& y, double threshold);

}  // namespace tapegrad::nn
