"""The repository's coverage.py configuration, read as coverage.py reads it, from safe copies.

coverage.py's own reader does the reading (`coverage.config.config_files_to_try` and
`CoverageConfig.from_file`), one file at a time, so that whatever it cannot read is one error
naming the file and the setting. The files come from the pull request: they are copied out of
the workspace through its safe reader first, checked for shapes coverage.py's reader trips on
(a TOML `run = 5` where a table belongs), and the values that coverage.py accepts when reading
but fails on while reporting (`[report] include = [z-a]`, an empty `[paths]` entry, a `[paths]`
pattern that is no glob) are checked here and named.

Called by `covaction.edges.coverage_data` with the environment already reduced to harmless
variables (coverage.py expands `$VARS` in its settings).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaction.edges.workspace import MiB, Workspace
from covaction.errors import CovactionError, InputError, ReportError
from covaction.model import MAX_PRECISION

# coverage.py's default lookup (config.config_files_to_try), in its order.
CONFIG_FILES = (".coveragerc", ".coveragerc.toml", "setup.cfg", "tox.ini", "pyproject.toml")
CONFIG_CAP = 4 * MiB


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split())[:300]


def _rename(text: str, old: str, new: str) -> str:
    """`old` replaced by `new` where it stands as a whole file name, not inside another word."""
    if old == new:
        return text
    return re.sub(rf"(?<![\w./-]){re.escape(old)}(?![\w.-])", lambda _m: new, text)


def _reason(exc: BaseException) -> str:
    """An error's text; a regex error's position is in coverage.py's translation, not the
    pattern the user wrote, so it is left out."""
    return re.sub(r" at position \d+", "", _one_line(exc))


@dataclass(frozen=True)
class Config:
    """The repository's coverage.py configuration as coverage.py reads it, and where it came from.

    `copies` maps each copied file's name in the scratch folder to its workspace path; `label`
    is the workspace path of the file coverage.py took its settings from ("" when none).
    """

    folder: Path
    specified: str  # the copy's name of a file named by `coverage-config`, "" for the lookup
    copies: dict[str, str]
    settings: Any  # coverage.config.CoverageConfig
    label: str
    our_file: bool

    def relabel(self, text: str) -> str:
        """coverage.py's text with the scratch copies named by their workspace paths."""
        text = text.replace(str(self.folder) + os.sep, "")
        if self.specified:
            text = _rename(text, self.specified, self.copies[self.specified])
        return text

    def _parser(self) -> Any:
        """coverage.py's parser over the file the settings came from, or None."""
        from coverage.config import HandyConfigParser
        from coverage.tomlconfig import TomlConfigParser

        name = next((k for k, v in self.copies.items() if v == self.label), "")
        if not name:
            return None
        parser: Any = (
            TomlConfigParser(self.our_file)
            if name.endswith(".toml")
            else HandyConfigParser(self.our_file)
        )
        try:
            parser.read(str(self.folder / name))
        except Exception:
            return None
        return parser

    def setting(self, section: str, option: str = "") -> str:
        """`FILE: [real section] option`, the section spelled as the file spells it."""
        real = section
        parser = self._parser()
        if parser is not None:
            with contextlib.suppress(Exception):
                real = parser.real_section(section) or section
        where = f"[{real}]" + (f" {option}" if option else "")
        return f"{self.label or 'coverage.py configuration'}: {where}"

    def sets(self, section: str, option: str) -> bool:
        """The file the settings came from sets `[section] option` (not a default)."""
        parser = self._parser()
        try:
            return parser is not None and bool(parser.has_option(section, option))
        except Exception:
            return False


def precision(config: Config) -> tuple[int | None, str]:
    """(`[report] precision` when the repository sets it, else None; a note when it is set to
    something covaction cannot show).

    coverage.py's default is 0 decimals, covaction's 2: only a value the repository chose
    replaces covaction's. A value coverage.py could not print with (negative), or more digits
    than anyone reads, is named in the note and two decimals are shown.
    """
    if not config.sets("report", "precision"):
        return None, ""
    digits = config.settings.precision
    if isinstance(digits, int) and 0 <= digits <= MAX_PRECISION:
        return digits, ""
    return None, (
        f"{config.setting('report', 'precision')} is {str(digits)[:40]!r}, not a number of "
        f"decimals from 0 to {MAX_PRECISION}: percentages are shown with two"
    )


def copy_config(ws: Workspace, dest: Path, named: str) -> tuple[str, dict[str, str]]:
    """The configuration files coverage.py would look at, copied through the safe reader.

    With `named` (the `coverage-config` input) only that file, as `--cov-config`/`--rcfile`
    make coverage.py read only the file they name; else the default lookup's files.
    """
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if named:
        try:
            data = ws.read(named, "coverage-config", CONFIG_CAP)
        except CovactionError as exc:
            raise InputError(exc.message) from None
        base = os.path.basename(named.rstrip("/"))
        (dest / base).write_bytes(data)
        return base, {base: named}
    copies = {}
    for name in CONFIG_FILES:
        if os.path.lexists(ws.root / name):
            (dest / name).write_bytes(ws.read(name, "coverage.py configuration", CONFIG_CAP))
            copies[name] = name
    return "", copies


# Sections coverage.py looks up in a TOML file (CoverageConfig.CONFIG_FILE_OPTIONS and [paths]).
_SECTIONS = ("run", "report", "paths", "html", "xml", "json", "lcov")


def _check_toml_shape(path: Path, label: str, our_file: bool) -> None:
    """Every table coverage.py walks to in a TOML file is a table.

    coverage.py's TOML reader indexes `tool` -> `coverage` -> `run` and expects tables: `run = 5`
    or `tool = 5` ends in a TypeError inside it, so the shape is checked first and named.
    """
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return  # coverage.py's own reader reports these, naming the file
    prefixes = [("tool", "coverage")] + ([()] if our_file else [])
    sections: list[tuple[str, ...]] = [(s,) for s in _SECTIONS]
    for prefix in prefixes:
        run = _walk(doc, (*prefix, "run"))
        plugins = run.get("plugins") if isinstance(run, dict) else None
        if isinstance(plugins, list):
            sections += [tuple(p.split(".")) for p in plugins if isinstance(p, str)]
        for section in sections:
            node: Any = doc
            for depth, part in enumerate((*prefix, *section)):
                if not isinstance(node, dict) or part not in node:
                    break
                node = node[part]
                if not isinstance(node, dict):
                    name = ".".join((*prefix, *section)[: depth + 1])
                    parent, _, key = name.rpartition(".")
                    where = f"[{parent}] {key}" if parent else key
                    raise ReportError(
                        f"{label}: {where} = {_toml_value(node)} where coverage.py expects the "
                        f"table [{name}]"
                    )


def _walk(doc: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


_KINDS = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list"}


def _toml_value(value: Any) -> str:
    text = _one_line(repr(value))[:40]
    return f"{text} ({_KINDS.get(type(value), 'a ' + type(value).__name__)})"


def read_config(folder: Path, specified: str, copies: dict[str, str]) -> Config:
    """coverage.py's own lookup (config_files_to_try, CoverageConfig.from_file), one file at a
    time so that an error names the file it comes from; called with the cwd in `folder`."""
    from coverage.config import CoverageConfig, config_files_to_try

    config = CoverageConfig()
    label, our = "", False
    for fname, our_file, was_specified in config_files_to_try(specified or True):
        shown = copies.get(fname, fname)
        if not os.path.isfile(fname):
            if was_specified:
                raise InputError(f"coverage-config: {shown} cannot be read")
            continue
        if fname.endswith(".toml"):
            _check_toml_shape(folder / fname, shown, our_file)
        try:
            used = config.from_file(fname, lambda _msg: None, our_file=our_file)
        except CovactionError:
            raise
        except RecursionError:
            raise ReportError(f"{shown}: the configuration nests too deeply to be read") from None
        except Exception as exc:  # coverage.py's reader on hostile text: any failure is one line
            message = _rename(_config_message(exc, fname, our_file), fname, shown)
            raise ReportError(f"{shown}: {message}") from None
        if used:
            label, our = shown, our_file
            break
    draft = Config(folder, specified, copies, config, label, our)
    try:
        config.post_process()
    except Exception as exc:
        raise ReportError(f"{draft.setting('run', 'concurrency')}: {_one_line(exc)}") from None
    return draft


def _config_message(exc: Exception, fname: str, our_file: bool) -> str:
    """coverage.py's reason, after the setting it concerns when one can be named."""
    from coverage.exceptions import CoverageException

    text = str(exc)
    for prefix in (f"Couldn't read config file {fname}: ", f"Couldn't read {fname!r}: "):
        text = text.removeprefix(prefix)
    if not isinstance(exc, CoverageException | ValueError):
        text = f"coverage.py cannot read it ({exc.__class__.__name__}: {text})"
    setting = _failing_setting(fname, our_file)
    if setting and not text.startswith(("Option [", "Invalid [")):
        text = f"{setting}: {text}"
    return _one_line(text)


def _failing_setting(fname: str, our_file: bool) -> str:
    """The first setting coverage.py's parser cannot read in `fname`, as `[section] option`.

    The same reads as CoverageConfig.from_file, one setting at a time through the parser's public
    getters, only to name what failed ("" when no single setting fails).
    """
    from coverage.config import CoverageConfig, HandyConfigParser
    from coverage.tomlconfig import TomlConfigParser

    parser: Any = (
        TomlConfigParser(our_file) if fname.endswith(".toml") else HandyConfigParser(our_file)
    )
    try:
        parser.read(fname)
    except Exception:
        return ""
    wanted = [
        (spec[1].partition(":")[0], spec[1].partition(":")[2], spec[2] if len(spec) > 2 else "")
        for spec in CoverageConfig.CONFIG_FILE_OPTIONS
    ]
    with contextlib.suppress(Exception):
        if parser.has_section("paths"):
            wanted += [("paths", option, "list") for option in parser.options("paths")]
    for section, option, kind in wanted:
        try:
            if parser.has_option(section, option):
                getattr(parser, f"get{kind}")(section, option)
        except Exception:
            real = section
            with contextlib.suppress(Exception):
                real = parser.real_section(section) or section
            return f"[{real}] {option}"
    return ""


def check_settings(config: Config) -> None:
    """Values coverage.py accepts when reading but fails on while reporting, named up front."""
    from coverage.files import globs_to_regex

    settings = config.settings
    for attr, section, option in (
        ("report_include", "report", "include"),
        ("report_omit", "report", "omit"),
    ):
        for pattern in getattr(settings, attr) or ():
            try:
                globs_to_regex([pattern])
            except Exception as exc:
                raise ReportError(
                    f"{config.setting(section, option)}: {_one_line(repr(pattern))[:100]} is not "
                    f"a valid file pattern ({_reason(exc)})"
                ) from None


def path_aliases(config: Config) -> Any:
    """The repository's `[paths]` as coverage.py's PathAliases; a bad entry is one error."""
    from coverage.files import PathAliases

    aliases = PathAliases(relative=config.settings.relative_files)
    for name, values in config.settings.paths.items():
        where = config.setting("paths", name)
        if not values:
            raise ReportError(
                f"{where} is empty; list the path to report files under first, then the paths "
                "to map onto it"
            )
        for pattern in values[1:]:
            try:
                aliases.add(pattern, values[0])
            except Exception as exc:
                raise ReportError(
                    f"{where}: {_one_line(repr(pattern))[:100]} is not a valid path pattern "
                    f"({_reason(exc)})"
                ) from None
    return aliases
