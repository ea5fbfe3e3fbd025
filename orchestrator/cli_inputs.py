"""What the command line takes, checked before any of it is used or anything is created.

A bad value is one line on stderr, `swarm: error: …`, and exit 2, never a traceback: the
same as a `SwarmError` raised by a command. Click's own usage errors (an unknown option,
a missing argument) are shown the same way.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

from orchestrator.config import ConfigError, SwarmConfig
from orchestrator.requests import is_utf8, shown, whole_number
from taskqueue import HUMAN_ROLE, printable

EXIT_USAGE = 2


class OneLineUsageError(click.ClickException):
    """A usage error as one line naming the option, the value and the reason."""

    exit_code = EXIT_USAGE

    def __init__(self, error: click.UsageError) -> None:
        hint = f" (see: {error.ctx.command_path} --help)" if error.ctx is not None else ""
        # printable(): a value with a line break or an escape stays on the one line.
        super().__init__(printable(error.format_message()) + hint)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"swarm: error: {self.format_message()}", file=file, err=file is None)


@contextlib.contextmanager
def one_line_usage_errors() -> Iterator[None]:
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # `swarm` alone prints its help
    except click.UsageError as exc:
        raise OneLineUsageError(exc) from exc


def read_standard_input() -> str:
    """Standard input as text, bytes that are not UTF-8 kept as lone surrogates: the
    text's own check then names them, where decoding with stdin's error handler (which
    depends on the locale and PYTHONIOENCODING) could end in a traceback."""
    return sys.stdin.buffer.read().decode("utf-8", "surrogateescape")


class SwarmCommand(click.Command):
    """A command that refuses arguments that are not UTF-8 before parsing them: such
    text cannot be stored, printed or written to a file, and used as a path it would
    create a workspace that no message can name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        refuse_undecodable(self, args, ctx)
        return super().parse_args(ctx, args)


class SwarmGroup(click.Group):
    """The `swarm` group: its commands check their arguments (`SwarmCommand`), and every
    usage error is one line."""

    command_class = SwarmCommand

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with one_line_usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_usage_errors():
            return super().invoke(ctx)


def refuse_undecodable(command: click.Command, args: Sequence[str], ctx: click.Context
                       ) -> None:
    """Raise a usage error naming the first argument that is not UTF-8, by its option or
    its metavar."""
    takes_value = {opt for param in command.params if isinstance(param, click.Option)
                   and not param.is_flag for opt in param.opts}
    positional = [param.human_readable_name for param in command.params
                  if isinstance(param, click.Argument)]
    for name, value in name_arguments(args, takes_value, positional):
        if not is_utf8(value):
            raise click.BadParameter(f"{shown(value)} is not UTF-8 text", ctx=ctx,
                                     param_hint=name)


def name_arguments(args: Sequence[str], takes_value: set[str], positional: list[str]
                   ) -> Iterator[tuple[str, str]]:
    """Each argument with the name of what it is given for: `--home`, `SESSION`, …"""
    option: str | None = None
    index = 0
    only_positional = False
    for arg in args:
        if option is not None:
            yield option, arg
            option = None
        elif only_positional or not arg.startswith("-") or arg == "-":
            yield (positional[index] if index < len(positional) else "an argument"), arg
            index += 1
        elif arg == "--":
            only_positional = True
        else:
            name, equals, value = arg.partition("=")
            yield "an option", name
            if equals:
                yield name, value
            elif arg in takes_value:
                option = arg


class Seconds(click.ParamType[float]):
    """A number of seconds greater than 0 and finite: `nan` and `inf` are refused (a
    comparison with nan is always false, so a range check alone lets it through)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or seconds <= 0:
            self.fail(f"{value!r}: give a number of seconds greater than 0 (not nan or inf)",
                      param, ctx)
        return seconds


class MessageId(click.ParamType[int]):
    """A message id (`watch --after N`): 0 to MAX_ID."""

    name = "N"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        try:
            return whole_number(str(value), "N", "a message id")
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def apply_workers(config: SwarmConfig, values: tuple[str, ...]) -> tuple[SwarmConfig,
                                                                         dict[str, int]]:
    """`config` with each `--workers ROLE=N` applied, checked as config.toml's `[roles]`
    are (the same model): the counts given, and the config they make."""
    counts: dict[str, int] = {}
    for value in values:
        role, sep, number = value.partition("=")
        role, number = role.strip(), number.strip()
        if not sep or not role or not (number.isascii() and number.isdigit()):
            raise click.BadParameter(f"{shown(value)}: expected ROLE=N, e.g. researcher=3",
                                     param_hint="--workers")
        if role == HUMAN_ROLE:
            raise click.BadParameter(f"{shown(value)}: role {HUMAN_ROLE!r} has no workers; "
                                     'its tasks are answered with: swarm answer TASK "text"',
                                     param_hint="--workers")
        try:
            # The digits go to the model as text: it refuses a huge number as out of range.
            config = config.with_worker_counts({role: number})
        except ConfigError as exc:
            raise click.BadParameter(f"{shown(value)}: {exc}", param_hint="--workers") from exc
        counts[role] = config.roles[role].workers
    return config, counts
