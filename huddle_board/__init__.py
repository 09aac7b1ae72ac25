"""huddle-board: a visual management board for a ward's huddles, box score and ideas."""

__version__ = "0.1.0"
