// tapegrad/bench/bench_mlp.cpp — an epoch of training an MLP, the tape against the same
// network written by hand with Eigen, in the same run, on two problems:
//   moons   2 -> 16 -> 16 -> 1, log loss: two moons, 1,000 rows, noise 0.1
//   digits  60 -> 32 -> 10, cross-entropy over 10 classes (softmax): the 1,352 training
//           images of examples/data/digits.csv (issue 26)
// Both standardised and split once into mini-batches of 32 (the last holds the rest). An
// epoch is, for every batch, the gradient of the loss and one Adam step (nn::Optimizer
// for both, so only the gradient differs):
//   hand_written_eigen  forward and backward by the chain rule, whole-matrix Eigen
//                       expressions into buffers allocated once (the baseline)
//   tape                nn::BatchGradient: each batch shape traced once and compiled, then run
//   libtorch            the same network on libtorch's autograd (one thread, float64), when
//                       CMake finds libtorch-dev in a GCC build; else skipped, saying why
// Before timing, each case's gradient on the first batch is compared with the other's,
// and the hand-written one with central differences of the loss. The counters: heap
// allocations per step (gradient and update) once warm — 0 for the tape; the baseline
// reallocates its buffers when the batch shape changes — and steps per
// second; x_hand is the ratio of CPU times (issue 17 asks for at most 2).
//
//     build/release/bench/bench_mlp --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <cmath>
#include <vector>

#include "bench/bench_common.hpp"
#include "tapegrad/nn/classes.hpp"
#include "tapegrad/nn/csv.hpp"
#include "tapegrad/nn/datasets.hpp"
#include "tapegrad/nn/mlp_training.hpp"
#include "tapegrad/nn/scaler.hpp"

#if TAPEGRAD_HAVE_TORCH
#include <torch/torch.h>
#endif

namespace {

using namespace tapegrad;
using namespace tapegrad::bench;

struct Problem {
    nn::MLP start;
    nn::Loss loss;
    std::vector<Eigen::MatrixXd> x, y;  // the batches
};

// Standardised rows x and targets y (a column of 0/1, or one-hot rows) in batches of 32.
Problem batched(nn::MLP start, nn::Loss loss, const Eigen::MatrixXd& raw, const Eigen::MatrixXd& y) {
    Problem p{std::move(start), loss, {}, {}};
    p.start.initialize(1);
    const Eigen::MatrixXd x = nn::Scaler::standard(raw).transform(raw);
    for (Eigen::Index row = 0; row < x.rows(); row += 32) {
        const Eigen::Index rows = std::min<Eigen::Index>(32, x.rows() - row);
        p.x.push_back(x.middleRows(row, rows));
        p.y.push_back(y.middleRows(row, rows));
    }
    return p;
}

Problem moons() {
    const nn::SyntheticData d = nn::make_dataset(nn::DatasetKind::moons, 1000, 0.1, 1);
    return batched(nn::MLP({2, 16, 16, 1}, nn::Activation::tanh), nn::Loss::log, d.values.leftCols(2), d.values.col(2));
}

Problem digits() {
    const nn::Examples e =
        nn::split(nn::read_csv(TAPEGRAD_DATA_DIR "/digits.csv", nn::default_csv_limit, "digit"), "digit");
    const std::vector<std::string> names = nn::class_names(e, "digits.csv");
    const auto k = static_cast<int>(names.size());
    return batched(nn::MLP({static_cast<int>(e.features.cols()), 32, k}, nn::Activation::tanh), nn::Loss::cross_entropy,
                   e.features, nn::one_hot(nn::class_indices(e, names, "digits.csv"), k));
}

// The network by hand: Z_l = H_{l-1} W_l + b_l, H_l = tanh(Z_l) (the last layer: H = Z,
// the logits). Log loss L = mean(softplus(z) - y z), so dL/dz = (s(z) - y) / n;
// cross-entropy L = -(1/n) sum Y .* log softmax(Z) row by row, so dL/dZ = (softmax(Z) - Y) / n; then
//   dW_l = H_{l-1}^T dZ_l,  db_l = column sums of dZ_l,  dZ_{l-1} = (dZ_l W_l^T) .* (1 - H_{l-1}^2).
class EigenMlpGradient {
public:
    EigenMlpGradient(const nn::MLP& network, nn::Loss loss) : network_(network), loss_(loss) {}

    double operator()(std::span<const double> p, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                      std::span<double> g) {
        const std::size_t layers = network_.layers().size();
        h_.resize(layers + 1);
        dz_.resize(layers);
        h_[0] = x;
        for (std::size_t l = 0; l < layers; ++l) {
            h_[l + 1].noalias() = h_[l] * weights(p, l);
            h_[l + 1].rowwise() += bias(p, l);
            if (l + 1 < layers) h_[l + 1] = h_[l + 1].array().tanh();
        }
        const double n = static_cast<double>(x.rows());
        const double loss = loss_ == nn::Loss::cross_entropy ? softmax_output(y, n) : logit_output(y, n);
        for (std::size_t l = layers; l-- > 0;) {
            const nn::Dense& d = network_.layers()[l];
            Eigen::Map<Eigen::MatrixXd>(g.data() + d.weights_offset, d.inputs, d.outputs).noalias() =
                h_[l].transpose() * dz_[l];
            Eigen::Map<Eigen::RowVectorXd>(g.data() + d.bias_offset, d.outputs) = dz_[l].colwise().sum();
            if (l > 0) {
                dz_[l - 1].noalias() = dz_[l] * weights(p, l).transpose();
                dz_[l - 1].array() *= 1.0 - h_[l].array().square();
            }
        }
        return loss;
    }

private:
    // The loss, and its derivative at the output into dz_.back().
    double logit_output(const Eigen::MatrixXd& y, double n) {
        const auto z = h_.back().array();
        dz_.back() = ((1.0 / (1.0 + (-z).exp())) - y.array()) / n;
        return (z.max(0.0) - y.array() * z + (-z.abs()).exp().log1p()).sum() / n;
    }
    double softmax_output(const Eigen::MatrixXd& y, double n) {
        Eigen::MatrixXd& p = dz_.back();
        row_max_ = h_.back().rowwise().maxCoeff();
        p = h_.back().colwise() - row_max_;  // shifted logits, each row's largest 0
        log_sum_ = p.array().exp().rowwise().sum().log();
        const double loss = -(y.array() * (p.colwise() - log_sum_).array()).sum() / n;
        p = (p.colwise() - log_sum_).array().exp();  // softmax
        p = (p - y) / n;
        return loss;
    }
    Eigen::Map<const Eigen::MatrixXd> weights(std::span<const double> p, std::size_t l) const {
        const nn::Dense& d = network_.layers()[l];
        return {p.data() + d.weights_offset, d.inputs, d.outputs};
    }
    Eigen::Map<const Eigen::RowVectorXd> bias(std::span<const double> p, std::size_t l) const {
        const nn::Dense& d = network_.layers()[l];
        return {p.data() + d.bias_offset, d.outputs};
    }
    const nn::MLP& network_;
    nn::Loss loss_;
    std::vector<Eigen::MatrixXd> h_, dz_;
    Eigen::VectorXd row_max_, log_sum_;
};

// Verify, count, time: `gradient(p, x, y, g)` as both classes take it.
template <class Gradient>
void time_epochs(benchmark::State& state, const Problem& problem, Gradient& gradient, std::span<const double> want) {
    nn::MLP network = problem.start;
    std::vector<double> g(network.parameter_count());
    gradient(network.parameters(), problem.x[0], problem.y[0], g);
    if (!verify(state, g, want)) return;
    nn::Optimizer adam(nn::OptimizerKind::adam, 0.01, network.parameter_count());
    std::size_t batch = 0;
    const auto step = [&] {
        benchmark::DoNotOptimize(gradient(network.parameters(), problem.x[batch], problem.y[batch], g));
        adam(network.parameters(), g);
        batch = (batch + 1) % problem.x.size();
    };
    for (std::size_t i = 0; i < problem.x.size(); ++i) step();  // every batch shape seen once
    const double allocations = allocations_per_call(step, 2 * static_cast<int>(problem.x.size()));
    for (auto _ : state)
        for (std::size_t b = 0; b < problem.x.size(); ++b) step();
    const Tape* tape = nullptr;  // the tape of the last batch's trace, when the gradient has one
    if constexpr (requires { gradient.tape(); }) tape = &gradient.tape();
    set_counters(state, {tape, allocations, static_cast<double>(problem.x.size())});
}

#if TAPEGRAD_HAVE_TORCH
// The same network on libtorch's autograd: the parameters as tensors that require their
// gradient, each batch as tensors, the loss's backward(), the gradients copied out. Eigen
// stores a k x m matrix column by column, which libtorch reads as the m x k row-major
// matrix: hence the transposes.
class TorchMlpGradient {
public:
    TorchMlpGradient(const nn::MLP& network, nn::Loss loss) : network_(network), loss_(loss) {}
    double operator()(std::span<const double> p, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                      std::span<double> g) {
        std::vector<torch::Tensor> w, b;
        for (const nn::Dense& d : network_.layers()) {
            w.push_back(matrix(p.data() + d.weights_offset, d.inputs, d.outputs).requires_grad_(true));
            b.push_back(matrix(p.data() + d.bias_offset, 1, d.outputs).requires_grad_(true));
        }
        torch::Tensor h = matrix(x.data(), x.rows(), x.cols());
        for (std::size_t l = 0; l < w.size(); ++l) {
            h = torch::addmm(b[l], h, w[l]);
            if (l + 1 < w.size()) h = torch::tanh(h);
        }
        const torch::Tensor t = matrix(y.data(), y.rows(), y.cols());
        const double n = static_cast<double>(x.rows());
        const torch::Tensor loss =
            loss_ == nn::Loss::cross_entropy ? -(t * torch::log_softmax(h, 1)).sum() / n
            : loss_ == nn::Loss::log ? (torch::relu(h) - t * h + torch::log1p(torch::exp(-h.abs()))).sum() / n
                                     : (h - t).square().mean();
        loss.backward();
        for (std::size_t l = 0; l < w.size(); ++l) {
            const nn::Dense& d = network_.layers()[l];
            copy_out(w[l].grad(), g.data() + d.weights_offset);
            copy_out(b[l].grad(), g.data() + d.bias_offset);
        }
        return loss.item<double>();
    }

private:
    static torch::Tensor matrix(const double* data, std::int64_t rows, std::int64_t cols) {
        return torch::from_blob(const_cast<double*>(data), {cols, rows}, torch::kFloat64).t().contiguous();
    }
    static void copy_out(const torch::Tensor& m, double* to) {  // rows x cols back to column-major
        const torch::Tensor columns = m.t().contiguous();
        std::copy_n(columns.data_ptr<double>(), columns.numel(), to);
    }
    const nn::MLP& network_;
    nn::Loss loss_;
};
#endif

void register_problem(const std::string& group, Problem (*make_problem)()) {
    // The reference: the hand-written gradient of the first batch, itself checked
    // against central differences of the loss.
    const auto reference = [](benchmark::State& state, const Problem& problem, std::vector<double>& want) {
        nn::MLP network = problem.start;
        want.assign(network.parameter_count(), 0.0);
        EigenMlpGradient{network, problem.loss}(network.parameters(), problem.x[0], problem.y[0], want);
        const auto loss = [&](std::span<const double> p) {
            nn::MLP moved = problem.start;
            std::copy(p.begin(), p.end(), moved.parameters().begin());
            return moved.loss(problem.x[0], problem.y[0], problem.loss);
        };
        return verify(state, want, central_differences(loss, network.parameters()));
    };
    benchmark::RegisterBenchmark((group + "hand_written_eigen").c_str(), [=](benchmark::State& state) {
        const Problem problem = make_problem();
        std::vector<double> want;
        if (!reference(state, problem, want)) return;
        EigenMlpGradient gradient(problem.start, problem.loss);
        time_epochs(state, problem, gradient, want);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((group + "tape").c_str(), [=](benchmark::State& state) {
        const Problem problem = make_problem();
        std::vector<double> want;
        if (!reference(state, problem, want)) return;
        nn::BatchGradient gradient(problem.start, problem.loss);
        time_epochs(state, problem, gradient, want);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((group + "libtorch").c_str(), [=](benchmark::State& state) {
#if TAPEGRAD_HAVE_TORCH
        const Problem problem = make_problem();
        std::vector<double> want;
        if (!reference(state, problem, want)) return;
        torch::set_num_threads(1);
        TorchMlpGradient gradient(problem.start, problem.loss);
        time_epochs(state, problem, gradient, want);
#else
        for (auto _ : state) break;  // Google Benchmark wants the loop entered or an error set
        state.SkipWithError("libtorch not found at configure time, or a clang build (apt-get install libtorch-dev)");
#endif
    })->Unit(benchmark::kMicrosecond);
}

void register_cases() {
    register_problem("mlp/moons/2-16-16-1/N1000/epoch/", moons);
    register_problem("mlp/digits/60-32-10/N1352/epoch/", digits);
}

}  // namespace

int main(int argc, char** argv) {
    register_cases();
    return run_benchmarks(argc, argv);
}
