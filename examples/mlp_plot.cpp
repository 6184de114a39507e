// examples/mlp_plot.cpp — the loss curves and the decision boundary as a gnuplot script.
#include "mlp_plot.hpp"

#include <cmath>
#include <cstdio>

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

// The probability of class 1 on an 80 x 80 grid over the points' range (plus a margin).
std::string boundary_panel(const MlpPicture& p) {
    const Eigen::MatrixXd& x = *p.points;
    const Eigen::RowVectorXd low = x.colwise().minCoeff(), high = x.colwise().maxCoeff();
    const Eigen::RowVectorXd margin = 0.1 * (high - low), from = low - margin, to = high + margin;
    constexpr int n = 80;
    Eigen::MatrixXd grid(n * n, 2);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            grid.row(i * n + j) << from(0) + (to(0) - from(0)) * i / (n - 1), from(1) + (to(1) - from(1)) * j / (n - 1);
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
}  // namespace

std::string mlp_training_script(const MlpPicture& p, ImageFormat format) {
    const bool boundary = p.model && p.points && p.labels && p.points->cols() == 2;
    std::string s = terminal(format, boundary ? 1400 : 800, 620, 14);
    s += "set multiplot layout 1," + std::string(boundary ? "2" : "1") + " title " + gnuplot_string(p.title) +
         " font ',16'\n";
    s += loss_panel(p);
    if (boundary) s += boundary_panel(p);
    return s + "unset multiplot\n";
}

}  // namespace tapegrad::pictures
