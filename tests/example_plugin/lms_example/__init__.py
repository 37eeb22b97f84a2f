"""lms-example: implements every hook, for the core's tests."""
__version__ = "0.3"
