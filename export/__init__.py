"""Keras -> ONNX export of style models (imports TensorFlow: the train extra)."""
