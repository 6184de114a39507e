// examples/tape_graph.cpp — draw the tape: the graph the health network's loss records,
// with each node's operation, value and adjoint after the reverse sweep.
//
//   tape_graph                          one person's squared error as Graphviz DOT, on stdout
//   tape_graph --person 3 --output p3.svg       drawn by Graphviz's dot (Debian: graphviz)
//   tape_graph --batched --output batch.svg     the article's batched graph: six people a node
//   tape_graph --neuron --html sweep.html       chapter 4's one neuron, as a page that steps
//                                               through the recording and the sweep node by node
//   tape_graph --table                          the tape as print_tape's table instead of DOT
//   tape_graph --network --output net.svg       not a tape: the 3-2-1 network itself, chapter 2's
//                                               drawing, each weight on its arrow
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

#include "cli.hpp"
#include "one_neuron.hpp"
#include "plot.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/optimized_tape.hpp"
#include "tapegrad/autodiff/sweep_page.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

namespace {

// A title over the drawing, placed right after the graph's opening line.
std::string with_title(const std::string& dot, const std::string& title) {
    const std::size_t line_end = dot.find('\n');
    return dot.substr(0, line_end + 1) + "  labelloc=t;\n  fontname=\"Helvetica\";\n  fontsize=15;\n  label=\"" +
           title + "\";\n" + dot.substr(line_end + 1);
}

// Chapter 2's drawing of the network itself (no tape): inputs, hidden neurons, output, each
// weight on its arrow and each bias in its neuron. Invisible edges keep x1..x3 and h1, h2
// in reading order, top to bottom.
std::string network_dot() {
    return R"dot(digraph network {
  rankdir=LR;
  labelloc=t;
  fontname="Helvetica";
  fontsize=15;
  label="The health network: 3 inputs, 2 hidden neurons, 1 output; a weight on each arrow, a bias in each neuron";
  nodesep=0.5;
  ranksep=2.2;
  node [fontname="Helvetica", fontsize=12];
  edge [fontname="Helvetica", fontsize=12, color="#555555"];
  x1 [shape=box, style="rounded,dashed", color=gray40, label="x1\nage / 101"];
  x2 [shape=box, style="rounded,dashed", color=gray40, label="x2\nexercise / 11"];
  x3 [shape=box, style="rounded,dashed", color=gray40, label="x3\ndiet / 11"];
  h1 [shape=circle, style=filled, fillcolor="#fde9c9", label="h1\n+ b1"];
  h2 [shape=circle, style=filled, fillcolor="#fde9c9", label="h2\n+ b2"];
  Z [shape=circle, style=filled, fillcolor="#d6e6f5", label="Z\n+ b3"];
  prediction [shape=box, style=rounded, label="prediction\n= activation(Z)"];
  {rank=same; x1 -> x2 -> x3 [style=invis];}
  {rank=same; h1 -> h2 [style=invis];}
  x1 -> h1 [taillabel="w1", labeldistance=5, labelangle=0];
  x2 -> h1 [taillabel="w2", labeldistance=5, labelangle=0];
  x3 -> h1 [taillabel="w3", labeldistance=5, labelangle=0];
  x1 -> h2 [taillabel="w4", labeldistance=5, labelangle=0];
  x2 -> h2 [taillabel="w5", labeldistance=5, labelangle=0];
  x3 -> h2 [taillabel="w6", labeldistance=5, labelangle=0];
  h1 -> Z [label="w7"];
  h2 -> Z [label="w8"];
  Z -> prediction;
}
)dot";
}

}  // namespace

// Which tape to record, from the options.
struct Choice {
    enum class Which { person, batched, neuron } which = Which::person;
    int person = 1;
    nn::Activation activation = nn::Activation::identity;
    nn::Parameters start;
};

// Record the chosen tape and sweep it; returns the loss.
Var record(Tape& tape, const Choice& c) {
    if (c.which == Choice::Which::neuron) {
        const Var w = tape.variable(0.5), b = tape.variable(0.0);  // chapter 4's start
        tape.set_name(w, "w");
        tape.set_name(b, "b");
        return examples::neuron_loss(tape, w, b);
    }
    const nn::Dataset people = nn::article_people();
    const Eigen::MatrixXd scaled = nn::Scaler::article_min_max().transform(people.features);
    nn::ParameterVars vars;
    if (c.which == Choice::Which::batched)
        return nn::HealthNetwork(scaled, people.targets, c.activation).record_loss(tape, c.start, vars, true);
    // a network of this one person: its loss is its squared error
    const nn::HealthNetwork one(scaled.row(c.person - 1), people.targets.segment(c.person - 1, 1), c.activation);
    return one.record_loss_per_person(tape, c.start, vars, /*named=*/true);
}

std::string title_of(const Choice& c, std::size_t nodes) {
    switch (c.which) {
        case Choice::Which::neuron:
            return "The tape of one neuron, (w x + b - y)^2, " + std::to_string(nodes) + " nodes";
        case Choice::Which::batched:
            return "The batched tape: the MSE of all six people, " + std::to_string(nodes) + " nodes, each a column of six";
        default:
            return "The tape of person " + std::to_string(c.person) + "'s loss (prediction - y)^2, " +
                   std::to_string(nodes) + " nodes";
    }
}

// The output file of an option, checked before any work: its extension, and the program
// that draws it when it needs one.
std::optional<cli::OutputFile> output_file(const po::variables_map& vm, const char* option,
                                           std::initializer_list<const char*> extensions, bool& svg) {
    if (!vm.count(option)) return std::nullopt;
    const std::filesystem::path path = vm[option].as<std::string>();
    const std::string flag = std::string("--") + option;
    std::string allowed;
    bool known = false;
    for (const char* e : extensions) {
        known = known || path.extension() == e;
        allowed += std::string(allowed.empty() ? "" : " or ") + e;
    }
    if (!known) throw cli::UsageError(flag, "'" + path.string() + "': the file name must end in " + allowed);
    svg = path.extension() == ".svg" || path.extension() == ".html";
    if (svg && !pictures::find_program("dot"))
        throw cli::UsageError(flag, std::string(path.extension() == ".svg" ? "drawing SVG" : "the page's drawing") +
                                        " needs Graphviz's dot, which is not on PATH; install the Debian package "
                                        "graphviz (apt-get install graphviz)" +
                                        (path.extension() == ".svg" ? ", or write .dot" : ""));
    return std::optional<cli::OutputFile>(std::in_place, flag, path);
}

// The sweep page, written by the library (autodiff/sweep_page.hpp), the graph drawn by
// Graphviz's dot, run without a shell. Graphviz lays out a few dozen nodes at once, but takes
// minutes (or crashes) on graphs of a few hundred nodes with many long edges; past this size
// the page shows the table alone.
constexpr std::size_t max_drawn_nodes = 100;

std::string sweep_page(Tape& tape, Var loss, const std::string& title) {
    SweepPageOptions options;
    if (tape.size() <= max_drawn_nodes)
        options.draw = [](const std::string& dot) { return pictures::run_filter("dot", {"-Tsvg"}, dot); };
    std::ostringstream page;
    write_sweep_page(page, tape, loss, title, options);
    return page.str();
}

// Where the page's tape was recorded: the parameters it starts from.
std::string start_of(const Choice& c, const po::variables_map& vm) {
    if (c.which == Choice::Which::neuron) return "at w = 0.5, b = 0";
    if (vm.count("init")) return "at w1..w8, b1..b3 = " + vm["init"].as<std::string>();
    return "at the random start of seed " + vm["seed"].as<std::string>();
}

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
            ("neuron", "record chapter 4's one neuron instead: (w x + b - y)^2 at w = 0.5, b = 0 (8 nodes)")
            ("network", "draw the 3-2-1 network itself instead of a tape: neurons, and the weights on the arrows")
            ("output,o", po::value<std::string>()->value_name("FILE.dot|FILE.svg"),
             "write the graph to FILE: DOT, or SVG drawn by Graphviz's dot (default: DOT on stdout)")
            ("html", po::value<std::string>()->value_name("FILE.html"),
             "write a page that steps through the recording and the sweep, node by node (one self-contained "
             "file: open it in a browser; keys: right/left arrow, Home, End; FILE.html#step=N opens at step N)")
            ("table", "print the tape as a table (index, op, parents, shape, value, adjoint) instead of DOT")
            ("optimized", "show the plan OptimizedTape compiles the tape into: each step a box around the nodes "
                          "it stands for (with --table: print_plan's table)");
        // clang-format on
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;

        // ---- Every option is checked before any work is done or any file written ----
        Choice choice;
        const bool batched = vm.count("batched") > 0, neuron = vm.count("neuron") > 0;
        choice.person = vm["person"].as<int>();
        if (choice.person < 1 || choice.person > 6)
            throw cli::UsageError("--person", "must be 1 to 6 (one of the article's six people), got " +
                                                  std::to_string(choice.person));
        if (batched && !vm["person"].defaulted())
            throw cli::UsageError("--person", "the batched graph holds all six people; give --person or --batched");
        if (neuron && (batched || !vm["person"].defaulted()))
            throw cli::UsageError("--neuron", "records one neuron alone; give one of --neuron, --person, --batched");
        if (neuron && (!vm["activation"].defaulted() || vm.count("init") || !vm["seed"].defaulted()))
            throw cli::UsageError("--neuron", "the one neuron has its own start (w = 0.5, b = 0) and no activation; "
                                              "--init, --seed and --activation are for the health network");
        if (vm.count("network") && (batched || neuron || !vm["person"].defaulted() || vm.count("html") ||
                                    vm.count("table") || vm.count("init") || !vm["seed"].defaulted() ||
                                    !vm["activation"].defaulted()))
            throw cli::UsageError("--network", "draws the network, not a tape: it takes --output only");
        if (vm.count("optimized") && (vm.count("html") || vm.count("network")))
            throw cli::UsageError("--optimized",
                                  "shows a tape's plan: it goes with --table or --output, not --html or --network");
        if (vm.count("table") && vm.count("output"))
            throw cli::UsageError("--table", "prints the table on stdout; --output writes the graph: give one");
        choice.which = neuron ? Choice::Which::neuron : batched ? Choice::Which::batched : Choice::Which::person;
        choice.activation = cli::parse_activation("--activation", vm["activation"].as<std::string>());
        choice.start = cli::starting_parameters(vm);
        cli::check_file_options({}, cli::file_options(vm, {"output", "html"}));
        bool svg = false, unused = false;
        std::optional<cli::OutputFile> output = output_file(vm, "output", {".dot", ".svg"}, svg);
        std::optional<cli::OutputFile> html = output_file(vm, "html", {".html"}, unused);

        if (vm.count("network")) {
            if (!output) {
                std::cout << network_dot();
                return 0;
            }
            output->stream() << (svg ? pictures::run_filter("dot", {"-Tsvg"}, network_dot()) : network_dot());
            cli::put_in_place("tape_graph", *output, "the network");
            return 0;
        }

        // ---- Record, sweep, draw ----
        Tape tape;
        const Var loss = record(tape, choice);
        const std::string title = title_of(choice, tape.size());
        if (html) {  // the page sweeps the tape itself, one node at a time
            html->stream() << sweep_page(tape, loss, title + ", " + start_of(choice, vm));
            cli::put_in_place("tape_graph", *html, std::to_string(tape.size()) + " nodes, a page to step through");
        }
        tape.gradient(loss);
        if (vm.count("optimized")) {
            const OptimizedTape plan(tape, loss);
            std::ostringstream dot;
            write_plan_dot(dot, tape, plan);
            const std::string graph = with_title(dot.str(), title + "\\nthe plan OptimizedTape compiles it into: " +
                                                                std::to_string(plan.steps().size()) + " steps");
            if (vm.count("table"))
                print_plan(std::cout, tape, plan);
            else if (!output)
                std::cout << graph;
            if (!output) return 0;
            output->stream() << (svg ? pictures::run_filter("dot", {"-Tsvg"}, graph) : graph);
            cli::put_in_place("tape_graph", *output,
                              std::to_string(plan.steps().size()) + " steps from " + std::to_string(tape.size()) +
                                  " nodes");
            return 0;
        }
        if (vm.count("table")) {
            print_tape(std::cout, tape);
            return 0;
        }
        if (html && !output) return 0;

        std::ostringstream dot;
        write_dot(dot, tape, PrintOptions{.precision = 4, .max_elements = 6});
        const std::string graph =
            with_title(dot.str(), title + "\\neach node: its value, and its adjoint d loss / d node after the reverse sweep");
        if (!output) {
            std::cout << graph;
            return 0;
        }
        output->stream() << (svg ? pictures::run_filter("dot", {"-Tsvg"}, graph) : graph);
        cli::put_in_place("tape_graph", *output, std::to_string(tape.size()) + " nodes");
        return 0;
    });
}
