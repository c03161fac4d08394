"""Manual class overrides (人工调整): an authorised official sets an object's class for a period."""
