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


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (or its type name), for one-line error messages."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]


def first_sentence(exc: BaseException, limit: int = 160) -> str:
    """The first sentence of an exception's message, whole words only and without a parenthesis
    left open, for quoting a library's error inside one of ours."""
    text = first_line(exc, limit=10_000)
    sentence = text.split(". ")[0].rstrip(".")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + " …"
    if sentence.count("(") != sentence.count(")"):
        sentence = sentence.split("(")[0].rstrip()
    return sentence or type(exc).__name__
