"""The admin menu's forms (behind the PIN, kiosk mode): the kiosk's own settings, and the
ward's set-up (its name, and how this PC is paired with the central store).

Both are forms like any other: checked before saving, saved in a worker, kept open with the
message when refused, and tagged with the initials of whoever changed them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static

from huddle_board.config import Settings, SettingsError
from huddle_board.db.commands import Author, InvalidInput, set_ward
from huddle_board.kiosk import (
    ADMIN_SETTINGS,
    StoredSetting,
    check_admin_settings,
    save_admin_settings,
    setting_text,
    stored_settings,
    with_admin_settings,
)
from huddle_board.model import Ward
from huddle_board.ui.screens.idea_forms import checked
from huddle_board.ui.widgets.forms import FormScreen, Save

if TYPE_CHECKING:
    from sqlite_utils import Database

ADMIN_FORMS_CSS = """
KioskSettingsForm .setting-row, WardSetupForm .setting-row {
    height: 3;
}
KioskSettingsForm .setting-label, WardSetupForm .setting-label {
    width: 52;
    padding-top: 1;
}
KioskSettingsForm .setting-row Input {
    width: 19;
}
KioskSettingsForm .setting-source {
    width: 1fr;
    padding-top: 1;
    color: $text-muted;
}
WardSetupForm .setting-row Input {
    width: 1fr;
}
#settings-fields {
    height: auto;
    max-height: 27;
}
.admin-note {
    height: auto;
    color: $text-muted;
    margin-top: 1;
}
"""


class KioskSettingsForm(FormScreen[Settings]):
    """The settings the ward may change on the kiosk (`kiosk.ADMIN_SETTINGS`), each shown
    with where its value comes from; dismissed with the settings in force after saving."""

    DEFAULT_CSS = ADMIN_FORMS_CSS
    SCOPED_CSS = False  # the selectors name the screen themselves
    TITLE_TEXT = "Kiosk settings"
    SAVE_LABEL = "Save settings"
    WHAT = "settings"

    def __init__(
        self, settings: Settings, file_settings: Settings, stored: dict[str, StoredSetting]
    ) -> None:
        """`settings`: in force now; `file_settings`: before this kiosk's own values (from
        the settings file, the environment and the command line); `stored`: those values."""
        super().__init__()
        self.settings = settings
        self.file_settings = file_settings
        self.stored = stored

    def fields(self) -> ComposeResult:
        with VerticalScroll(id="settings-fields"):
            for name, label in ADMIN_SETTINGS:
                with Horizontal(classes="setting-row"):
                    yield Label(label, classes="setting-label", markup=False)
                    yield Input(setting_text(self.settings, name), id=f"setting-{name}")
                    yield Static(self._source(name), classes="setting-source", markup=False)
        yield Static(
            "An empty value goes back to the settings file's. Values set here apply at once "
            "and over the settings file.",
            classes="admin-note",
            markup=False,
        )

    def _source(self, name: str) -> str:
        setting = self.stored.get(name)
        if setting is None:
            return "settings file or default"
        return f"set here by {setting.set_by}, {setting.set_at[:10]}"

    def changes(self) -> dict[str, str]:
        """What was changed on the form: name → the text typed ("" to go back to the file)."""
        changed: dict[str, str] = {}
        for name, _ in ADMIN_SETTINGS:
            typed = self.query_one(f"#setting-{name}", Input).value.strip()
            if typed != setting_text(self.settings, name):
                changed[name] = typed
        return changed

    def prepare(self) -> Save:
        changes = self.changes()
        try:
            check_admin_settings(changes)
        except SettingsError as refused:
            message = str(refused)
            raise InvalidInput("setting", f"{message[:1].upper()}{message[1:]}.") from refused
        base = self.file_settings

        def write(db: Database, author: Author) -> Settings:
            save_admin_settings(db.conn, changes, author.initials, author.clock)
            return with_admin_settings(base, stored_settings(db.conn))

        return write


class WardSetupForm(FormScreen[Ward]):
    """The ward's name (its code is fixed once the board has entries: the central store files
    them under it), and how this PC is paired with the central store."""

    DEFAULT_CSS = ADMIN_FORMS_CSS
    SCOPED_CSS = False  # the selectors name the screen themselves
    TITLE_TEXT = "Ward set-up"
    SAVE_LABEL = "Save"
    WHAT = "ward"

    def __init__(self, ward: Ward, settings: Settings) -> None:
        super().__init__()
        self.ward = ward
        self.settings = settings

    def fields(self) -> ComposeResult:
        with Horizontal(classes="setting-row"):
            yield Label("Ward code (fixed)", classes="setting-label", markup=False)
            yield Static(Content(self.ward.code), classes="setting-source", markup=False)
        with Horizontal(classes="setting-row"):
            yield Label("Ward name, as the header shows it", classes="setting-label")
            yield Input(self.ward.name, id="ward-name", max_length=80)
        yield Static(self._pairing(), id="ward-pairing", classes="admin-note", markup=False)

    def _pairing(self) -> str:
        settings = self.settings
        if not settings.sync_configured:
            return (
                "Not paired with a central store: this board keeps its entries on this PC only.\n"
                "To pair it, IT sets store_url and token_file in the settings file "
                "(kiosk/README.md, 'Pair with the central store')."
            )
        return (
            f"Paired with the central store at {settings.store_url}\n"
            f"Token file: {settings.token_file}. The Sync screen (5) shows how the last push went."
        )

    def prepare(self) -> Save:
        name = checked(self.query_one("#ward-name", Input).value, "ward name", required=True)
        code = self.ward.code

        def write(db: Database, author: Author) -> Ward:
            set_ward(db, code, name, author.clock)
            return Ward(code, name)

        return write
