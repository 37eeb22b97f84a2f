"""The lms-course/1 package format: manifest parsing and readers. No Flask imports here."""
