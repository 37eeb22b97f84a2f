"""SCORM 1.2 support: the manifest reader, the rules for web content in a package, the CMI
data model the server re-validates, and the conversion of a bare SCORM zip into a course.

Pure Python (no Flask): the package readers use it outside an application too. The lesson
type lives in ``lms.builtin.scorm``, the runtime state in ``lms.services.scorm``.
"""
