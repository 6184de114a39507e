// examples/mlp_plot.cpp — the loss curves and the decision boundary as a gnuplot script.
#include "mlp_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace tapegrad::pictures {

namespace {
std::string number(double x) {
    if (!std::isfinite(x)) return "?";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.8g", x);
    return buf;
}

std::string loss_panel(const MlpPicture& p) {
    std::string s = "$loss << EOD\n";
    for (const auto& r : p.history->epochs)
        s += std::to_string(r.epoch) + " " + number(r.train_loss) + " " + number(r.test_loss) + "\n";
    s += "EOD\n";
    s += "set title 'loss over the epochs' font ',14'\nset xlabel 'epoch'\nset ylabel 'loss (log scale)'\n";
    s += "set logscale y\nset grid lc rgb '#d0d0d0'\nset key top right box opaque\n";
    s += "plot $loss using 1:2 with lines lw 2.5 lc rgb '#08306b' title 'training'";
    if (p.with_test) s += ", \\\n     $loss using 1:3 with lines lw 2.5 dt (8,6) lc rgb '#d95f02' title 'test'";
    return s + "\nunset logscale y\nunset grid\nunset key\n";
}

// An n x n grid over the range of the points' two features (plus a margin), from `from`
// to `to`: row i * n + j at the i-th step of the first feature and the j-th of the second.
constexpr int grid_steps = 80;
struct PlaneGrid {
    Eigen::MatrixXd grid;
    Eigen::RowVectorXd from, to;
};
PlaneGrid plane_grid(const Eigen::MatrixXd& x) {
    const Eigen::RowVectorXd low = x.colwise().minCoeff(), high = x.colwise().maxCoeff();
    const Eigen::RowVectorXd margin = 0.1 * (high - low), from = low - margin, to = high + margin;
    constexpr int n = grid_steps;
    Eigen::MatrixXd grid(n * n, 2);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            grid.row(i * n + j) << from(0) + (to(0) - from(0)) * i / (n - 1), from(1) + (to(1) - from(1)) * j / (n - 1);
    return {grid, from, to};
}

// The probability of class 1 on an 80 x 80 grid over the points' range (plus a margin).
std::string boundary_panel(const MlpPicture& p) {
    const Eigen::MatrixXd& x = *p.points;
    constexpr int n = grid_steps;
    const auto [grid, from, to] = plane_grid(x);
    const Eigen::MatrixXd probability = p.model->predict(grid);
    std::string s = "$grid << EOD\n";
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j)
            s += number(grid(i * n + j, 0)) + " " + number(grid(i * n + j, 1)) + " " + number(probability(i * n + j)) +
                 "\n";
        s += "\n";
    }
    s += "EOD\n";
    for (int label = 0; label < 2; ++label) {
        s += "$class" + std::to_string(label) + " << EOD\n";
        for (Eigen::Index r = 0; r < x.rows(); ++r)
            if (((*p.labels)(r) >= 0.5) == (label == 1)) s += number(x(r, 0)) + " " + number(x(r, 1)) + "\n";
        s += "EOD\n";
    }
    s += "set title 'decision boundary: probability of class 1' font ',14'\n";
    s += "set xlabel " + gnuplot_string(p.model->features[0]) + "\nset ylabel " + gnuplot_string(p.model->features[1]) +
         "\n";
    s += "set xrange [" + number(from(0)) + ":" + number(to(0)) + "]\nset yrange [" + number(from(1)) + ":" +
         number(to(1)) + "]\n";
    s += "set cbrange [0:1]\nset palette defined (0 '#f4a582', 0.5 '#f7f7f7', 1 '#92c5de')\n";
    s += "set key top right box opaque\n";
    s += "plot $grid using 1:2:3 with image notitle, \\\n"
         "     $class0 using 1:2 with points pt 7 ps 0.5 lc rgb '#b2182b' title 'label 0', \\\n"
         "     $class1 using 1:2 with points pt 7 ps 0.5 lc rgb '#2166ac' title 'label 1'\n";
    return s;
}
// K colours that stay apart on screen and in print (ColorBrewer's Set1, then Dark2).
const char* class_colour(std::size_t k) {
    static const char* colours[] = {"#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf",
                                    "#999999", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"};
    return colours[k % std::size(colours)];
}

// The same colour mixed with white (a third of it kept), for the regions under the points.
std::string light(const char* colour) {
    char out[8];
    const unsigned long rgb = std::strtoul(colour + 1, nullptr, 16);
    const auto mix = [rgb](int shift) { return static_cast<unsigned>(255 - (255 - ((rgb >> shift) & 0xff)) / 3); };
    std::snprintf(out, sizeof out, "#%02x%02x%02x", mix(16), mix(8), mix(0));
    return out;
}

// The confusion matrix as a grid of cells: shaded by the share of the actual class's rows
// (so a small class's mistakes show as much as a large one's), the count written in each.
std::string confusion_panel(const MlpPicture& p) {
    const Eigen::MatrixXi& m = *p.confusion;
    const auto& names = p.model->classes;
    const auto k = static_cast<int>(m.rows());
    std::string s = "$confusion << EOD\n";
    for (int a = 0; a < k; ++a) {
        const double total = std::max(1, m.row(a).sum());
        for (int q = 0; q < k; ++q)
            s += std::to_string(q) + " " + std::to_string(a) + " " + number(m(a, q) / total) + " " +
                 std::to_string(m(a, q)) + "\n";
        s += "\n";
    }
    s += "EOD\n";
    s += "set title " + gnuplot_string("confusion matrix of " + p.confusion_of) + " font ',14'\n";
    s += "set xlabel 'predicted class'\nset ylabel 'actual class'\n";
    s += "set xrange [-0.5:" + number(k - 0.5) + "]\nset yrange [" + number(k - 0.5) + ":-0.5]\n";
    std::string tics;
    for (int c = 0; c < k; ++c)
        tics += (c ? ", " : "") + gnuplot_string(names[static_cast<std::size_t>(c)]) + " " + std::to_string(c);
    s += "set xtics (" + tics + ") rotate by -30\nset ytics (" + tics + ")\n";
    s += "set cbrange [0:1]\nset palette defined (0 '#ffffff', 1 '#08519c')\nunset colorbox\nunset key\n";
    s += "plot $confusion using 1:2:3 with image pixels, \\\n"
         "     $confusion using 1:2:(sprintf('%d', $4)):($3 > 0.5 ? 0xffffff : 0x000000) with labels tc rgb variable "
         "font ',13'\n";
    return s + "set xtics auto norotate\nset ytics auto\nset colorbox\nset yrange [*:*]\n";
}

// The predicted class over an 80 x 80 grid of the plane of the two features, and the points.
std::string regions_panel(const MlpPicture& p) {
    const Eigen::MatrixXd& x = *p.points;
    constexpr int n = grid_steps;
    const auto [grid, from, to] = plane_grid(x);
    const std::vector<int> predicted = nn::predicted_classes(p.model->predict(grid));
    const auto& names = p.model->classes;
    std::string s = "$regions << EOD\n";
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j)
            s += number(grid(i * n + j, 0)) + " " + number(grid(i * n + j, 1)) + " " +
                 std::to_string(predicted[static_cast<std::size_t>(i * n + j)]) + "\n";
        s += "\n";
    }
    s += "EOD\n$points << EOD\n";
    for (Eigen::Index r = 0; r < x.rows(); ++r)
        s += number(x(r, 0)) + " " + number(x(r, 1)) + " " + std::to_string((*p.classes)[static_cast<std::size_t>(r)]) +
             "\n";
    s += "EOD\n";
    s += "set title 'decision regions: the predicted class' font ',14'\n";
    s += "set xlabel " + gnuplot_string(p.model->features[0]) + "\nset ylabel " + gnuplot_string(p.model->features[1]) +
         "\n";
    s += "set xrange [" + number(from(0)) + ":" + number(to(0)) + "]\nset yrange [" + number(from(1)) + ":" +
         number(to(1)) + "]\n";
    const std::size_t k = names.size();
    s += "set cbrange [-0.5:" + number(static_cast<double>(k) - 0.5) + "]\nunset colorbox\nset palette maxcolors " +
         std::to_string(k) + " defined (";
    for (std::size_t c = 0; c < k; ++c) s += (c ? ", " : "") + std::to_string(c) + " '" + light(class_colour(c)) + "'";
    s += ")\nset key top right box opaque\nplot $regions using 1:2:3 with image notitle";
    for (std::size_t c = 0; c < k; ++c)
        s += ", \\\n     $points using 1:($3 == " + std::to_string(c) +
             " ? $2 : NaN) with points pt 7 ps 0.8 lc rgb '" + class_colour(c) + "' title " + gnuplot_string(names[c]);
    s += ", \\\n     $points using 1:2 with points pt 6 ps 0.8 lc rgb '#202020' notitle";
    return s + "\nset colorbox\n";
}
}  // namespace

std::string mlp_training_script(const MlpPicture& p, ImageFormat format) {
    const bool classes = p.model && p.confusion;
    const bool boundary = !classes && p.model && p.points && p.labels && p.points->cols() == 2;
    const bool regions = classes && p.points && p.classes && p.points->cols() == 2;
    const int panels = 1 + (boundary || classes ? 1 : 0) + (regions ? 1 : 0);
    std::string s = terminal(format, 200 + 600 * panels, 620, 14);
    s += "set multiplot layout 1," + std::to_string(panels) + " title " + gnuplot_string(p.title) + " font ',16'\n";
    s += loss_panel(p);
    if (boundary) s += boundary_panel(p);
    if (classes) s += confusion_panel(p);
    if (regions) s += regions_panel(p);
    return s + "unset multiplot\n";
}

}  // namespace tapegrad::pictures
