"""lms-hello: the smallest useful ASN LMS plugin, a template to copy (docs/plugins.md)."""
__version__ = "0.1.0"
