// examples/make_dataset.cpp — well-known synthetic data sets as CSV, so that every MLP
// example runs without downloading anything.
//
//   make_dataset moons --rows 1000 --noise 0.1 --seed 1 --output moons.csv
//   make_dataset circles --rows 400 --noise 0.05            (CSV on standard output)
//   make_dataset friedman1 --rows 1000 --noise 1.0 --output friedman.csv
//
// moons and circles are two-class sets with the columns x1, x2, label (0 or 1);
// friedman1 is a regression with ten features x1..x10 and the column y (nn/datasets.hpp
// gives the formulas). The same seed writes the same file on every machine.
#include <cmath>
#include <iostream>
#include <optional>

#include <boost/program_options.hpp>

#include "mlp_cli.hpp"
#include "tapegrad/nn/datasets.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

int main(int argc, char** argv) {
    return cli::run("make_dataset", [&] {
        po::options_description options(
            "make_dataset moons|circles|friedman1 [options]: write a synthetic data set as CSV\n\nOptions");
        // clang-format off
        options.add_options()
            ("help,h", "show this help and exit")
            ("rows", po::value<int>()->default_value(1000)->value_name("N"), "number of rows (at least 1)")
            ("noise", po::value<double>()->default_value(0.1, "0.1")->value_name("X"),
             "standard deviation of the Gaussian noise (>= 0)")
            ("seed", po::value<std::string>()->default_value("1")->value_name("S"), "random seed, 0 to 2^64-1")
            ("output", po::value<std::string>()->value_name("FILE.csv"), "file to write (default: standard output)");
        // clang-format on
        po::options_description all;
        all.add(options).add_options()("kind", po::value<std::string>());
        po::positional_options_description positional;
        positional.add("kind", 1);
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << options << '\n' << cli::output_files_help << '\n';
            return 0;
        }
        if (!vm.count("kind")) throw cli::UsageError("make_dataset", "say which data set: moons, circles or friedman1");
        const std::string kind_name = vm["kind"].as<std::string>();
        const auto kind = nn::parse_dataset(kind_name);
        if (!kind) throw cli::UsageError(kind_name, "unknown data set (expected moons, circles or friedman1)");
        const int rows = vm["rows"].as<int>();
        if (rows < 1 || rows > 10'000'000) throw cli::UsageError("--rows", "must be from 1 to 10000000");
        const double noise = vm["noise"].as<double>();
        if (!(noise >= 0) || !std::isfinite(noise)) throw cli::UsageError("--noise", "must be a finite number >= 0");
        const std::uint64_t seed = cli::parse_seed("--seed", vm["seed"].as<std::string>());
        cli::check_file_options({}, cli::file_options(vm, {"output"}));
        std::optional<cli::OutputFile> file;
        if (vm.count("output")) file.emplace("--output", vm["output"].as<std::string>());

        const nn::SyntheticData data = nn::make_dataset(*kind, rows, noise, seed);
        nn::write_csv(file ? file->stream() : std::cout, data.columns, data.values);
        if (file) cli::put_in_place("make_dataset", *file, std::to_string(rows) + " rows of " + kind_name);
        return 0;
    });
}
