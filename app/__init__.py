"""Glassroom: a desktop digital audio workstation."""

__version__ = "0.1.0"
