#!/usr/bin/python3
"""Writes the classic data sets of examples/data from the copies Debian ships.

    /usr/bin/python3 examples/data/make_real_data.py [--from DIR] [--to DIR]

Reads the CSV files that Debian's python3-sklearn keeps in
/usr/lib/python3/dist-packages/sklearn/datasets/data (plain files, no sklearn code
is run) and writes, for each set, NAME.csv (training rows) and NAME_test.csv (test
rows): a header naming the columns, the features as they were measured, and the class
last. The split is fixed and needs no random numbers: within each class, in the order
of the source file, every fourth row (the 4th, 8th, ...) is a test row, so each class
keeps its share in both files. The build and the tests use the files written here,
which are committed; this script only says how they were made (README.md beside it
names the sources and their licences).

  iris           150 x 4,  class 'species' as a word (setosa, versicolor, virginica)
  wine           178 x 13, class 'cultivar' as a number 0, 1, 2
  breast_cancer  569 x 30, class 'diagnosis' as a word (malignant, benign)
  digits        1797 x 8x8 pixels 0..16, class 'digit' 0..9; pixels that are 0 in
                every training row (the images' corners) are left out, as they
                carry nothing and no scaler can scale a constant column
"""
import argparse
import csv
import gzip
import os

SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
HERE = os.path.dirname(os.path.abspath(__file__))

IRIS = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]
WINE = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280_od315_of_diluted_wines",
        "proline"]
CANCER_MEASURES = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                   "concave_points", "symmetry", "fractal_dimension"]
CANCER = (["mean_" + m for m in CANCER_MEASURES] + [m + "_error" for m in CANCER_MEASURES] +
          ["worst_" + m for m in CANCER_MEASURES])
DIGITS = ["pixel_%d_%d" % (r, c) for r in range(8) for c in range(8)]


def rows_of(path, skip_header):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    return rows[1:] if skip_header else rows


def split(rows):
    """Every fourth row of each class, in file order, to the test set."""
    seen, train, test = {}, [], []
    for row in rows:
        k = seen.get(row[-1], 0)
        seen[row[-1]] = k + 1
        (test if k % 4 == 3 else train).append(row)
    return train, test


def write(folder, name, header, train, test):
    for suffix, rows in (("", train), ("_test", test)):
        with open(os.path.join(folder, name + suffix + ".csv"), "w", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(header)
            out.writerows(rows)


def labelled(rows, names):
    """The class index in the last cell replaced by its word."""
    return [row[:-1] + [names[int(row[-1])]] for row in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", default=SOURCE, help="the folder of sklearn's data files")
    parser.add_argument("--to", default=HERE, help="where to write (default: beside this script)")
    a = parser.parse_args()
    src = lambda f: os.path.join(a.source, f)

    iris = labelled(rows_of(src("iris.csv"), True), ["setosa", "versicolor", "virginica"])
    write(a.to, "iris", IRIS + ["species"], *split(iris))

    wine = rows_of(src("wine_data.csv"), True)
    write(a.to, "wine", WINE + ["cultivar"], *split(wine))

    cancer = labelled(rows_of(src("breast_cancer.csv"), True), ["malignant", "benign"])
    write(a.to, "breast_cancer", CANCER + ["diagnosis"], *split(cancer))

    train, test = split(rows_of(src("digits.csv.gz"), False))
    keep = [j for j in range(64) if any(row[j] != "0" for row in train)]
    cut = lambda rows: [[row[j] for j in keep] + [row[-1]] for row in rows]
    write(a.to, "digits", [DIGITS[j] for j in keep] + ["digit"], cut(train), cut(test))


if __name__ == "__main__":
    main()
