// tapegrad/nn/data.cpp — the article's six people.
#include "tapegrad/nn/data.hpp"

namespace tapegrad::nn {

Dataset article_people() {
    Dataset d;
    d.features.resize(6, 3);
    d.features << 60, 8, 7,  //
        63, 2, 2,            //
        17, 7, 7,            //
        35, 4, 5,            //
        90, 1, 1,            //
        10, 9, 7;
    d.targets.resize(6);
    d.targets << 7, 3, 9, 6, 1, 10;
    return d;
}

}  // namespace tapegrad::nn
