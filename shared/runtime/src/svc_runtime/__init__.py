"""Common runtime of the supervision platform's services (written once, used by all)."""
