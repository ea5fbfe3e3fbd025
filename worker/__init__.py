"""The worker process: `python -m worker --role R` claims and runs one role's tasks."""
