"""Command skills: external programs (coding CLIs and the like) run for a task, in a git
worktree of their own if asked, optionally inside a bubblewrap sandbox.

`skills.commands.settings` reads a `[skills.NAME]` table; `skills.commands.skill` is the
skill that runs it. Nothing is imported here, so that a process reading the settings (every
worker reads config.toml) loads the skill, its processes and worktrees only when one is
configured.
"""
