"""The errors the CLI turns into a single line: bad input exits 2, the others 1."""


class BertKerasError(ValueError):
    """What bert-keras refuses: the message is one line naming the argument, file or line
    at fault and the value received."""


class UserInputError(BertKerasError):
    """Bad input from the user: a path, a flag, a record. The message is one line
    that names the file, line or flag at fault; `bert-keras` prints it without a
    traceback and exits with status 2."""


class TrainingDiverged(Exception):
    """The loss became NaN or infinite and training stopped; `bert-keras` exits with status 1."""


class SearchFailed(Exception):
    """No trial of a tuning search succeeded; `bert-keras` exits with status 1."""


class SelfCheckFailed(Exception):
    """bert-keras checked its own work and found a disagreement (an export that does
    not reproduce the model, an encoder whose trainable variables are not the ones
    the freeze specification says). Not the user's input: `bert-keras` exits with 1."""


def first_line(error: BaseException, limit: int = 200) -> str:
    """An exception's message cut to its first line (at most `limit` characters): what a
    one-line refusal quotes of a library's many-line error."""
    return (str(error).strip().splitlines() or [""])[0][:limit]
