"""Certificates as pure data: PDF rendering and signed credentials. No Flask imports here."""
