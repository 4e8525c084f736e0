"""The library's words for its arguments, as the command line's flags.

Below the command line, bert-keras names an argument as Python does: `name=value` for an
argument and the value received, the name in backquotes for the argument alone. The
command line prints the same sentence with the flag that sets it (`--name value`,
`--name`): one message, in each audience's vocabulary.

>>> options = {"train_last": "--train-last", "freeze_first": "--freeze-first"}
>>> as_flags("train_last=7: the encoder has 6 blocks", options)
'--train-last 7: the encoder has 6 blocks'
>>> as_flags("`train_last` and `freeze_first` contradict each other", options)
'--train-last and --freeze-first contradict each other'
"""

import argparse
import re
import shlex


def long_options(parser: argparse.ArgumentParser, command: str | None = None) -> dict[str, str]:
    """{an argument's Python name: how the command line writes it} for every option of
    `parser` and of its commands (`--out`), and every positional (`RUN_DIR`). An option
    that sets another Python name (`--model` sets `model_dir`) is found by both; `command`'s
    own options win where two commands give one name two flags."""
    options = {}
    for action in parser._actions:  # argparse keeps no public list of its options
        if isinstance(action, argparse._SubParsersAction):
            chosen = [action.choices[command]] if command in action.choices else []
            for each in [*action.choices.values(), *chosen]:
                options.update(long_options(each))
        elif not action.option_strings and action.dest.isidentifier():
            options[action.dest] = action.metavar or action.dest
        for flag in action.option_strings:
            if flag.startswith("--"):
                options[flag[2:].replace("-", "_")] = flag
                options.setdefault(action.dest, flag)
    return options


def as_flags(message: str, options: dict[str, str]) -> str:
    """`message` with each argument the library names written as the flag that sets it."""
    names = "|".join(sorted(map(re.escape, options), key=len, reverse=True))
    message = re.sub(rf"`({names})`", lambda match: options[match[1]], message)
    return re.sub(rf"(?<![\w./`-])({names})=", lambda match: f"{options[match[1]]} ", message)


def command_line(command: str, settings: dict, options: dict[str, str]) -> str:
    """`bert-keras COMMAND` with `settings` (config.json's names; `freeze` holds the freezing's
    own) as its flags: a switch alone, a list joined by commas, or its flag repeated where the
    flag takes one item (`text_columns`: `--text-column`), every value quoted for a shell.

    >>> options = {"data": "--data", "train_last": "--train-last",
    ...            "text_column": "--text-column", "text_columns": "--text-column"}
    >>> command_line("train", {"data": "my reviews.csv", "freeze": {"train_last": 2},
    ...                        "text_columns": ["title", "body"]}, options)
    "bert-keras train --data 'my reviews.csv' --train-last 2 --text-column title --text-column body"
    """
    words = ["bert-keras", command]
    flat = []
    for name, value in settings.items():  # the freezing's settings where `freeze` stands
        flat += value.items() if name == "freeze" else [(name, value)]
    for name, value in flat:
        if value is True:
            words.append(options[name])
        elif isinstance(value, (list, tuple)) and name[:-1] in options:
            for item in value:  # a repeatable flag: its name is the setting's singular
                words += [options[name[:-1]], shlex.quote(str(item))]
        elif isinstance(value, (list, tuple)):
            words += [options[name], shlex.quote(",".join(map(str, value)))]
        elif value is not None and value is not False:
            words += [options[name], shlex.quote(str(value))]
    return " ".join(words)
