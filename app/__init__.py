"""The Gradio practice app and the HTTP API, mounted on the ZenML deployment's server."""
