"""The billing engine: what is due, how it is billed, written once.

No HTTP, no settings, no clock: the run context (``run.RunConfig``) is handed in."""
