"""The PySide6 front end."""
