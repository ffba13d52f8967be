"""`humanizer bench`: see humanizer.bench."""

from humanizer.bench import add_arguments, run  # noqa: F401
