"""The Gradio practice app and its background-service lifecycle."""
