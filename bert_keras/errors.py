"""The one error type the CLI turns into a single line and exit status 2."""


class UserInputError(Exception):
    """Bad input from the user: a path, a flag, a record. The message is one line
    that names the file, line or flag at fault; `bert-keras` prints it without a
    traceback and exits with status 2."""


class TrainingDiverged(Exception):
    """The loss became NaN or infinite and training stopped; `bert-keras` exits with status 1."""


class SearchFailed(Exception):
    """No trial of a tuning search succeeded; `bert-keras` exits with status 1."""
