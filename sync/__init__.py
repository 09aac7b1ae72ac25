"""Moving entries between the kiosk's outbox and the board's central store."""
