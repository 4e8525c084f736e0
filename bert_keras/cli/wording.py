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


def long_options(parser: argparse.ArgumentParser) -> dict[str, str]:
    """{an argument's Python name: how the command line writes it} for every option of
    `parser` and of its commands (`--out`), and every positional (`RUN_DIR`)."""
    options = {}
    for action in parser._actions:  # argparse keeps no public list of its options
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                options.update(long_options(command))
        elif not action.option_strings and action.dest.isidentifier():
            options[action.dest] = action.metavar or action.dest
        for flag in action.option_strings:
            if flag.startswith("--"):
                options[flag[2:].replace("-", "_")] = flag
    return options


def as_flags(message: str, options: dict[str, str]) -> str:
    """`message` with each argument the library names written as the flag that sets it."""
    names = "|".join(sorted(map(re.escape, options), key=len, reverse=True))
    message = re.sub(rf"`({names})`", lambda match: options[match[1]], message)
    return re.sub(rf"(?<![\w./`-])({names})=", lambda match: f"{options[match[1]]} ", message)
