// tests/health_fixtures.hpp — what the nn/ tests share: the article's network and the
// two fixed starts of the reference runs in tests/reference/.
#pragma once

#include <ostream>
#include <string>

#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace tapegrad::nn {
// So that Boost.Test can print an activation in data-driven test names.
inline std::ostream& operator<<(std::ostream& out, Activation a) { return out << activation_name(a); }
}  // namespace tapegrad::nn

namespace tapegrad::testing {

// The article's six people, min-max scaled with its fixed bounds.
inline nn::HealthNetwork article_network(nn::Activation a = nn::Activation::identity) {
    const nn::Dataset d = nn::article_people();
    return nn::HealthNetwork(nn::Scaler::article_min_max().transform(d.features), d.targets, a);
}

// Start "a" (0.2, ..., 0.9, biases 0) and start "b" (mixed weights, non-zero biases).
inline nn::Parameters reference_start(const std::string& which) {
    nn::Parameters p;
    if (which == "a")
        p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};
    else
        p.values = {0.85, 0.12, 0.47, 0.33, 0.71, 0.18, 0.64, 0.29, 0.05, -0.1, 0.2};
    return p;
}

}  // namespace tapegrad::testing
