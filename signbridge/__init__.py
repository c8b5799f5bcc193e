"""signbridge: isolated American Sign Language recognition from MediaPipe Holistic landmarks.

This package holds all sign-language logic (landmark schema, loading, preprocessing, model,
export, inference, video extraction). It imports neither ZenML nor Gradio.
"""

from signbridge.errors import SignbridgeError

__all__ = ["SignbridgeError"]
