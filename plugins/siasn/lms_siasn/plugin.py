"""The siasn plugin: contributes the "siasn" training-history exporter (CSV and JSON)."""
from lms.plugin import hookimpl

from lms_siasn import exporter

lms_api = "1.4"  # training_history_exporters


@hookimpl
def config_defaults():
    return {"SIASN_DATE_FORMAT": "%d-%m-%Y"}


@hookimpl
def training_history_exporters():
    return [exporter.exporter()]
