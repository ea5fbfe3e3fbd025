"""What the built-in skills share, and the orchestrator uses too: the findings format,
reading findings back by sub-question, turning passages into cited statements, the
prompts and asking the model, and the plan as `plan.md` shows it."""
