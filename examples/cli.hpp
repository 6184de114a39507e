// examples/cli.hpp — what the example programs share: reading options strictly, saying
// clearly what is wrong with them, and writing files so that nobody reads half of one.
//
// Every bad option ends the program with one line on stderr that names the option
// ("train_health: --init: expected 11 comma-separated numbers ..., got 3") and exit
// status 2, before anything is written. Output files are written under a temporary
// name in the same folder and renamed into place only when complete.
#pragma once

#include <array>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/program_options.hpp>

#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/parameters.hpp"
#include "tapegrad/nn/training.hpp"

namespace tapegrad::cli {

// A bad option or argument: the program prints it and exits with status 2.
class UsageError : public std::runtime_error {
public:
    UsageError(std::string_view option, const std::string& message)
        : std::runtime_error(std::string(option) + ": " + message) {}
};

inline constexpr int exit_usage = 2;

// Comma-separated finite numbers, exactly `count` of them.
std::vector<double> parse_numbers(std::string_view option, std::string_view text, std::size_t count,
                                  std::string_view what);

// --init w1,...,w8,b1,b2,b3
nn::Parameters parse_parameters(std::string_view option, std::string_view text);
// --predict AGE,EXERCISE,DIET
std::array<double, 3> parse_person(std::string_view option, std::string_view text);

nn::Activation parse_activation(std::string_view option, std::string_view text);
nn::GradientSource parse_gradient_source(std::string_view option, std::string_view text);

// Declare --help, --seed, --init and --activation: the options every health-network
// program takes.
void add_common_options(boost::program_options::options_description& options);
// Parse the command line into `vm`. Returns false when --help was asked for (the help
// has then been printed and the program should exit 0).
bool parse_command_line(int argc, char** argv, const boost::program_options::options_description& options,
                        boost::program_options::variables_map& vm);

// The starting parameters from --init (11 numbers) or else --seed (the article's random
// start); giving both is an error. The options must be declared as strings/uint64.
nn::Parameters starting_parameters(const boost::program_options::variables_map& vm);
// "--init w1,...,b3" or "--seed N", as the run's settings should say.
std::string describe_start(const boost::program_options::variables_map& vm);

// A file written all at once: created under a temporary name in the target's folder
// when constructed (so an unwritable path fails early, naming the option), renamed
// over `path` by commit(), and removed if never committed.
class AtomicFile {
public:
    AtomicFile(std::string_view option, std::filesystem::path path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    std::ostream& stream() { return out_; }
    // Flush, close and rename into place. Returns true when `path` existed before.
    bool commit();
    const std::filesystem::path& path() const { return path_; }

private:
    std::string option_;
    std::filesystem::path path_, temporary_;
    std::ofstream out_;
    bool committed_ = false;
};

// Run `body` and turn errors into messages and exit statuses: UsageError and Boost's
// option errors give status 2; anything else unexpected, status 1.
int run(const char* program, const std::function<int()>& body);

}  // namespace tapegrad::cli
