"""Subcommands of ``gorod utilities``, one module each (see the command's docstring)."""
