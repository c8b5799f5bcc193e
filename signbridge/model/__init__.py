"""Model: preprocessing layer, network, training, evaluation and TFLite export (TensorFlow)."""
