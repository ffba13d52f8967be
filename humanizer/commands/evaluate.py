"""`humanizer eval`: see humanizer.evaluation."""

from humanizer.evaluation import add_arguments, run  # noqa: F401
