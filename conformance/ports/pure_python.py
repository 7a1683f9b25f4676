"""An independent port in pure standard-library Python: no numpy, no torch.

`python -m conformance.ports.pure_python` answers one request (conformance/PORTS.md). It shows
the protocol is language-neutral and that the golden data pins the math down without any array
library. It implements every network and perceptron case; init cases need numpy's random
generators and are answered "unsupported".

Matrices are lists of rows. Inside, W is n_out x n_in and b a list of n_out (the internal
layout); the request's layout is converted on the way in and out.
"""

from __future__ import annotations

import math

from conformance.ports.protocol import Matrix, Trajectory, Unsupported, serve

TINY = 2.2250738585072014e-308  # smallest normal float64: below it cross-entropy's P is clipped


# -- matrices ----------------------------------------------------------------------------------
def transpose(M: Matrix) -> Matrix:
    return [list(col) for col in zip(*M, strict=True)]


def matmul(A: Matrix, B: Matrix) -> Matrix:
    """(n, k) x (k, m) -> (n, m)."""
    Bt = transpose(B)
    return [[math.fsum(a * b for a, b in zip(row, col, strict=True)) for col in Bt] for row in A]


def elementwise(f, *Ms: Matrix) -> Matrix:
    return [[f(*xs) for xs in zip(*rows, strict=True)] for rows in zip(*Ms, strict=True)]


def column_sums(M: Matrix) -> list[float]:
    return [math.fsum(col) for col in zip(*M, strict=True)]


# -- activations: f(z) and f'(z) -----------------------------------------------------------------
def sigmoid(z: float) -> float:
    e = math.exp(-abs(z))
    return 1 / (1 + e) if z >= 0 else e / (1 + e)


ACTIVATION = {
    "identity": (lambda z: z, lambda z, a: 1.0),
    "relu": (lambda z: z if z > 0 else 0.0, lambda z, a: 1.0 if z > 0 else 0.0),
    "tanh": (math.tanh, lambda z, a: 1 - a * a),
    "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
}


def softmax_row(z: list[float]) -> list[float]:
    m = max(z)
    e = [math.exp(x - m) for x in z]
    s = math.fsum(e)
    return [x / s for x in e]


def log_softmax_row(z: list[float]) -> list[float]:
    m = max(z)
    log_sum = math.log(math.fsum(math.exp(x - m) for x in z))
    return [x - m - log_sum for x in z]


def activate(name: str, Z: Matrix) -> Matrix:
    if name == "softmax":
        return [softmax_row(z) for z in Z]
    return elementwise(ACTIVATION[name][0], Z)


def activation_backward(name: str, dA: Matrix, Z: Matrix, A: Matrix) -> Matrix:
    if name == "softmax":  # dz = a * (da - <da, a>) row by row
        out = []
        for da, a in zip(dA, A, strict=True):
            dot = math.fsum(x * y for x, y in zip(da, a, strict=True))
            out.append([ai * (di - dot) for di, ai in zip(da, a, strict=True)])
        return out
    grad = ACTIVATION[name][1]
    return elementwise(lambda d, z, a: d * grad(z, a), dA, Z, A)


# -- layouts -----------------------------------------------------------------------------------
def params_in(layout: str, params: dict, depth: int, bias: bool):
    W, b = [], []
    for l in range(1, depth + 1):
        w = params[f"W{l}"]
        W.append(w if layout == "t1" else transpose(w))
        if bias:
            x = params[f"b{l}"]
            b.append(x[0] if layout == "t2" else [row[0] for row in x])
    return W, (b if bias else None)


def params_out(layout: str, W: list[Matrix], b, w_name: str, b_name: str, suffix: str) -> dict:
    out = {}
    for l, w in enumerate(W, start=1):
        out[f"{w_name}{l}{suffix}"] = w if layout == "t1" else transpose(w)
        if b is not None:
            out[f"{b_name}{l}{suffix}"] = (
                [list(b[l - 1])] if layout == "t2" else [[x] for x in b[l - 1]]
            )
    return out


# -- the network -------------------------------------------------------------------------------
def forward(W, b, activations, X):
    Zs, As = [], [X]
    for l, (w, name) in enumerate(zip(W, activations, strict=True)):
        Z = matmul(As[-1], transpose(w))
        if b is not None:
            Z = [[z + bias for z, bias in zip(row, b[l], strict=True)] for row in Z]
        Zs.append(Z)
        As.append(activate(name, Z))
    return Zs, As


def divisor(reduction: str, n: int, k: int) -> int:
    return {"sample_mean": n, "sum": 1, "element_mean": n * k}[reduction]


def cost(net: dict, Z_L: Matrix, A_L: Matrix, Y: Matrix) -> float:
    d = divisor(net["reduction"], len(Y), len(Y[0]))
    if net["loss"] == "cross_entropy":
        terms = [
            y * lp
            for z, yr in zip(Z_L, Y, strict=True)
            for y, lp in zip(yr, log_softmax_row(z), strict=True)
        ]
        return -math.fsum(terms) / d
    return math.fsum(
        (a - y) ** 2 for ar, yr in zip(A_L, Y, strict=True) for a, y in zip(ar, yr, strict=True)
    ) / (2 * d)


def output_gradients(net: dict, objective: str, Z_L, A_L, Y):
    """(dA(L), dZ(L) or None to derive it from the activation)."""
    if objective == "output":
        return [[1.0] * len(row) for row in A_L], None
    d = divisor(net["reduction"], len(Y), len(Y[0]))
    if net["loss"] == "cross_entropy":
        dA = elementwise(lambda p, y: -(y / p) / d if y != 0 and p >= TINY else 0.0, A_L, Y)
        return dA, elementwise(lambda p, y: (p - y) / d, A_L, Y)
    return elementwise(lambda a, y: (a - y) / d, A_L, Y), None


def backprop(W, activations, bias, Zs, As, dA_L, dZ_L):
    L = len(W)
    dA, dZ, dW, db = [None] * L, [None] * L, [None] * L, [None] * L
    dA[-1] = dA_L
    dZ[-1] = (
        dZ_L if dZ_L is not None else activation_backward(activations[-1], dA_L, Zs[-1], As[-1])
    )
    for i in reversed(range(L)):
        dW[i] = matmul(transpose(dZ[i]), As[i])
        db[i] = column_sums(dZ[i]) if bias else None
        if i > 0:
            dA[i - 1] = matmul(dZ[i], W[i])
            dZ[i - 1] = activation_backward(activations[i - 1], dA[i - 1], Zs[i - 1], As[i])
    return dA, dZ, dW, db


def solve_network(request: dict) -> Trajectory:
    case = request["case"]
    net, training, record = case["network"], case["training"], case["record"]
    layout, activations, bias = case["layout"], net["activations"], net["bias"]
    W, b = params_in(layout, request["params"], len(activations), bias)
    X_all, Y_all = request["data"]["X"], request["data"]["Y"]
    size = training.get("batch_size", 0)
    if size:  # each epoch's order cut into batches of `size`, the last one partial
        batches = [
            [int(i) for i in order[start : start + size]]
            for order in request["data"]["order"]
            for start in range(0, len(X_all), size)
        ]
    else:
        batches = [list(range(len(X_all)))] * training["steps"]
    maximize, lr = training["maximize"], training["lr"]
    opt = {"momentum": 0, "dampening": 0, "nesterov": False, "weight_decay": 0}
    opt |= case.get("optimizer", {})
    vW, vb = [None] * len(W), [None] * len(W)
    moves_b = bias and not training.get("freeze_biases", False)
    out: Trajectory = {}
    for step, rows in enumerate(batches):
        X, Y = [X_all[i] for i in rows], [Y_all[i] for i in rows]
        Zs, As = forward(W, b, activations, X)
        tensors: dict[str, Matrix] = {}
        for l in range(1, len(W) + 1):
            tensors[f"Z{l}"], tensors[f"A{l}"] = Zs[l - 1], As[l]
        tensors["cost"] = [[cost(net, Zs[-1], As[-1], Y)]]
        dA_L, dZ_L = output_gradients(net, training["objective"], Zs[-1], As[-1], Y)
        dA, dZ, dW, db = backprop(W, activations, bias, Zs, As, dA_L, dZ_L)
        for l in range(1, len(W) + 1):
            tensors[f"dA{l}"], tensors[f"dZ{l}"] = dA[l - 1], dZ[l - 1]
            name = activations[l - 1]
            if name != "softmax":
                grad = ACTIVATION[name][1]
                tensors[f"aprime{l}"] = elementwise(grad, Zs[l - 1], As[l])
        tensors.update(params_out(layout, dW, db if bias else None, "dW", "db", ""))
        for i in range(len(W)):
            W[i], vW[i] = sgd_update(W[i], dW[i], vW[i], lr, opt, maximize)
            if moves_b:
                (b[i],), new_vb = sgd_update([b[i]], [db[i]], vb[i], lr, opt, maximize)
                vb[i] = new_vb
        if opt["momentum"]:
            velocity_b = [v[0] for v in vb] if moves_b else None
            tensors.update(params_out(layout, vW, velocity_b, "vW", "vb", ""))
        tensors.update(params_out(layout, W, b, "W", "b", "_after"))
        names = tensors if step in record["full_steps"] else record["every_step"]
        for name in names:
            out[(step, name)] = tensors[name]
    if case.get("query"):
        out[(training["steps"], "prediction")] = forward(W, b, activations, request["data"]["Xq"])[
            1
        ][-1]
    return out


# -- the optimizer: torch.optim.SGD's update (data/README.md, "Training") --------------------
def sgd_update(P: list, dP: list, v, lr: float, opt: dict, maximize: bool):
    """One parameter (a matrix, or a bias as a one-row matrix): (new P, new buffer or None)."""
    momentum, dampening = opt["momentum"], opt["dampening"]
    g = elementwise(lambda d: -d if maximize else d, dP)
    if opt["weight_decay"]:
        g = elementwise(lambda gi, p: gi + opt["weight_decay"] * p, g, P)
    if momentum:
        if v is None:
            v = [list(row) for row in g]  # the first buffer is the gradient itself
        else:
            v = elementwise(lambda vi, gi: momentum * vi + (1 - dampening) * gi, v, g)
        g = elementwise(lambda gi, vi: gi + momentum * vi, g, v) if opt["nesterov"] else v
    else:
        v = None
    return elementwise(lambda p, gi: p - lr * gi, P, g), v


# -- the perceptron ----------------------------------------------------------------------------
def solve_perceptron(request: dict) -> Trajectory:
    p = request["case"]["perceptron"]
    X, y = request["data"]["X"], [row[0] for row in request["data"]["y"]]
    w, b, eta = [float(x) for x in p["w0"]], float(p["b0"]), p["eta"]
    out: Trajectory = {}
    epochs = 0
    for epoch in range(p["max_epochs"]):
        epochs += 1
        rows = {"prediction": [], "error": [], "w": [], "b": []}
        for x, target in zip(X, y, strict=True):
            prediction = (
                1.0 if math.fsum(xi * wi for xi, wi in zip(x, w, strict=True)) + b >= 0 else 0.0
            )
            error = target - prediction
            w = [wi + eta * error * xi for wi, xi in zip(w, x, strict=True)]
            b = b + eta * error
            rows["prediction"].append([prediction])
            rows["error"].append([error])
            rows["w"].append(list(w))
            rows["b"].append([b])
        mistakes = sum(1 for e in rows["error"] if e[0] != 0)
        for name, matrix in rows.items():
            out[(epoch, name)] = matrix
        out[(epoch, "errors")] = [[float(mistakes)]]
        if mistakes == 0:
            break
    out[(0, "epochs")] = [[float(epochs)]]  # the run's length: the error-free epoch or the last
    return out


def solve(request: dict) -> Trajectory:
    kind = request["case"]["kind"]
    if kind == "network":
        return solve_network(request)
    if kind == "perceptron":
        return solve_perceptron(request)
    raise Unsupported(f"{kind} cases need numpy's random generators")


if __name__ == "__main__":
    serve(solve)
