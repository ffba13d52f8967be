"""`humanizer humanize`."""

from humanizer.offline import add_arguments, run  # noqa: F401
