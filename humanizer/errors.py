"""The one exception type the command line turns into a one-line message."""


class HumanizerError(Exception):
    """Something the user can fix: a bad file, an unknown style, an invalid value.

    The message is meant for a musician, not a programmer: it says what is wrong and,
    where it helps, what to do about it. The CLI prints it on one line and exits non-zero.
    """
