"""The one exception type for errors a user can cause (bad files, bad config, bad uploads)."""


class SignbridgeError(Exception):
    """A problem with user input; the message names the file (or setting) and the fix."""


class LandmarkFileError(SignbridgeError):
    """A landmark parquet file that cannot be used."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def first_line(error: Exception) -> str:
    """An error's first non-empty line (runtime errors can run to many lines)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
