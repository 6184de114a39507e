// examples/cli.hpp — what the example programs share: reading options strictly, saying
// clearly what is wrong with them, and writing files so that nobody reads half of one.
//
// Every bad option or stray argument ends the program with one line on stderr that names
// it ("train_health: --init: expected 11 comma-separated numbers ..., got 3"; control
// characters escaped) and exit status 2, before anything is written. Output files go
// through one writer, OutputFile (below): never half-written, never through a planted
// link, nothing left behind on Ctrl-C. A program whose standard output cannot be written
// (`> /dev/full`) says so and exits 1.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
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

// --seed N: a whole number 0 .. 2^64-1 (no sign: "-1" is refused, not wrapped around).
std::uint64_t parse_seed(std::string_view option, std::string_view text);

// Declare --help, --seed, --init and --activation: the options every health-network
// program takes.
void add_common_options(boost::program_options::options_description& options);
// Parse the command line into `vm`. Returns false when --help was asked for (the help
// has then been printed and the program should exit 0). An argument that is not an
// option ("train_health --quiet 5000") is a UsageError naming it.
// `epilogue`, when given, is printed after the options by --help.
bool parse_command_line(int argc, char** argv, const boost::program_options::options_description& options,
                        boost::program_options::variables_map& vm, const char* epilogue = nullptr);
// Refuse `option` when it was given on the command line (not defaulted) but does nothing
// in the mode chosen: "--parameter: has no effect without --sweep-eps".
void refuse_unused(const boost::program_options::variables_map& vm, std::string_view option, std::string_view why);

// The starting parameters from --init (11 numbers) or else --seed (the article's random
// start); giving both is an error.
nn::Parameters starting_parameters(const boost::program_options::variables_map& vm);
// "--init w1,...,b3" or "--seed N", as the run's settings should say.
std::string describe_start(const boost::program_options::variables_map& vm);

// What --help says about every output file (one paragraph, shared by the programs).
inline constexpr const char* output_files_help =
    "Output files are written to a temporary file in the same folder and renamed into\n"
    "place when complete, so an interrupted run (Ctrl-C, an error, any signal that ends\n"
    "the program) leaves the old file as it was and nothing behind. A symbolic link is\n"
    "followed (its target is replaced); a file with several hard links, and a device or\n"
    "FIFO (e.g. /dev/null), are written in place; the old file's permissions are kept; a\n"
    "read-only file is refused; an empty file name is refused; an output that is also an\n"
    "input of the run, or two options naming the same file (even through `..` or a\n"
    "link), are refused.";

// A program's file options as given on the command line: each the option and the name.
using FileOptions = std::vector<std::pair<std::string, std::string>>;

// The options among `names` ("data", "save") that were given, as "--data" and the name.
FileOptions file_options(const boost::program_options::variables_map& vm, std::initializer_list<const char*> names);

// The one check of a program's file options, made before anything is read or written
// (a UsageError): an empty name is refused, and so is an output that names an input or
// another output. Two names are the same file when they lead, through symbolic links,
// hard links and `..`, to the same device and inode (both files exist) or else to the
// same canonical path. The message names both options:
//     predict_mlp: --output: 'p.csv' is also the file of --data, an input; ...
void check_file_options(const FileOptions& inputs, const FileOptions& outputs);

// `text` as it may be shown on a terminal or in a picture: control characters and bytes
// that are not valid UTF-8 become \xNN, so that no value can end a line of a script,
// drive a terminal or break a document's encoding ("a\nb" -> "a\x0ab").
std::string printable(std::string_view text);

// The one writer of the programs' output files. Constructing it checks the path and
// opens where the bytes go (so an unwritable path fails early, naming the option):
//   - a new path or a regular file: a temporary created exclusively (O_CREAT | O_EXCL |
//     O_NOFOLLOW, random name .tapegrad-XXXXXXXX) in the target's folder, with the old
//     file's permissions; commit() renames it over the target;
//   - a symbolic link: followed, its target is what is written;
//   - a regular file with hard links: staged in the temporary, then copied into the file
//     in place by commit(), so every link sees the new contents;
//   - a device, FIFO or other special file: written in place;
//   - a directory or a read-only file: refused (UsageError).
// A temporary is removed if never committed, and also on every signal whose default
// action ends the program and that a handler can catch (SIGINT, SIGTERM, SIGHUP, SIGPIPE,
// SIGUSR1, SIGALRM, SIGXFSZ, the real-time signals, ...): a handler unlinks every
// registered temporary, then re-raises. A signal found ignored, or caught by someone else
// (a sanitizer's SIGSEGV handler), is left as it was.
class OutputFile {
public:
    OutputFile(std::string_view option, std::filesystem::path path);
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile();

    std::ostream& stream() { return *out_; }
    // Flush and put the bytes in place. Returns true when `path` existed before.
    bool commit();
    const std::filesystem::path& path() const { return path_; }

private:
    class Buffer;
    std::string option_;
    std::filesystem::path path_, target_, temporary_;
    int fd_ = -1;
    int slot_ = -1;  // in the signal handler's list of temporaries
    bool existed_ = false, in_place_ = false, copy_back_ = false, committed_ = false;
    std::unique_ptr<Buffer> buffer_;
    std::unique_ptr<std::ostream> out_;
};

// Commit `file` and say so on standard error, its name shown with printable():
//     train_health: wrote h.csv (100 iterations)        ("replaced" when it existed)
void put_in_place(std::string_view program, OutputFile& file, const std::string& what);

// Run `body` and turn errors into messages and exit statuses: UsageError and Boost's
// option errors give status 2; anything else unexpected, status 1. Standard output is
// flushed and checked at the end: if it could not be written, a message and status 1.
int run(const char* program, const std::function<int()>& body);

// The chapters' programs take no arguments: any is refused (exit 2). Runs `body` like
// run() does, checking standard output at the end.
int run_chapter(int argc, char** argv, const std::function<int()>& body);

}  // namespace tapegrad::cli
