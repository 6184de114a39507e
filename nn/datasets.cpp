// tapegrad/nn/datasets.cpp — two moons, circles and Friedman #1 from a seed.
#include "tapegrad/nn/datasets.hpp"

#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>

namespace tapegrad::nn {

std::string_view dataset_name(DatasetKind kind) {
    switch (kind) {
        case DatasetKind::moons: return "moons";
        case DatasetKind::circles: return "circles";
        case DatasetKind::friedman1: return "friedman1";
    }
    return "?";
}

std::optional<DatasetKind> parse_dataset(std::string_view name) {
    for (DatasetKind k : {DatasetKind::moons, DatasetKind::circles, DatasetKind::friedman1})
        if (name == dataset_name(k)) return k;
    return std::nullopt;
}

namespace {
class Random {
public:
    explicit Random(std::uint64_t seed) : engine_(seed) {}
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1p-53; }  // [0, 1)
    double gaussian() {                                   // Box-Muller: two uniforms to one standard normal
        const double u = 1.0 - uniform(), v = uniform();  // u in (0, 1]: log(u) is finite
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
    }

private:
    std::mt19937_64 engine_;
};
}  // namespace

SyntheticData make_dataset(DatasetKind kind, int rows, double noise, std::uint64_t seed) {
    if (rows < 1) throw std::invalid_argument("make_dataset: rows must be at least 1");
    if (!(noise >= 0) || !std::isfinite(noise)) throw std::invalid_argument("make_dataset: noise must be >= 0");
    Random random(seed);
    SyntheticData d;
    if (kind == DatasetKind::friedman1) {
        for (int j = 1; j <= 10; ++j) d.columns.push_back("x" + std::to_string(j));
        d.columns.push_back("y");
        d.values.resize(rows, 11);
        for (int i = 0; i < rows; ++i) {
            for (int j = 0; j < 10; ++j) d.values(i, j) = random.uniform();
            const auto x = d.values.row(i);
            d.values(i, 10) = 10 * std::sin(std::numbers::pi * x(0) * x(1)) + 20 * (x(2) - 0.5) * (x(2) - 0.5) +
                              10 * x(3) + 5 * x(4) + noise * random.gaussian();
        }
        return d;
    }
    d.columns = {"x1", "x2", "label"};
    d.values.resize(rows, 3);
    for (int i = 0; i < rows; ++i) {
        const int label = i % 2;
        const double t = std::numbers::pi * random.uniform();
        double x1, x2;
        if (kind == DatasetKind::moons) {
            x1 = label == 0 ? std::cos(t) : 1 - std::cos(t);
            x2 = label == 0 ? std::sin(t) : 0.5 - std::sin(t);
        } else {  // circles: t over the whole turn
            const double radius = label == 0 ? 1.0 : 0.5;
            x1 = radius * std::cos(2 * t);
            x2 = radius * std::sin(2 * t);
        }
        d.values(i, 0) = x1 + noise * random.gaussian();
        d.values(i, 1) = x2 + noise * random.gaussian();
        d.values(i, 2) = label;
    }
    return d;
}

}  // namespace tapegrad::nn
