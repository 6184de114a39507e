#!/usr/bin/python3
"""Independent reference for tapegrad's training: gradient descent on the true MSE gradient.

Written separately from the C++ code, in matrix form: the 3-2-1 network as
H = X W + b_h (6 x 2), Z = H v + b3, and the gradient from matrix calculus
    dZ = 2/n (activation(Z) - y) * activation'(Z)
    dv = H^T dZ,  db3 = sum(dZ),  dH = dZ v^T,  dW = X^T dH,  db_h = column sums of dH
Prints the same CSV as `train_health --history` (iteration, rmse, 11 gradients,
11 parameters after the update). tests/test_training.cpp keeps rows of its output as
fixtures; regenerate them with, e.g.
    /usr/bin/python3 tests/reference/true_gradient_descent.py 0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0,0,0
Needs Debian's python3-numpy (for /usr/bin/python3).
"""
import argparse
import sys

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("init", help="w1,...,w8,b1,b2,b3")
parser.add_argument("--learning-rate", type=float, default=0.005)
parser.add_argument("--iterations", type=int, default=2000)
parser.add_argument("--activation", default="identity", choices=["identity", "sigmoid", "tanh"])
args = parser.parse_args()

raw = np.array([[60, 8, 7], [63, 2, 2], [17, 7, 7], [35, 4, 5], [90, 1, 1], [10, 9, 7]], dtype=float)
X = raw / np.array([101.0, 11.0, 11.0])
y = np.array([7, 3, 9, 6, 1, 10], dtype=float)
n = len(y)

p = np.array([float(v) for v in args.init.split(",")])
assert p.size == 11, "need 11 numbers"
W = np.array([[p[0], p[3]], [p[1], p[4]], [p[2], p[5]]])  # column k feeds hidden neuron k+1
v = np.array([p[6], p[7]])
bh = np.array([p[8], p[9]])
b3 = p[10]

if args.activation == "identity":
    act, dact = (lambda z: z), (lambda z: np.ones_like(z))
elif args.activation == "sigmoid":
    act = lambda z: 1 / (1 + np.exp(-z))
    dact = lambda z: act(z) * (1 - act(z))
else:
    act, dact = np.tanh, (lambda z: 1 / np.cosh(z) ** 2)

names = ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2", "b3"]
out = sys.stdout
out.write("iteration,rmse," + ",".join(f"{k}_gradient" for k in names) + "," + ",".join(names) + "\n")
for i in range(args.iterations):
    H = X @ W + bh
    Z = H @ v + b3
    e = act(Z) - y
    rmse = np.sqrt(np.mean(e**2))
    dZ = 2.0 / n * e * dact(Z)
    dv, db3 = H.T @ dZ, dZ.sum()
    dH = np.outer(dZ, v)
    dW, dbh = X.T @ dH, dH.sum(axis=0)
    grad = [dW[0, 0], dW[1, 0], dW[2, 0], dW[0, 1], dW[1, 1], dW[2, 1], dv[0], dv[1], dbh[0], dbh[1], db3]
    lr = args.learning_rate
    W, v, bh, b3 = W - lr * dW, v - lr * dv, bh - lr * dbh, b3 - lr * db3
    params = [W[0, 0], W[1, 0], W[2, 0], W[0, 1], W[1, 1], W[2, 1], v[0], v[1], bh[0], bh[1], b3]
    out.write(f"{i},{rmse!r}," + ",".join(repr(float(g)) for g in grad) + "," + ",".join(repr(float(q)) for q in params) + "\n")
