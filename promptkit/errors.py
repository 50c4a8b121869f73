"""Errors promptkit raises on purpose: each message names the problem and the fix in one line."""


class PromptkitError(Exception):
    """Base class; the CLI prints the message and exits with status 1."""


class InputError(PromptkitError, ValueError):
    """A prompt, file or setting the user passed is unusable."""


class ModelLoadError(PromptkitError):
    """A prompt model could not be loaded from a folder, the embedded data or the hub."""


class DatasetError(PromptkitError):
    """A prompt dataset could not be read."""


class MissingDependencyError(PromptkitError, ImportError):
    """An optional heavy dependency is not installed."""


class SearchIndexError(PromptkitError):
    """A prompt index is missing, corrupted, or does not match the embedder asked for."""
