"""The task engine: state machines per kind of joint work, defined as data."""
