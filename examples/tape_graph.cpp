// examples/tape_graph.cpp — draw the tape: the graph the health network's loss records,
// with each node's operation, value and adjoint after the reverse sweep.
//
//   tape_graph                          one person's squared error as Graphviz DOT, on stdout
//   tape_graph --person 3 --output p3.svg       drawn by Graphviz's dot (Debian: graphviz)
//   tape_graph --batched --output batch.svg     the article's batched graph: six people a node
//
// Read it top down for the forward pass (the values), bottom up for the sweep:
// each node's adjoint is d loss / d node, and the adjoints of the parameters w1..b3
// (the filled boxes) are the gradient that training steps against. The per-person
// graph is the loss of one person, (prediction - y)^2, recorded by
// HealthNetwork::record_loss_per_person for a network of that person alone; the batched
// one is HealthNetwork::record_loss, the MSE.
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>

#include "tapegrad/autodiff/inspect.hpp"
#include "cli.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "plot.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

namespace {

// A title over the drawing, placed right after the graph's opening line.
std::string with_title(const std::string& dot, const std::string& title) {
    const std::size_t line_end = dot.find('\n');
    return dot.substr(0, line_end + 1) + "  labelloc=t;\n  fontname=\"Helvetica\";\n  fontsize=15;\n  label=\"" +
           title + "\";\n" + dot.substr(line_end + 1);
}

}  // namespace

int main(int argc, char** argv) {
    return cli::run("tape_graph", [&] {
        po::options_description options(
            "tape_graph: draw the tape of the health network's loss, with every node's value and adjoint\n\n"
            "Options");
        cli::add_common_options(options);
        // clang-format off
        options.add_options()
            ("person", po::value<int>()->default_value(1)->value_name("N"),
             "whose squared error to record: 1 to 6, in the article's order")
            ("batched", "record the batched MSE of all six people instead (each node a column of six)")
            ("output,o", po::value<std::string>()->value_name("FILE.dot|FILE.svg"),
             "write the graph to FILE: DOT, or SVG drawn by Graphviz's dot (default: DOT on stdout)");
        // clang-format on
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;

        // ---- Every option is checked before any work is done or any file written ----
        const bool batched = vm.count("batched") > 0;
        const int person = vm["person"].as<int>();
        if (person < 1 || person > 6)
            throw cli::UsageError("--person",
                                  "must be 1 to 6 (one of the article's six people), got " + std::to_string(person));
        if (batched && !vm["person"].defaulted())
            throw cli::UsageError("--person", "the batched graph holds all six people; give --person or --batched");
        const nn::Activation activation = cli::parse_activation("--activation", vm["activation"].as<std::string>());
        const nn::Parameters start = cli::starting_parameters(vm);
        bool svg = false;
        std::optional<cli::OutputFile> output;
        if (vm.count("output")) {
            const std::filesystem::path path = vm["output"].as<std::string>();
            svg = path.extension() == ".svg";
            if (!svg && path.extension() != ".dot")
                throw cli::UsageError("--output", "'" + path.string() + "': the file name must end in .dot or .svg");
            if (svg && !pictures::find_program("dot"))
                throw cli::UsageError("--output",
                                      "drawing SVG needs Graphviz's dot, which is not on PATH; install the Debian "
                                      "package graphviz (apt-get install graphviz), or write .dot");
            output.emplace("--output", path);
        }

        // ---- Record, sweep, draw ----
        const nn::Dataset people = nn::article_people();
        const nn::Scaler scaler = nn::Scaler::article_min_max();
        const Eigen::MatrixXd scaled = scaler.transform(people.features);
        Tape tape;
        nn::ParameterVars vars;
        Var loss;
        if (batched) {
            loss = nn::HealthNetwork(scaled, people.targets, activation).record_loss(tape, start, vars, true);
        } else {  // a network of this one person: its loss is its squared error
            const nn::HealthNetwork one(scaled.row(person - 1), people.targets.segment(person - 1, 1), activation);
            loss = one.record_loss_per_person(tape, start, vars, /*named=*/true);
        }
        tape.gradient(loss);

        std::ostringstream dot;
        write_dot(dot, tape, PrintOptions{.precision = 4, .max_elements = 6});
        std::string title;
        if (batched)
            title = "The batched tape: the MSE of all six people, " + std::to_string(tape.size()) +
                    " nodes, each a column of six";
        else
            title = "The tape of person " + std::to_string(person) + "'s loss (prediction - y)^2, " +
                    std::to_string(tape.size()) + " nodes";
        title += "\\neach node: its value, and its adjoint d loss / d node after the reverse sweep";
        const std::string graph = with_title(dot.str(), title);

        if (!output) {
            std::cout << graph;
            return 0;
        }
        output->stream() << (svg ? pictures::run_filter("dot", {"-Tsvg"}, graph) : graph);
        const bool replaced = output->commit();
        std::cerr << "tape_graph: " << (replaced ? "replaced " : "wrote ") << output->path().string() << " ("
                  << tape.size() << " nodes)\n";
        return 0;
    });
}
