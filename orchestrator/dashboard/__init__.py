"""The live board of every session (`swarm dashboard`): a small starlette app served by
uvicorn, with its page and scripts shipped in `static/`.

Nothing heavy is imported here, so that `orchestrator.cli` can load the settings without
the web stack.
"""
