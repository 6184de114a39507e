// examples/cli.cpp — strict option parsing and atomic files for the example programs.
#include "cli.hpp"

#include "tapegrad/autodiff/inspect.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstring>
#include <random>

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

std::uint64_t parse_seed(std::string_view option, std::string_view text) {
    std::uint64_t seed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError(option, "'" + std::string(text) + "' is not a whole number from 0 to 18446744073709551615");
    return seed;
}

void refuse_unused(const boost::program_options::variables_map& vm, std::string_view option, std::string_view why) {
    const auto found = vm.find(std::string(option.substr(2)));
    if (found != vm.end() && !found->second.defaulted()) throw UsageError(option, "has no effect " + std::string(why));
}

void add_common_options(boost::program_options::options_description& options) {
    namespace po = boost::program_options;
    // clang-format off
    options.add_options()
        ("help,h", "show this help and exit")
        ("seed", po::value<std::string>()->default_value("1")->value_name("N"),
         "random start as in the article: weights uniform in [0.1, 0.9], biases 0")
        ("init", po::value<std::string>()->value_name("W1,...,B3"),
         "starting parameters instead: 11 comma-separated numbers w1,...,w8,b1,b2,b3")
        ("activation", po::value<std::string>()->default_value("identity")->value_name("NAME"),
         "output activation: identity, sigmoid, relu or tanh");
    // clang-format on
}

bool parse_command_line(int argc, char** argv, const boost::program_options::options_description& options,
                        boost::program_options::variables_map& vm, const char* epilogue) {
    namespace po = boost::program_options;
    const po::parsed_options parsed = po::command_line_parser(argc, argv).options(options).run();
    const std::vector<std::string> stray = po::collect_unrecognized(parsed.options, po::include_positional);
    if (!stray.empty())
        throw UsageError("'" + stray.front() + "'",
                         "unexpected argument: every value belongs to an option, e.g. --iterations 5000 (see --help)");
    po::store(parsed, vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << options << '\n';
        if (epilogue) std::cout << epilogue << '\n';
        return false;
    }
    return true;
}

nn::Parameters starting_parameters(const boost::program_options::variables_map& vm) {
    if (vm.count("init")) {
        if (!vm["seed"].defaulted()) throw UsageError("--init", "give either --init or --seed, not both");
        return parse_parameters("--init", vm["init"].as<std::string>());
    }
    return nn::initial_parameters(parse_seed("--seed", vm["seed"].as<std::string>()));
}

std::string describe_start(const boost::program_options::variables_map& vm) {
    if (vm.count("init")) return "given by --init";
    return "random, seed " + std::to_string(parse_seed("--seed", vm["seed"].as<std::string>())) +
           " (weights uniform in [0.1, 0.9], biases 0)";
}

// ---- Output files ----------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// The temporaries that exist right now, for the signal handler: fixed slots of plain
// characters, so that the handler reads them with nothing but async-signal-safe calls.
constexpr int temporary_slots = 8;
char temporary_paths[temporary_slots][PATH_MAX];
volatile std::sig_atomic_t temporary_used[temporary_slots];
// Every signal whose default action ends the program and that a handler can catch: the
// ones a user or the system sends (SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGALRM,
// SIGXFSZ when a file grows past ulimit -f, ...), the faults, and the real-time signals.
const sigset_t& cleanup_signals() {
    static const sigset_t set = [] {
        sigset_t s;
        ::sigemptyset(&s);
        for (const int signal_number :
             {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGBUS,    SIGFPE,  SIGUSR1, SIGSEGV,
              SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGSYS})
            ::sigaddset(&s, signal_number);
#ifdef SIGSTKFLT
        ::sigaddset(&s, SIGSTKFLT);
#endif
#ifdef SIGPWR
        ::sigaddset(&s, SIGPWR);
#endif
        for (int r = SIGRTMIN; r <= SIGRTMAX; ++r) ::sigaddset(&s, r);
        return s;
    }();
    return set;
}

extern "C" void remove_temporaries_and_reraise(int signal_number) {
    for (int i = 0; i < temporary_slots; ++i)
        if (temporary_used[i]) ::unlink(temporary_paths[i]);
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);  // delivered, with the default action, when the handler returns
}

// Blocks the cleanup signals while a temporary is created and registered (or removed and
// unregistered), so that a signal never finds one without the other.
class SignalsHeld {
public:
    SignalsHeld() { ::pthread_sigmask(SIG_BLOCK, &cleanup_signals(), &old_); }
    ~SignalsHeld() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

private:
    sigset_t old_;
};

void install_cleanup_handler() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_reraise;
    action.sa_mask = cleanup_signals();
    for (int s = 1; s < NSIG; ++s) {
        struct sigaction old {};
        // keep what nohup ignored, and a handler someone else installed (a sanitizer's)
        if (::sigismember(&cleanup_signals(), s) == 1 && ::sigaction(s, nullptr, &old) == 0 &&
            !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
            ::sigaction(s, &action, nullptr);
    }
}

// A random file name in `folder`, created exclusively (never through a link planted there)
// and registered for the signal handler. Returns the descriptor; `slot` gets the slot.
int create_temporary(std::string_view option, const fs::path& folder, mode_t mode, fs::path& temporary, int& slot) {
    install_cleanup_handler();
    std::random_device random;
    static constexpr char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string name = ".tapegrad-";
        for (int i = 0; i < 12; ++i) name += letters[random() % (sizeof letters - 1)];
        temporary = folder / name;
        const std::string text = temporary.string();
        if (text.size() >= PATH_MAX) throw UsageError(option, "the folder's path is too long");
        SignalsHeld held;
        const int fd = ::open(text.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            return -errno;
        }
        for (slot = 0; slot < temporary_slots && temporary_used[slot]; ++slot) {
        }
        if (slot == temporary_slots) {
            ::close(fd);
            ::unlink(text.c_str());
            throw std::runtime_error(std::string(option) + ": too many output files at once");
        }
        std::memcpy(temporary_paths[slot], text.c_str(), text.size() + 1);
        temporary_used[slot] = 1;
        return fd;
    }
    throw UsageError(option, "cannot find a free temporary name in '" + folder.string() + "'");
}

void remove_temporary(const fs::path& temporary, int& slot) {
    if (slot < 0) return;
    SignalsHeld held;
    ::unlink(temporary.c_str());
    temporary_used[slot] = 0;
    slot = -1;
}

// `path` with its symbolic links followed, as far as they go (the last one may dangle:
// writing creates its target, as the shell's `>` does).
fs::path follow_links(std::string_view option, fs::path path) {
    for (int hops = 0; hops < 40; ++hops) {
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
        const fs::path target = fs::read_symlink(path, ec);
        if (ec) throw UsageError(option, "cannot read the link '" + path.string() + "' (" + ec.message() + ")");
        path = target.is_absolute() ? target : path.parent_path() / target;
    }
    throw UsageError(option, "'" + path.string() + "': too many levels of symbolic links");
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

// A stream buffer over a file descriptor: 64 KiB at a time through write(2).
class OutputFile::Buffer : public std::streambuf {
public:
    explicit Buffer(int fd) : fd_(fd), data_(1 << 16) { setp(data_.data(), data_.data() + data_.size()); }

protected:
    int_type overflow(int_type ch) override {
        if (sync() != 0) return traits_type::eof();
        if (!traits_type::eq_int_type(ch, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(ch);
            pbump(1);
        }
        return traits_type::not_eof(ch);
    }
    int sync() override {
        const std::size_t size = static_cast<std::size_t>(pptr() - pbase());
        if (size > 0 && !write_all(fd_, pbase(), size)) return -1;
        setp(data_.data(), data_.data() + data_.size());
        return 0;
    }

private:
    int fd_;
    std::vector<char> data_;
};

namespace {

constexpr const char* empty_name = "the file name is empty; give a file";

// Where a file option's name leads: the file's device and inode when it exists (links
// followed), and the canonical path it has or would be created at.
struct FileIdentity {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    fs::path canonical;

    bool same_as(const FileIdentity& other) const {
        return exists && other.exists ? device == other.device && inode == other.inode : canonical == other.canonical;
    }
};

FileIdentity identity_of(std::string_view option, const std::string& name) {
    FileIdentity id;
    struct stat st {};
    id.exists = ::stat(name.c_str(), &st) == 0;  // follows links
    id.device = st.st_dev;
    id.inode = st.st_ino;
    std::error_code ec;
    const fs::path absolute = fs::absolute(follow_links(option, name), ec);
    id.canonical = fs::weakly_canonical(absolute, ec);
    if (ec) id.canonical = absolute.lexically_normal();
    return id;
}

}  // namespace

FileOptions file_options(const boost::program_options::variables_map& vm, std::initializer_list<const char*> names) {
    FileOptions given;
    for (const char* name : names)
        if (vm.count(name)) given.emplace_back(std::string("--") + name, vm[name].as<std::string>());
    return given;
}

void check_file_options(const FileOptions& inputs, const FileOptions& outputs) {
    for (const FileOptions* options : {&inputs, &outputs})
        for (const auto& [option, name] : *options)
            if (name.empty()) throw UsageError(option, empty_name);
    std::vector<FileIdentity> read, written;
    for (const auto& [option, name] : inputs) read.push_back(identity_of(option, name));
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const auto& [option, name] = outputs[i];
        written.push_back(identity_of(option, name));
        for (std::size_t j = 0; j < inputs.size(); ++j)
            if (written[i].same_as(read[j]))
                throw UsageError(option, "'" + name + "' is also the file of " + inputs[j].first +
                                             ", an input: writing it would destroy what is read; give another file");
        for (std::size_t j = 0; j < i; ++j)
            if (written[i].same_as(written[j]))
                throw UsageError(option, "'" + name + "' is also the file of " + outputs[j].first + "; give two files");
    }
}

OutputFile::OutputFile(std::string_view option, std::filesystem::path path) : option_(option), path_(std::move(path)) {
    if (path_.empty()) throw UsageError(option_, empty_name);
    target_ = follow_links(option_, path_);
    const std::string shown = "'" + path_.string() + "'";
    struct stat st {};
    existed_ = ::stat(target_.c_str(), &st) == 0;
    if (!existed_ && errno != ENOENT)
        throw UsageError(option_, "cannot write " + shown + " (" + errno_text(errno) + ")");
    if (existed_ && S_ISDIR(st.st_mode)) throw UsageError(option_, shown + " is a directory, not a file");
    if (existed_ && S_ISREG(st.st_mode) && (st.st_mode & 0222) == 0)
        throw UsageError(option_, shown + " is read-only; make it writable or give another file");
    if (existed_ && !S_ISREG(st.st_mode)) {  // a device, FIFO or socket: in place
        in_place_ = true;
        fd_ = ::open(target_.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd_ < 0) throw UsageError(option_, "cannot write " + shown + " (" + errno_text(errno) + ")");
    } else {
        copy_back_ = existed_ && st.st_nlink > 1;
        const fs::path folder = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
        const mode_t mode = existed_ ? (st.st_mode & 07777) : 0666;
        fd_ = create_temporary(option_, folder, mode, temporary_, slot_);
        if (fd_ < 0) throw UsageError(option_, "cannot write " + shown + " (" + errno_text(-fd_) + ")");
        if (existed_) {
            (void)::fchown(fd_, st.st_uid, st.st_gid);  // as root: keep the owner too
            (void)::fchmod(fd_, mode);                  // exactly the old mode, whatever the umask
        }
    }
    buffer_ = std::make_unique<Buffer>(fd_);
    out_ = std::make_unique<std::ostream>(buffer_.get());
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    remove_temporary(temporary_, slot_);
}

bool OutputFile::commit() {
    out_->flush();
    const bool written = static_cast<bool>(*out_);
    const int error = errno;
    if (!written)
        throw std::runtime_error(option_ + ": writing '" + path_.string() + "' failed (" + errno_text(error) + ")");
    if (in_place_) {
        ::close(std::exchange(fd_, -1));
        committed_ = true;
        return existed_;
    }
    if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0)
        throw std::runtime_error(option_ + ": writing '" + path_.string() + "' failed (" + errno_text(errno) + ")");
    if (copy_back_) {  // keep the hard links: copy the finished bytes into the file itself
        std::ifstream in(temporary_, std::ios::binary);
        const int fd = ::open(target_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        bool ok = fd >= 0 && in;
        char chunk[1 << 16];
        while (ok && in.read(chunk, sizeof chunk).gcount() > 0)
            ok = write_all(fd, chunk, static_cast<std::size_t>(in.gcount()));
        if (fd >= 0 && ::close(fd) != 0) ok = false;
        if (!ok) throw std::runtime_error(option_ + ": cannot write into '" + path_.string() + "'");
        remove_temporary(temporary_, slot_);
    } else {
        if (::rename(temporary_.c_str(), target_.c_str()) != 0)
            throw std::runtime_error(option_ + ": cannot move the new file into '" + path_.string() +
                                     "': " + errno_text(errno));
        SignalsHeld held;
        temporary_used[slot_] = 0;
        slot_ = -1;
    }
    committed_ = true;
    return existed_;
}

void put_in_place(std::string_view program, OutputFile& file, const std::string& what) {
    const bool replaced = file.commit();
    std::cerr << program << ": " << (replaced ? "replaced " : "wrote ") << printable(file.path().string()) << " ("
              << what << ")\n";
}

// ---- Text shown to people ------------------------------------------------------------------

// The library's (autodiff/inspect.hpp): the sweep page shows names with it too.
std::string printable(std::string_view text) { return tapegrad::printable(text); }

// ---- Running a program --------------------------------------------------------------------

namespace {

// Flush standard output; false when anything written to it was lost (e.g. > /dev/full).
bool standard_output_written() {
    std::cout.flush();
    const bool ok = static_cast<bool>(std::cout) && std::fflush(stdout) == 0 && !std::ferror(stdout);
    return ok;
}

int finish(const char* program, int status) {
    if (standard_output_written()) return status;
    std::cerr << program << ": error: cannot write the standard output (" << errno_text(errno) << ")\n";
    return status == 0 ? 1 : status;
}

}  // namespace

int run(const char* program, const std::function<int()>& body) {
    int status = 1;
    try {
        status = body();
    } catch (const UsageError& e) {
        std::cerr << program << ": " << printable(e.what()) << '\n';
        status = exit_usage;
    } catch (const boost::program_options::error& e) {
        std::cerr << program << ": " << printable(e.what()) << " (see --help)\n";
        status = exit_usage;
    } catch (const std::bad_alloc&) {
        std::cerr << program << ": error: out of memory\n";
        status = 1;
    } catch (const std::exception& e) {
        std::cerr << program << ": error: " << printable(e.what()) << '\n';
        status = 1;
    }
    return finish(program, status);
}

int run_chapter(int argc, char** argv, const std::function<int()>& body) {
    const char* program = argc > 0 ? argv[0] : "program";
    if (const char* slash = std::strrchr(program, '/')) program = slash + 1;
    if (argc > 1) {
        std::cerr << program << ": unexpected argument '" << printable(argv[1])
                  << "': this program takes no arguments (it shows one chapter's example)\n";
        return exit_usage;
    }
    return run(program, body);
}

}  // namespace tapegrad::cli
