"""Training, calibrating and shipping style models (imports TensorFlow where it must).

Data sets are read through humanizer.datasets, which sits below this package.
"""
