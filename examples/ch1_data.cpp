// examples/ch1_data.cpp — tutorial chapter 1: the six people, and the two ways of
// scaling their features (the article's min-max with fixed bounds; standardisation).
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad::nn;

namespace {
void print_rows(const char* title, const Eigen::MatrixXd& x, const char* format) {
    std::cout << title << "\n  person       x1 (age)  x2 (exercise)   x3 (diet)\n";
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        std::printf("  %6d", static_cast<int>(i + 1));
        for (Eigen::Index j = 0; j < 3; ++j) std::printf(format, x(i, j));
        std::printf("\n");
    }
    std::fflush(stdout);
}
}  // namespace

int show_chapter() {
    // [data]
    const Dataset people = article_people();
    const Scaler min_max = Scaler::article_min_max();           // age / 101, exercise / 11, diet / 11
    const Scaler standard = Scaler::standard(people.features);  // (x - mean) / standard deviation
    // [data]

    std::cout << "The article's six people:\n  person  age  exercise  diet  health\n";
    for (Eigen::Index i = 0; i < people.people(); ++i)
        std::printf("  %6d  %3.0f  %8.0f  %4.0f  %6.0f\n", static_cast<int>(i + 1), people.features(i, 0),
                    people.features(i, 1), people.features(i, 2), people.targets(i));
    std::fflush(stdout);

    std::cout << "\n";
    print_rows("Min-max scaled with the article's fixed bounds (0..101, 0..11, 0..11):",
               min_max.transform(people.features), "  %13.6f");
    std::cout << "\nStandardised: mean and standard deviation of the six\n";
    for (Eigen::Index j = 0; j < 3; ++j)
        std::printf("  %-8s  mean %8.4f  standard deviation %8.4f\n", feature_names[static_cast<std::size_t>(j)].data(),
                    standard.offset()(j), standard.scale()(j));
    std::fflush(stdout);
    print_rows("", standard.transform(people.features), "  %13.6f");
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
