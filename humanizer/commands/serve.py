"""`humanizer serve`."""

from humanizer.daemon.cli import add_serve_arguments as add_arguments  # noqa: F401
from humanizer.daemon.cli import serve as run  # noqa: F401
