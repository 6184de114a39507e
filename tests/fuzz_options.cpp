// tests/fuzz_options.cpp — the programs' option parsers under a few thousand generated
// values, deterministic (a fixed seed), in one process so that it runs in seconds even
// under the sanitizers.
//
// The real programs are linked in: each example's source is compiled a second time with
// its `main` renamed (train_health_main, ...; see examples/CMakeLists.txt), so nothing
// the users run has a test-only path. For every option of every program, values are
// drawn mostly from what breaks parsers (empty, signs, nan, inf, overflow, control
// characters, commas, long strings, paths that cannot be written) and some valid ones,
// always with --iterations 1 or a cheap mode so that a valid run is short. Checked for
// every run: no crash (the sanitizers abort the process), an exit status the program
// documents (0, 1 gate failed or a write failed, 2 bad option, 3 diverged), no
// temporary file left, and after status 2 no file written at all.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

int train_health_main(int argc, char** argv);
int verify_gradients_main(int argc, char** argv);
int gradient_check_main(int argc, char** argv);
int tape_graph_main(int argc, char** argv);
int make_dataset_main(int argc, char** argv);
int train_mlp_main(int argc, char** argv);
int predict_mlp_main(int argc, char** argv);

namespace {

namespace fs = std::filesystem;

enum class Kind { real, whole, numbers11, numbers3, word, file, flag };

struct Option {
    std::string name;
    Kind kind;
    std::vector<std::string> valid;  // a few valid values, tried now and then
};

struct Program {
    std::string name;
    int (*main)(int, char**);
    std::vector<std::string> base;  // keeps a valid run short
    std::vector<Option> options;
};

const std::vector<std::string> hostile{"",
                                       " ",
                                       "-",
                                       "--",
                                       "-1",
                                       "-0",
                                       "0",
                                       "1e309",
                                       "-1e309",
                                       "1e-320",
                                       "nan",
                                       "NaN",
                                       "inf",
                                       "-inf",
                                       "0x1p3",
                                       "1,",
                                       ",1",
                                       "1,,2",
                                       "1 2",
                                       "abc",
                                       "\x1b[31m",
                                       "a\nb",
                                       "\t",
                                       "\xc3\xa9",
                                       "\xff\xfe",
                                       "18446744073709551616",
                                       "2147483648",
                                       "-2147483649",
                                       "99999999999999999999999",
                                       "1e",
                                       "e5",
                                       "+",
                                       "+1",
                                       "3.5.5",
                                       "0,0,0",
                                       "--help",
                                       "-h",
                                       std::string(1000, 'x'),
                                       std::string(300, '9')};

const std::vector<std::string> hostile_files{"",
                                             ".",
                                             "..",
                                             "/",
                                             "no/such/folder/f.csv",
                                             "f.csv/",
                                             std::string(300, 'f') + ".csv",
                                             "a\nb.csv",
                                             "-",
                                             ".hidden.csv",
                                             "f.jpg",
                                             "f.svg.",
                                             "f"};

std::string numbers(std::mt19937_64& random, int count, bool valid) {
    std::string s;
    for (int i = 0; i < count; ++i) {
        if (i) s += ',';
        if (valid || random() % 4)
            s += std::to_string(static_cast<int>(random() % 200) - 100) + "e-2";
        else
            s += hostile[random() % hostile.size()];
    }
    return s;
}

std::string value_for(const Option& option, std::mt19937_64& random) {
    const bool valid = !option.valid.empty() && random() % 5 == 0;
    if (valid) return option.valid[random() % option.valid.size()];
    switch (option.kind) {
        case Kind::numbers11: return numbers(random, static_cast<int>(random() % 14), random() % 3 == 0);
        case Kind::numbers3: return numbers(random, static_cast<int>(random() % 6), random() % 3 == 0);
        case Kind::file: return hostile_files[random() % hostile_files.size()];
        default: return hostile[random() % hostile.size()];
    }
}

bool leftovers(std::string& found) {
    for (const auto& entry : fs::directory_iterator(".")) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(".tapegrad-", 0) == 0 || name.find(".tmp-") != std::string::npos) {
            found = name;
            return true;
        }
    }
    return false;
}

bool empty_folder() { return fs::directory_iterator(".") == fs::directory_iterator(); }

void clear_folder() {
    for (const auto& entry : fs::directory_iterator(".")) fs::remove_all(entry.path());
}

}  // namespace

int main() {
    const std::string data = TAPEGRAD_DATA_DIR;  // examples/data: the MLP programs' inputs
    const std::vector<std::string> identity_etc{"identity", "sigmoid", "relu", "tanh"};
    const Option seed{"--seed", Kind::whole, {"0", "7", "18446744073709551615"}};
    const Option init{"--init", Kind::numbers11, {"0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0,0,0"}};
    const Option activation{"--activation", Kind::word, identity_etc};
    const std::vector<Program> programs{
        {"train_health",
         train_health_main,
         {"--iterations", "1", "--quiet"},
         {seed,
          init,
          activation,
          {"--learning-rate", Kind::real, {"0.01", "1e-9", "10"}},
          {"--iterations", Kind::whole, {"1", "3"}},
          {"--gradients", Kind::word, {"tape", "chain-rule", "article"}},
          {"--scaler", Kind::word, {"minmax", "standard"}},
          {"--history", Kind::file, {"h.csv"}},
          {"--predict", Kind::numbers3, {"45,3,6", "0,0,0"}},
          {"--plot", Kind::file, {}},
          {"--compare-plot", Kind::file, {}},
          {"--curvature", Kind::flag, {}},
          {"--quiet", Kind::flag, {}}}},
        {"verify_gradients", verify_gradients_main, {}, {seed, init, activation, {"--json", Kind::flag, {}}}},
        {"gradient_check",
         gradient_check_main,
         {"--only", "wrong"},
         {seed,
          init,
          {"--only", Kind::word, {"wrong"}},
          {"--eps", Kind::real, {"1e-4"}},
          {"--rtol", Kind::real, {"1e-3"}},
          {"--atol", Kind::real, {"0"}},
          {"--parameter", Kind::word, {}},
          {"--plot", Kind::file, {}},
          {"--json", Kind::flag, {}},
          {"--sweep-eps", Kind::flag, {}}}},
        {"tape_graph",
         tape_graph_main,
         {},
         {seed,
          init,
          activation,
          {"--person", Kind::whole, {"1", "6"}},
          {"--batched", Kind::flag, {}},
          {"--neuron", Kind::flag, {}},
          {"--table", Kind::flag, {}},
          {"--html", Kind::file, {"p.html"}},
          {"--output", Kind::file, {"g.dot"}}}},
        {"make_dataset",
         make_dataset_main,
         {"moons", "--rows", "10"},
         {{"--rows", Kind::whole, {"1", "50"}},
          {"--noise", Kind::real, {"0", "0.1"}},
          {"--seed", Kind::whole, {"3"}},
          {"--output", Kind::file, {"d.csv"}}}},
        {"train_mlp",
         train_mlp_main,
         {"--data", data + "/moons.csv", "--target", "label", "--hidden", "2", "--epochs", "1", "--quiet"},
         {{"--data", Kind::file, {data + "/moons.csv"}},
          {"--target", Kind::word, {"label"}},
          {"--test", Kind::file, {data + "/moons_test.csv"}},
          {"--hidden", Kind::numbers3, {"2", "3,2"}},
          {"--activation", Kind::word, identity_etc},
          {"--loss", Kind::word, {"mse", "log"}},
          {"--optimizer", Kind::word, {"gd", "momentum", "adam"}},
          {"--learning-rate", Kind::real, {"0.01"}},
          {"--epochs", Kind::whole, {"1", "2"}},
          {"--batch-size", Kind::whole, {"0", "32"}},
          {"--seed", Kind::whole, {"5"}},
          {"--scaler", Kind::word, {"minmax", "standard", "none"}},
          {"--save", Kind::file, {"m.json"}},
          {"--history", Kind::file, {"h.csv"}},
          {"--json", Kind::flag, {}}}},
        {"predict_mlp",
         predict_mlp_main,
         {"--model", data + "/moons_model.json", "--data", data + "/moons_points.csv"},
         {{"--model", Kind::file, {data + "/moons_model.json"}},
          {"--data", Kind::file, {data + "/moons_points.csv"}},
          {"--output", Kind::file, {"p.csv"}}}},
    };

    // A folder of our own to run in; the programs' output goes to /dev/null, our report
    // to the original standard error.
    const fs::path folder = fs::temp_directory_path() / ("tapegrad-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(folder);
    fs::current_path(folder);
    const int report = ::dup(STDERR_FILENO);
    FILE* out = ::fdopen(report, "w");
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);

    std::mt19937_64 random(20261129);
    int runs = 0, problems = 0;
    int by_status[4] = {0, 0, 0, 0};
    auto run = [&](const Program& program, std::vector<std::string> args) {
        std::vector<std::string> words{program.name};
        words.insert(words.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        std::clearerr(stdout);
        const int status = program.main(static_cast<int>(words.size()), argv.data());
        ++runs;
        if (status >= 0 && status <= 3) ++by_status[status];
        std::string problem, found;
        if (status < 0 || status > 3)
            problem = "exit status " + std::to_string(status);
        else if (leftovers(found))
            problem = "temporary file left: " + found;
        else if (status == 2 && !empty_folder())
            problem = "a file was written although the exit status is 2";
        if (!problem.empty() && ++problems <= 20) {
            std::fprintf(out, "fuzz_options: %s:", program.name.c_str());
            for (const auto& a : args) std::fprintf(out, " '%s'", a.c_str());
            std::fprintf(out, ": %s\n", problem.c_str());
        }
        clear_folder();
    };

    for (const Program& program : programs)
        for (const Option& option : program.options)
            for (int i = 0; i < 90; ++i) {
                std::vector<std::string> args = program.base;
                // the base's own option, when fuzzed, is replaced rather than repeated
                for (std::size_t k = 0; k + 1 < args.size(); ++k)
                    if (args[k] == option.name)
                        args.erase(args.begin() + static_cast<long>(k), args.begin() + static_cast<long>(k) + 2);
                args.push_back(option.name);
                if (option.kind != Kind::flag) args.push_back(value_for(option, random));
                if (random() % 4 == 0) {  // a second option, or a stray argument
                    const Option& other = program.options[random() % program.options.size()];
                    if (random() % 3 == 0)
                        args.push_back(hostile[random() % hostile.size()]);
                    else if (other.name != option.name) {
                        args.push_back(other.name);
                        if (other.kind != Kind::flag) args.push_back(value_for(other, random));
                    }
                }
                run(program, args);
            }

    fs::current_path(folder.parent_path());
    fs::remove_all(folder);
    std::fprintf(out, "fuzz_options: %d runs (exit 0: %d, 1: %d, 2: %d, 3: %d), %d problems\n", runs, by_status[0],
                 by_status[1], by_status[2], by_status[3], problems);
    // Both kinds must have happened: valid runs that work, and invalid ones refused.
    if (by_status[0] < runs / 20 || by_status[2] < runs / 2) {
        std::fprintf(out, "fuzz_options: too few valid or too few refused runs; the generator has drifted\n");
        return 1;
    }
    return problems == 0 ? 0 : 1;
}
