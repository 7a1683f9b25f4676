"""reference: the multilayer perceptron in PyTorch, gradients from autograd, steps from SGD.

`mlp` holds `TorchMLP` (an `nn.Module`), `losses` the costs in torch operations, `state` the
converters between `scratch.Params` and the module's state dict, `perceptron` T4's rule in torch.
"""

from reference.mlp import TorchMLP, default_device
from reference.state import params_to_state_dict, state_dict_to_params

__all__ = ["TorchMLP", "default_device", "params_to_state_dict", "state_dict_to_params"]
