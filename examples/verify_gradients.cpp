// examples/verify_gradients.cpp — the verifier alone: the gradient of the health
// network's MSE from the tape, the chain rule by hand, central differences and the
// article's functions, side by side, with a verdict on the article for each parameter.
//
//   verify_gradients                      the article's random start (seed 1)
//   verify_gradients --init 0.2,...,0     11 numbers: w1..w8, b1, b2, b3
//   verify_gradients --activation sigmoid --json
//
// Exit status: 0 when the tape agrees with the chain rule and finite differences (the
// gate), 1 when it does not, 2 for a bad option.
#include <cstdint>
#include <iostream>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "json.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/verifier.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

int main(int argc, char** argv) {
    return cli::run("verify_gradients", [&] {
        po::options_description options(
            "verify_gradients: check the tape's gradient of the health network's loss before any training\n\nOptions");
        cli::add_common_options(options);
        options.add_options()("json", "print the result as JSON instead of a table");
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm)) return 0;
        const nn::Activation activation = cli::parse_activation("--activation", vm["activation"].as<std::string>());
        const nn::Parameters start = cli::starting_parameters(vm);

        // [verify]
        const nn::Dataset people = nn::article_people();
        const nn::Scaler scaler = nn::Scaler::article_min_max();
        const nn::HealthNetwork network(scaler.transform(people.features), people.targets, activation);
        const nn::Verification verification = nn::verify(network, start);
        // [verify]

        if (vm.count("json")) {
            std::cout << json::to_json(verification) << '\n';
        } else {
            std::cout << "Starting parameters, " << cli::describe_start(vm) << ":\n  " << start.to_string() << "\n\n";
            std::cout << verification.to_text();
        }
        return verification.passed ? 0 : 1;
    });
}
