"""Data sets of human performances, read without TensorFlow.

The readers of ASAP, the Groove MIDI Dataset, POP909 and plain folders of MIDI files, their
deterministic splits, and the DAW-case pairs (a quantized input beside what was played).
Training (TensorFlow) and evaluation (onnxruntime) both read their data here, so this
package imports neither: it sits below them, and `humanizer eval` never loads TensorFlow.

- splits: the train/validation/test split of a piece or a file (a stable hash)
- asap, groove, folders: the performance files of each kind of data set folder
- catalog: which kind a folder is, and its performance files
- aligned: an ASAP score aligned to its performance; grid: a performance snapped to its grid
- performance: one performance ready for training, as played or as the DAW case
"""
