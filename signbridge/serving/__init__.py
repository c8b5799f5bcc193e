"""Serving: the exported model package, the TFLite runtime, video to landmarks, recognition.

Nothing here imports TensorFlow, so the app and `predict` start quickly.
"""
