"""ember.nn: Module, Parameter, layers, losses, functional, init, utils (torch.nn's layout)."""
from .parameter import Parameter, Buffer, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict  # noqa: F401
from .modules.module import register_module_forward_hook, register_module_forward_pre_hook  # noqa: F401
from . import functional, init, utils  # noqa: F401
from . import modules  # noqa: F401
from .modules import (MultiheadAttention, Transformer, TransformerEncoder, TransformerDecoder,  # noqa: F401
                      TransformerEncoderLayer, TransformerDecoderLayer)
from .modules import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,  # noqa: F401
                      InstanceNorm3d, LocalResponseNorm, LayerNorm, GroupNorm, RMSNorm, RNNBase, RNN, LSTM, GRU,
                      RNNCellBase, RNNCell, LSTMCell, GRUCell)
from .modules import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,  # noqa: F401
                      MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
                      AdaptiveMaxPool1d, AdaptiveMaxPool2d, MaxUnpool2d, MaxPool3d, AvgPool3d,
                      AdaptiveAvgPool3d, AdaptiveMaxPool3d, MaxUnpool3d, PixelShuffle, PixelUnshuffle, Upsample,
                      UpsamplingNearest2d, UpsamplingBilinear2d, Fold, Unfold)
