"""The command line: ``options`` (choices and option declarations, once), ``runtime`` (process
set-up, one-line errors, exit codes), ``commands`` (one implementation of each command),
``app`` (the Typer app over the commands) and ``main`` (the console script: the Typer-free
fast path for ``eval|deriv FUNC [Z ...]``, else the app).

Importing this package imports nothing else: the fast path must not pay for Typer.
"""
