"""Tutor: example clips, readable sign names, feedback against reference performances."""
