"""The supervision-behaviour library (监管行为信息库): the national exchange record types."""
