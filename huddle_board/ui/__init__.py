"""The Textual board: the app, its four screens (box score, ideas, huddle, actions), forms and
widgets. Only this package imports Textual."""
