// examples/cli.cpp — strict option parsing and atomic files for the example programs.
#include "cli.hpp"

#include <unistd.h>
#include <charconv>
#include <cmath>

namespace tapegrad::cli {

std::vector<double> parse_numbers(std::string_view option, std::string_view text, std::size_t count,
                                  std::string_view what) {
    std::vector<double> numbers;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        double value = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size())
            throw UsageError(option,
                             "'" + std::string(item) + "' is not a number (expected " + std::string(what) + ")");
        if (!std::isfinite(value))
            throw UsageError(option, "'" + std::string(item) + "' is not finite (expected " + std::string(what) + ")");
        numbers.push_back(value);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (numbers.size() != count)
        throw UsageError(option, "expected " + std::string(what) + ", got " + std::to_string(numbers.size()) +
                                     (numbers.size() == 1 ? " number" : " numbers"));
    return numbers;
}

nn::Parameters parse_parameters(std::string_view option, std::string_view text) {
    const auto numbers =
        parse_numbers(option, text, nn::parameter_count, "11 comma-separated numbers w1,...,w8,b1,b2,b3");
    nn::Parameters p;
    std::copy(numbers.begin(), numbers.end(), p.values.begin());
    return p;
}

std::array<double, 3> parse_person(std::string_view option, std::string_view text) {
    const auto numbers = parse_numbers(option, text, 3, "3 comma-separated numbers AGE,EXERCISE,DIET");
    return {numbers[0], numbers[1], numbers[2]};
}

nn::Activation parse_activation(std::string_view option, std::string_view text) {
    if (const auto a = nn::parse_activation(text)) return *a;
    throw UsageError(option,
                     "unknown activation '" + std::string(text) + "' (expected identity, sigmoid, relu or tanh)");
}

nn::GradientSource parse_gradient_source(std::string_view option, std::string_view text) {
    if (const auto s = nn::parse_gradient_source(text)) return *s;
    throw UsageError(option,
                     "unknown gradient source '" + std::string(text) + "' (expected tape, chain-rule or article)");
}

void add_common_options(boost::program_options::options_description& options) {
    namespace po = boost::program_options;
    // clang-format off
    options.add_options()
        ("help,h", "show this help and exit")
        ("seed", po::value<std::uint64_t>()->default_value(1)->value_name("N"),
         "random start as in the article: weights uniform in [0.1, 0.9], biases 0")
        ("init", po::value<std::string>()->value_name("W1,...,B3"),
         "starting parameters instead: 11 comma-separated numbers w1,...,w8,b1,b2,b3")
        ("activation", po::value<std::string>()->default_value("identity")->value_name("NAME"),
         "output activation: identity, sigmoid, relu or tanh");
    // clang-format on
}

bool parse_command_line(int argc, char** argv, const boost::program_options::options_description& options,
                        boost::program_options::variables_map& vm) {
    namespace po = boost::program_options;
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << options << '\n';
        return false;
    }
    return true;
}

nn::Parameters starting_parameters(const boost::program_options::variables_map& vm) {
    if (vm.count("init")) {
        if (!vm["seed"].defaulted()) throw UsageError("--init", "give either --init or --seed, not both");
        return parse_parameters("--init", vm["init"].as<std::string>());
    }
    return nn::initial_parameters(vm["seed"].as<std::uint64_t>());
}

std::string describe_start(const boost::program_options::variables_map& vm) {
    if (vm.count("init")) return "given by --init";
    return "random, seed " + std::to_string(vm["seed"].as<std::uint64_t>()) +
           " (weights uniform in [0.1, 0.9], biases 0)";
}

AtomicFile::AtomicFile(std::string_view option, std::filesystem::path path) : option_(option), path_(std::move(path)) {
    std::error_code ec;
    if (path_.empty()) throw UsageError(option_, "empty file name");
    if (std::filesystem::is_directory(path_, ec))
        throw UsageError(option_, "'" + path_.string() + "' is a directory, not a file");
    temporary_ = path_;
    temporary_ += ".tmp-" + std::to_string(::getpid());
    out_.open(temporary_, std::ios::out | std::ios::trunc);
    if (!out_)
        throw UsageError(option_, "cannot write '" + path_.string() + "' (" +
                                      std::error_code(errno, std::generic_category()).message() + ")");
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        out_.close();
        std::error_code ec;
        std::filesystem::remove(temporary_, ec);
    }
}

bool AtomicFile::commit() {
    out_.flush();
    const bool ok = static_cast<bool>(out_);
    out_.close();
    if (!ok) throw std::runtime_error(option_ + ": writing '" + path_.string() + "' failed");
    std::error_code ec;
    const bool existed = std::filesystem::exists(path_, ec);
    std::filesystem::rename(temporary_, path_, ec);
    if (ec)
        throw std::runtime_error(option_ + ": cannot move the new file into '" + path_.string() + "': " + ec.message());
    committed_ = true;
    return existed;
}

int run(const char* program, const std::function<int()>& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        std::cerr << program << ": " << e.what() << '\n';
        return exit_usage;
    } catch (const boost::program_options::error& e) {
        std::cerr << program << ": " << e.what() << " (see --help)\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << program << ": error: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace tapegrad::cli
