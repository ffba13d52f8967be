"""`humanizer ctl`."""

from humanizer.daemon.cli import add_ctl_arguments as add_arguments  # noqa: F401
from humanizer.daemon.cli import ctl as run  # noqa: F401
