"""What a certificate says, frozen at issue: the input of every renderer and signer."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on, or signed into, a certificate."""

    #: Human-readable certificate number, e.g. "SMG-2026-000042".
    number: str
    #: Unguessable verification code (>= 128 bits, URL-safe); the QR code points at verify_url.
    code: str
    verify_url: str
    holder_name: str
    #: 18-digit NIP, or "" for holders who are not ASN.
    holder_nip: str
    course_title: str
    course_version: int
    #: Jam pelajaran credited.
    jp: int
    #: "teknis", "manajerial" or "sosial-kultural".
    competency: str
    #: The same kind, as words in the certificate's language ("Teknis").
    competency_label: str
    issued_on: dt.date
    #: Completion date of the course.
    completed_on: dt.date
    issuer_name: str
    issuer_city: str
    signer_name: str
    signer_title: str
    #: Language of the printed texts: "id" or "en".
    language: str = "id"
