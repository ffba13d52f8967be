"""docs/quality.md's feel section: put in its place, and a style without timing says so."""

from humanizer.training.feel_quality import HEADER, replace_section, row

PAGE = "# Quality\n\n| table |\n\n## Arrangements, per part\n\n| rows |\n"


def test_the_feel_section_goes_before_the_arrangements_and_replaces_itself():
    lines = ["## Feel per role: timing and note lengths beside the players", "", HEADER, "| a |"]
    once = replace_section(PAGE, lines)
    assert once.index("## Feel per role") < once.index("## Arrangements")
    again = replace_section(once, lines[:-1] + ["| b |"])
    assert "| a |" not in again and "| b |" in again
    assert again.count("## Feel per role") == 1 and again.endswith("| rows |\n")


def test_a_style_without_a_timing_head_plays_on_the_grid():
    line = row("pad", "pad", "asap", [])
    assert "no timing head: on the grid" in line
    assert line.count("|") == HEADER.count("|")
