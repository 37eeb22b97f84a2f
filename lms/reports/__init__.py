"""Report output without third-party libraries: inline SVG charts and XLSX workbooks.

Pure functions only (no database, no request): the services compute the numbers, these
modules draw or package them, so they are easy to test and reuse from the CLI.
"""
