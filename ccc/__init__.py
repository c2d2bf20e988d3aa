"""CCC: live captions for classrooms and events."""

__version__ = "0.1.0"
