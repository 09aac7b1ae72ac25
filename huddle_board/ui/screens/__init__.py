"""The board's four screens, each a pane of the tab bar, and the forms they open."""
