"""Keras -> ONNX export of style models (imports TensorFlow: the train extra).

Only `humanizer export` and the trainer import this package; the runtime never does.
"""

import os

# TensorFlow 2.21 prints start-up notices on stderr at import, which would bury the one
# line a musician needs to read. Both settings must be made before TensorFlow is imported
# (a user's own values win). oneDNN's reordered arithmetic ("slightly different numerical
# results") buys nothing for an export, whose Keras run is only the parity reference.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
