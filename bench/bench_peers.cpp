// tapegrad/bench/bench_peers.cpp — other AD tools on the same workloads: ADOL-C and libtorch.
//
// Each peer is compiled in only when CMake found it (TAPEGRAD_HAVE_ADOLC, _TORCH); a
// peer that is missing still has its cases, which skip with a message naming the Debian
// package to install. The hand-written baselines are registered here too, so every ratio
// is to a baseline measured in the same run, and every peer's gradient is verified
// against them before it is timed.
//   health/<activation>/   the article's network, six people, the batched graph
//       adolc_retape       trace_on .. trace_off, then gradient(): record + sweep each time
//       adolc_reused       gradient() on a tape recorded once (valid: the graph has no branches)
//       libtorch           11 scalar tensors with requires_grad, the article's numpy lines
//   scaling/<activation>/H<h>/N<n>/   the 3 -> H -> 1 network (scaling_network.hpp)
//       adolc_retape, libtorch   (libtorch with one intra-op thread, like the others)
//
//     build/release/bench/bench_peers --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/health_baseline.hpp"
#include "bench/scaling_network.hpp"

#if TAPEGRAD_HAVE_ADOLC
#include <adolc/adolc.h>
#endif
#if TAPEGRAD_HAVE_TORCH
#include <torch/torch.h>
#endif

namespace {

using namespace tapegrad;
using namespace tapegrad::bench;
using nn::Activation;

template <class Gradient>
void time_health(benchmark::State& state, Gradient&& gradient, const Parameters& want) {
    Parameters p = start(), g;
    gradient(p, g);
    if (!verify(state, g.values, want.values)) return;
    const double allocations = allocations_per_call([&] { gradient(p, g); });
    for (auto _ : state) {
        benchmark::DoNotOptimize(p);
        double loss = gradient(p, g);
        benchmark::DoNotOptimize(loss);
        benchmark::DoNotOptimize(g);
    }
    set_counters(state, {nullptr, allocations});
}

#if TAPEGRAD_HAVE_ADOLC
// ---- ADOL-C: scalar operator overloading onto a tape identified by a number ----------------

adouble adolc_activate(Activation a, const adouble& z) { return a == Activation::sigmoid ? 1 / (1 + exp(-z)) : z; }

double adolc_record_health(short tag, const HealthNetwork& net, const Parameters& p) {
    trace_on(tag);
    std::vector<adouble> w(nn::parameter_count);
    for (std::size_t k = 0; k < nn::parameter_count; ++k) w[k] <<= p[k];
    adouble loss = 0;
    for (Eigen::Index i = 0; i < net.people(); ++i) {
        const double x1 = net.x1()(i), x2 = net.x2()(i), x3 = net.x3()(i);
        const adouble h1 = w[nn::w1] * x1 + w[nn::w2] * x2 + w[nn::w3] * x3 + w[nn::b1];
        const adouble h2 = w[nn::w4] * x1 + w[nn::w5] * x2 + w[nn::w6] * x3 + w[nn::b2];
        const adouble e =
            adolc_activate(net.activation(), w[nn::w7] * h1 + w[nn::w8] * h2 + w[nn::b3]) - net.targets()(i);
        loss += e * e;
    }
    loss /= static_cast<double>(net.people());
    double value = 0;
    loss >>= value;
    trace_off();
    return value;
}

double adolc_record_scaling(short tag, const ScalingProblem& problem, const Eigen::VectorXd& theta) {
    const int h = problem.hidden, n = problem.samples();
    trace_on(tag);
    std::vector<adouble> t(static_cast<std::size_t>(theta.size()));
    for (Eigen::Index k = 0; k < theta.size(); ++k) t[k] <<= theta(k);
    adouble loss = 0;
    for (int i = 0; i < n; ++i) {
        adouble prediction = t[5 * h];
        for (int j = 0; j < h; ++j) {
            const adouble pre = t[3 * j] * problem.x(i, 0) + t[3 * j + 1] * problem.x(i, 1) +
                                t[3 * j + 2] * problem.x(i, 2) + t[3 * h + j];
            prediction += t[4 * h + j] * adolc_activate(problem.activation, pre);
        }
        const adouble e = prediction - problem.y(i);
        loss += e * e;
    }
    loss /= static_cast<double>(n);
    double value = 0;
    loss >>= value;
    trace_off();
    return value;
}
#endif

#if TAPEGRAD_HAVE_TORCH
// ---- libtorch: tensors with requires_grad, backward() on the loss -------------------------

torch::Tensor doubles(const double* data, std::int64_t n) {
    return torch::from_blob(const_cast<double*>(data), {n}, torch::kFloat64).clone();
}
torch::Tensor torch_activate(Activation a, const torch::Tensor& z) {
    return a == Activation::sigmoid ? torch::sigmoid(z) : z;
}

class TorchHealth {
public:
    explicit TorchHealth(const HealthNetwork& net)
        : x1_(doubles(net.x1().data(), net.people())),
          x2_(doubles(net.x2().data(), net.people())),
          x3_(doubles(net.x3().data(), net.people())),
          y_(doubles(net.targets().data(), net.people())),
          activation_(net.activation()) {}
    double operator()(const Parameters& p, Parameters& g) {
        std::vector<torch::Tensor> w;
        for (std::size_t k = 0; k < nn::parameter_count; ++k)
            w.push_back(torch::scalar_tensor(p[k], torch::kFloat64).requires_grad_(true));
        const auto h1 = w[nn::w1] * x1_ + w[nn::w2] * x2_ + w[nn::w3] * x3_ + w[nn::b1];
        const auto h2 = w[nn::w4] * x1_ + w[nn::w5] * x2_ + w[nn::w6] * x3_ + w[nn::b2];
        const auto prediction = torch_activate(activation_, w[nn::w7] * h1 + w[nn::w8] * h2 + w[nn::b3]);
        const auto loss = (prediction - y_).square().mean();
        loss.backward();
        for (std::size_t k = 0; k < nn::parameter_count; ++k) g[k] = w[k].grad().item<double>();
        return loss.item<double>();
    }

private:
    torch::Tensor x1_, x2_, x3_, y_;
    Activation activation_;
};

class TorchScaling {
public:
    explicit TorchScaling(const ScalingProblem& problem)
        : problem_(problem),
          // Eigen is column-major: the N x 3 inputs read as a 3 x N row-major tensor, transposed.
          x_(torch::from_blob(const_cast<double*>(problem.x.data()), {3, problem.samples()}, torch::kFloat64)
                 .t()
                 .contiguous()),
          y_(doubles(problem.y.data(), problem.samples()).reshape({problem.samples(), 1})) {}
    double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) {
        const int h = problem_.hidden;
        const auto leaf = [&](const double* data, std::vector<std::int64_t> shape) {
            return torch::from_blob(const_cast<double*>(data), shape, torch::kFloat64).clone().requires_grad_(true);
        };
        // W1 is 3 x H column-major = H x 3 row-major.
        const auto w1 = leaf(theta.data(), {h, 3}), b1 = leaf(theta.data() + 3 * h, {1, h}),
                   w2 = leaf(theta.data() + 4 * h, {h, 1}), b2 = leaf(theta.data() + 5 * h, {1});
        const auto hidden = torch_activate(problem_.activation, torch::matmul(x_, w1.t()) + b1);
        const auto loss = (torch::matmul(hidden, w2) + b2 - y_).square().mean();
        loss.backward();
        gradient.resize(theta.size());
        const auto copy = [&](const torch::Tensor& t, Eigen::Index at) {
            const auto c = t.contiguous();
            std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), gradient.data() + at);
        };
        copy(w1.grad(), 0);
        copy(b1.grad(), 3 * h);
        copy(w2.grad(), 4 * h);
        copy(b2.grad(), 5 * h);
        return loss.item<double>();
    }

private:
    const ScalingProblem& problem_;
    torch::Tensor x_, y_;
};
#endif

[[maybe_unused]] void skip(benchmark::State& state, const char* why) {
    for (auto _ : state) break;  // Google Benchmark wants the loop entered or an error set
    state.SkipWithError(why);
}
[[maybe_unused]] constexpr const char* no_adolc = "ADOL-C not found at configure time (apt-get install libadolc-dev)";
[[maybe_unused]] constexpr const char* no_torch = "libtorch not found at configure time (apt-get install libtorch-dev)";

void register_health(Activation a) {
    static std::vector<HealthNetwork> networks;
    networks.reserve(4);
    const HealthNetwork& net = networks.emplace_back(article_network(a));
    const std::string group = "health/" + std::string(nn::activation_name(a)) + "/";
    const Parameters truth = net.chain_rule_gradient(start());

    benchmark::RegisterBenchmark((group + "hand_written").c_str(), [&net, truth](benchmark::State& state) {
        time_health(state, HandWritten(net), truth);
    });
    benchmark::RegisterBenchmark((group + "adolc_retape").c_str(), [&net, truth](benchmark::State& state) {
#if TAPEGRAD_HAVE_ADOLC
        time_health(
            state,
            [&](const Parameters& p, Parameters& g) {
                const double loss = adolc_record_health(1, net, p);
                gradient(1, nn::parameter_count, p.values.data(), g.values.data());
                return loss;
            },
            truth);
#else
        (void)net, (void)truth;
        skip(state, no_adolc);
#endif
    });
    benchmark::RegisterBenchmark((group + "adolc_reused").c_str(), [&net, truth](benchmark::State& state) {
#if TAPEGRAD_HAVE_ADOLC
        adolc_record_health(2, net, start());
        time_health(
            state,
            [&](const Parameters& p, Parameters& g) {
                double loss = 0;
                zos_forward(2, 1, nn::parameter_count, 1, p.values.data(), &loss);  // keep the values for reverse
                double weight = 1;
                fos_reverse(2, 1, nn::parameter_count, &weight, g.values.data());
                return loss;
            },
            truth);
#else
        (void)net, (void)truth;
        skip(state, no_adolc);
#endif
    });
    benchmark::RegisterBenchmark((group + "libtorch").c_str(), [&net, truth](benchmark::State& state) {
#if TAPEGRAD_HAVE_TORCH
        torch::set_num_threads(1);
        time_health(state, TorchHealth(net), truth);
#else
        (void)net, (void)truth;
        skip(state, no_torch);
#endif
    });
}

void register_scaling(Activation a, int hidden, int samples) {
    const std::string group = "scaling/" + std::string(nn::activation_name(a)) + "/H" + std::to_string(hidden) + "/N" +
                              std::to_string(samples) + "/";
    const auto make = [=] { return make_scaling_problem(hidden, samples, a); };
    const benchmark::TimeUnit unit =
        static_cast<double>(hidden) * samples >= 1e5 ? benchmark::kMicrosecond : benchmark::kNanosecond;
    const auto reference = [](const ScalingProblem& problem) {
        Eigen::VectorXd want;
        LoopGradient{problem}(problem.start, want);
        return want;
    };
    benchmark::RegisterBenchmark((group + "hand_written_loop").c_str(), [=](benchmark::State& state) {
        const ScalingProblem problem = make();
        Eigen::VectorXd other;
        EigenGradient{problem}(problem.start, other);
        time_gradient(state, LoopGradient(problem), problem.start, other);
    })->Unit(unit);
    benchmark::RegisterBenchmark((group + "hand_written_eigen").c_str(), [=](benchmark::State& state) {
        const ScalingProblem problem = make();
        time_gradient(state, EigenGradient(problem), problem.start, reference(problem));
    })->Unit(unit);
    benchmark::RegisterBenchmark((group + "adolc_retape").c_str(), [=](benchmark::State& state) {
#if TAPEGRAD_HAVE_ADOLC
        const ScalingProblem problem = make();
        time_gradient(
            state,
            [&](const Eigen::VectorXd& theta, Eigen::VectorXd& g) {
                const double loss = adolc_record_scaling(3, problem, theta);
                g.resize(theta.size());
                gradient(3, static_cast<int>(theta.size()), theta.data(), g.data());
                return loss;
            },
            problem.start, reference(problem));
#else
                                     (void)make, (void)reference;
                                     skip(state, no_adolc);
#endif
    })->Unit(unit);
    benchmark::RegisterBenchmark((group + "libtorch").c_str(), [=](benchmark::State& state) {
#if TAPEGRAD_HAVE_TORCH
        torch::set_num_threads(1);
        const ScalingProblem problem = make();
        time_gradient(state, TorchScaling(problem), problem.start, reference(problem));
#else
                                     (void)make, (void)reference;
                                     skip(state, no_torch);
#endif
    })->Unit(unit);
}

}  // namespace

int main(int argc, char** argv) {
    for (Activation a : {Activation::identity, Activation::sigmoid}) register_health(a);
    for (Activation a : {Activation::identity, Activation::sigmoid})
        for (auto [hidden, samples] : {std::pair{2, 6}, std::pair{32, 600}, std::pair{256, 600}})
            register_scaling(a, hidden, samples);
    return run_benchmarks(argc, argv);
}
