"""`humanizer demo`."""

from humanizer.offline import add_demo_arguments as add_arguments  # noqa: F401
from humanizer.offline import demo as run  # noqa: F401
