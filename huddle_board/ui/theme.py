"""The board's own Textual themes, chosen by the `theme` setting: "high-contrast" is pure black
with white text, a yellow bar and strong green, orange and red, for a wall display read from
three metres away. The board's styles use theme variables only, so every screen follows."""

from __future__ import annotations

from rich.terminal_theme import TerminalTheme
from textual.app import App
from textual.theme import Theme

# Contrast on black (WCAG ratio): white 21, primary 15.9, success 15.6, accent 13.7,
# warning 10.2, error 7.6; text on the coloured bars is black ("auto"), at least 7.6. The
# table cursor is navy, not yellow: the green, red and cyan text in a row stays readable on it
# (at least 5.8).
HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#FFE000",
    secondary="#00E5FF",
    accent="#00E5FF",
    warning="#FF9F1A",
    error="#FF6B6B",
    success="#3CFF3C",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1C1C1C",
    dark=True,
    variables={
        # full strength text, and muted text still bright enough to read from afar
        "text": "auto 100%",
        "text-muted": "auto 80%",
        "foreground-muted": "#D0D0D0",
        "footer-key-foreground": "#FFE000",
        "block-cursor-background": "#000080",
        "block-cursor-foreground": "#FFFFFF",
        "block-cursor-blurred-background": "#000080 70%",
        "block-cursor-blurred-foreground": "#FFFFFF",
        # grey scrollbars: a yellow one would look like one more bar to read
        "scrollbar": "#6E6E6E",
        "scrollbar-hover": "#9A9A9A",
        "scrollbar-active": "#FFE000",
        "scrollbar-background": "#1C1C1C",
    },
)

# Rich's named colours in the tables ("bold green" for met, "bold red" for missed, the cyan
# trend) as the high-contrast theme's own: Textual's default dark mapping has a red of 5.0 on
# black, 3.8 on the navy cursor.
HIGH_CONTRAST_ANSI = TerminalTheme(
    (0, 0, 0),
    (255, 255, 255),
    [
        (0, 0, 0),
        (255, 107, 107),
        (60, 255, 60),
        (255, 224, 0),
        (111, 168, 255),
        (255, 123, 255),
        (0, 229, 255),
        (230, 230, 230),
    ],
    [
        (127, 127, 127),
        (255, 138, 138),
        (124, 255, 124),
        (255, 241, 118),
        (138, 184, 255),
        (255, 155, 255),
        (108, 242, 255),
        (255, 255, 255),
    ],
)

BOARD_THEMES = (HIGH_CONTRAST,)


def use_theme(app: App[None], name: str) -> None:
    """Register the board's themes with `app` and switch to the theme `name` (one of
    `config.THEMES`, checked when the settings were read). Left alone when `name` is already
    the app's theme, so the default board starts exactly as before."""
    for theme in BOARD_THEMES:
        app.register_theme(theme)
    if app.theme == name:
        return
    if name == HIGH_CONTRAST.name:
        app.ansi_theme_dark = HIGH_CONTRAST_ANSI
    app.theme = name
