"""The questions of `bench_answers.py` and their key places, chosen by reading the corpora.

A key place is a file and a function, method or class (its qualified name), or a file
and a range of lines (a section of a document), or a file alone. A citation hits it when
it names the file and its lines overlap the place's lines. The places were chosen by
reading the corpora with an editor and grep before swarm was run on any question.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CORPORA", "QUESTIONS", "Corpus", "KeyPlace", "Question"]


@dataclass(frozen=True)
class KeyPlace:
    path: str
    symbol: str | None = None
    lines: tuple[int, int] | None = None


@dataclass(frozen=True)
class Corpus:
    """`source` is a package in the venv's site-packages (`site:NAME`), the standard
    library copied without its tests (`stdlib`), or a directory."""

    name: str
    source: str


@dataclass(frozen=True)
class Question:
    corpus: str
    text: str
    places: tuple[KeyPlace, ...]


CORPORA = (
    Corpus("click", "site:click"),
    Corpus("starlette", "site:starlette"),
    Corpus("httpx2", "site:httpx2"),
    Corpus("pip-docs", "/usr/share/doc/python3-pip/html"),
    Corpus("stdlib", "stdlib"),
)

QUESTIONS = (
    Question("click", "How does click decide the width of the help text?", (
        KeyPlace("formatting.py", "HelpFormatter.__init__"),)),
    Question("click", "How does click prompt for a password without echoing the input?", (
        KeyPlace("termui.py", "prompt"), KeyPlace("termui.py", "hidden_prompt_func"))),
    Question("click", "How does a lazy file open only when it is first written?", (
        KeyPlace("utils.py", "_LazyFile"), KeyPlace("utils.py", "_LazyFile.open"),
        KeyPlace("utils.py", "_LazyFile.__getattr__"))),
    Question("click", "How are option values read from environment variables with "
                      "auto_envvar_prefix?", (
        KeyPlace("core.py", "Option.resolve_envvar_value"),
        KeyPlace("core.py", "Parameter.resolve_envvar_value"),
        KeyPlace("core.py", "Context.__init__"))),
    Question("click", "How does CliRunner capture the output of a command in tests?", (
        KeyPlace("testing.py", "CliRunner.isolation"), KeyPlace("testing.py", "CliRunner.invoke"))),
    Question("starlette", "How does the CORS middleware answer a preflight request?", (
        KeyPlace("middleware/cors.py", "CORSMiddleware.preflight_response"),)),
    Question("starlette", "When do background tasks run relative to sending the response?", (
        KeyPlace("responses.py", "Response.__call__"),
        KeyPlace("background.py", "BackgroundTasks.__call__"),
        KeyPlace("background.py", "BackgroundTask.__call__"))),
    Question("starlette", "How does StaticFiles stop a path from escaping its directory?", (
        KeyPlace("staticfiles.py", "StaticFiles.lookup_path"),)),
    Question("starlette", "How does the router compile a path with parameters such as "
                          "{id:int}?", (
        KeyPlace("routing.py", "compile_path"), KeyPlace("convertors.py", "IntegerConvertor"))),
    Question("starlette", "How is the session cookie signed and checked?", (
        KeyPlace("middleware/sessions.py", "SessionMiddleware.__call__"),
        KeyPlace("middleware/sessions.py", "SessionMiddleware.__init__"))),
    Question("httpx2", "Which method does a redirect use after a 303 response?", (
        KeyPlace("_client.py", "BaseClient._redirect_method"),)),
    Question("httpx2", "How are connect, read, write and pool timeouts configured?", (
        KeyPlace("_config.py", "Timeout"), KeyPlace("_config.py", "Timeout.__init__"))),
    Question("httpx2", "How does the client pick up proxies from environment variables?", (
        KeyPlace("_utils.py", "get_environment_proxies"),
        KeyPlace("_client.py", "BaseClient._get_proxy_map"))),
    Question("httpx2", "How does digest authentication build its Authorization header?", (
        KeyPlace("_auth.py", "DigestAuth._build_auth_header"),)),
    Question("pip-docs", "How do I make installs repeatable with hash checking?", (
        KeyPlace("topics/repeatable-installs.md", lines=(34, 59)),)),
    Question("pip-docs", "How does pip authenticate to an index with netrc or keyring?", (
        KeyPlace("topics/authentication.md", lines=(37, 95)),)),
    Question("pip-docs", "How do I make pip trust a custom certificate authority bundle?", (
        KeyPlace("topics/https-certificates.md", lines=(3, 48)),)),
    Question("pip-docs", "What is the difference between the eager and only-if-needed "
                         "upgrade strategies?", (
        KeyPlace("development/architecture/upgrade-options.rst", lines=(15, 68)),)),
    Question("pip-docs", "How should special characters in a password inside an index URL "
                         "be encoded?", (
        KeyPlace("topics/authentication.md", lines=(19, 36)),)),
    Question("stdlib", "How does a StreamReader handle backpressure?", (
        KeyPlace("asyncio/streams.py", "StreamReader.feed_data"),
        KeyPlace("asyncio/streams.py", "StreamReader._maybe_resume_transport"),
        KeyPlace("asyncio/streams.py", "FlowControlMixin"),
        KeyPlace("asyncio/streams.py", "FlowControlMixin._drain_helper"))),
    Question("stdlib", "How does the logging module make handlers thread-safe?", (
        KeyPlace("logging/__init__.py", "Handler.createLock"),
        KeyPlace("logging/__init__.py", "Handler.acquire"),
        KeyPlace("logging/__init__.py", "Handler.handle"))),
    Question("stdlib", "How does subprocess communicate avoid a deadlock when both stdout "
                       "and stderr are pipes?", (
        KeyPlace("subprocess.py", "Popen.communicate"),
        KeyPlace("subprocess.py", "Popen._communicate"))),
    Question("stdlib", "How does shutil.copytree treat symbolic links?", (
        KeyPlace("shutil.py", "_copytree"), KeyPlace("shutil.py", "copytree"))),
    Question("stdlib", "How does the json encoder write NaN and infinity floats?", (
        KeyPlace("json/encoder.py", "JSONEncoder.iterencode"),)),
)
