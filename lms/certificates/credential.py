"""Signed digital credentials: a certificate as an Open Badges 3.0 Verifiable Credential.

Each certificate can be downloaded as an ``OpenBadgeCredential`` (Open Badges 3.0 on the
W3C Verifiable Credentials Data Model 2.0), secured with an embedded W3C Data Integrity
proof using the ``eddsa-jcs-2022`` cryptosuite (Ed25519 over SHA-256 hashes of the JSON
Canonicalization Scheme, RFC 8785, serialization). The signing key is the instance key;
its public half is published as a ``did:key``. Pure Python, no Flask.

Usage::

    key = key_from_pem(os.environ["LMS_CREDENTIAL_KEY"])   # or load_or_create_key(path) in dev
    vc = sign(build_credential(data, issuer_id=issuer_did(key.public_key())), key)
    result = verify(request_body, trusted_keys=[key.public_key(), *old_public_keys])
    if result.valid and not is_revoked(result.code): ...

``verify`` never raises: anything it cannot accept yields ``Verification(False, reason, code)``.
It does not know about revocation; it returns the certificate code (the last path segment
of the credential ``id``, which is the certificate's verify URL) so the caller can look the
certificate up and check its status.

Choices and deviations from the standards (deliberate, keep them in sync with the code):

* Dates. ``validFrom`` is 00:00 Asia/Jakarta (UTC+7, no daylight saving) of ``issued_on``,
  converted to UTC with a ``Z`` suffix, so 2026-03-14 becomes ``2026-03-13T17:00:00Z``: the
  exact instant the issuing day began where the LMS operates. ``activityEndDate`` is
  ``completed_on`` converted the same way. The proof's ``created`` is ``validFrom`` (not the
  signing time), which makes signing deterministic: Ed25519 is deterministic, so the same
  certificate always yields the same bytes however often it is downloaded.
* Holder. OB3 identifies the recipient through ``credentialSubject.identifier``
  (``IdentityObject``). The holder's name is an identifier with ``identityType`` ``"name"``;
  the NIP, when there is one, one with ``identityType`` ``"identifier"`` (OB3 has no type for
  an Indonesian civil-servant number; ``nationalIdentityNumber`` would mean the NIK). Both
  are in plain text (``hashed: false``): the credential is meant to be shown to whoever
  verifies it, like the printed certificate. There is no ``credentialSubject.id`` (holders
  have no DID).
* Achievement. The achievement is per certificate (``id`` = verify URL + ``#achievement``)
  because the certificate data carries no stable public course URL.
* Extensions. Facts OB3 has no property for are top-level or achievement properties with
  an ``lms:`` prefix (``lms:certificateNumber``, ``lms:signer``, ``lms:jp``,
  ``lms:competency``). No JSON-LD context is published for them: to a JSON-LD processor
  they are absolute IRIs with the (unregistered) scheme ``lms:``. OB3 asks extensions to
  bring their own context and JSON schema; that was left out as the proof (JCS) does not
  depend on JSON-LD processing at all.
* Issuer. ``issuer.id`` is whatever the caller passes; ``issuer_did(public_key)`` is the
  recommended value, as then any generic Data Integrity verifier can tie the proof to the
  issuer. When ``issuer.id`` is a ``did:key``, ``verify`` requires it to be the signing key.
* Proof. One proof (no proof sets or chains). ``verificationMethod`` must be a ``did:key``
  (``did:key:z6Mk...#z6Mk...``) whose key is in ``trusted_keys``; other methods are not
  resolved. ``expires``, ``domain``, ``challenge`` and ``nonce`` are neither produced nor
  checked. The JCS implementation treats numbers as IEEE doubles, as RFC 8785 requires
  (an integer beyond 2**53 is serialized as the nearest double), and refuses lone
  surrogates, NaN/infinity, non-string keys and nesting deeper than 100 levels; duplicate
  keys are refused when parsing a presented credential. Presented credentials over 1 MB are
  refused unparsed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import pathlib
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms.certificates.data import CertificateData

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"

#: Presented credentials larger than this (bytes of JSON) are refused unparsed.
MAX_DOCUMENT_BYTES = 1_000_000
#: Deepest nesting canonicalize() accepts (our credentials use 5).
MAX_DEPTH = 100

#: Asia/Jakarta (WIB) is UTC+7 all year and has been since 1964.
JAKARTA = dt.timezone(dt.timedelta(hours=7), "WIB")

_ED25519_PUB_MULTICODEC = b"\xed\x01"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
# Base58 of 64 bytes is at most 88 characters, of 34 bytes at most 47: generous bounds that
# keep the quadratic big-integer decoding cheap on hostile input.
_MAX_B58_CHARS = 128
_SAFE_INTEGER = 2**53 - 1
# XML Schema dateTimeStamp: a dateTime with a mandatory time zone.
_DATETIME_STAMP = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z", re.ASCII
)
# Certificate codes are URL-safe (see CertificateData.code).
_CODE = re.compile(r"[A-Za-z0-9_-]{1,200}\Z", re.ASCII)


# --- JSON Canonicalization Scheme (RFC 8785) -----------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _jcs_string(s: str) -> str:
    # ECMAScript JSON.stringify: escape '"', '\\' and the C0 controls, nothing else.
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _jcs_number(value: int | float) -> str:
    if isinstance(value, int):
        if abs(value) <= _SAFE_INTEGER:
            return str(value)
        # JSON numbers are IEEE doubles to JCS: a big integer means the nearest double, as
        # for any ECMAScript implementation that parsed the same JSON text.
        try:
            value = float(value)
        except OverflowError:
            raise ValueError("number out of the double range") from None
    if not math.isfinite(value):
        raise ValueError("NaN and infinity are not JSON")
    if value == 0:
        return "0"  # also -0
    # repr() gives the shortest round-tripping digits, as ECMAScript Number::toString does;
    # only the layout differs (ECMA-262, Number::toString, steps 5-10).
    sign = "-" if value < 0 else ""
    mantissa, _, exp = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    stripped = all_digits.lstrip("0")
    point = len(int_part) + int(exp or 0) - (len(all_digits) - len(stripped))
    digits = stripped.rstrip("0")
    k, n = len(digits), point  # value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def _jcs(value: object, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("JSON nested too deeply")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_jcs_string(value))
    elif isinstance(value, (int, float)):
        out.append(_jcs_number(value))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError("JSON object keys must be strings")
        out.append("{")
        # Sort by UTF-16 code units; big-endian UTF-16 bytes compare the same way.
        keys = sorted(value, key=lambda key: key.encode("utf-16-be", "surrogatepass"))
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(_jcs_string(key))
            out.append(":")
            _jcs(value[key], out, depth + 1)
        out.append("}")
    else:
        raise ValueError(f"not a JSON value: {type(value).__name__}")


def canonicalize(value: object) -> bytes:
    """The RFC 8785 (JCS) serialization of a JSON value, as UTF-8. ValueError if not I-JSON."""
    out: list[str] = []
    _jcs(value, out, 0)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("lone surrogate in a JSON string") from None


# --- base58-btc, multibase, did:key ---------------------------------------------------------


def b58encode(data: bytes) -> str:
    """Bitcoin base58: each leading zero byte becomes a '1'."""
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58_ALPHABET[r])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of b58encode; ValueError on characters outside the alphabet.

    Quadratic in the length: callers bound hostile input first.
    """
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"not a base58 character: {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")


def _multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("not multibase base58-btc (no 'z' prefix)")
    if len(text) > _MAX_B58_CHARS:
        raise ValueError("multibase value too long")
    return b58decode(text[1:])


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _public_key_multibase(public_key: Ed25519PublicKey) -> str:
    return "z" + b58encode(_ED25519_PUB_MULTICODEC + _raw_public_bytes(public_key))


def issuer_did(public_key: Ed25519PublicKey) -> str:
    """The did:key of an Ed25519 public key: ``did:key:z6Mk...``."""
    return "did:key:" + _public_key_multibase(public_key)


def verification_method(public_key: Ed25519PublicKey) -> str:
    """The key's did:key verification method: ``did:key:z6Mk...#z6Mk...``."""
    multibase = _public_key_multibase(public_key)
    return f"did:key:{multibase}#{multibase}"


def _did_key_raw(method: str) -> bytes:
    """The raw 32-byte Ed25519 key of a ``did:key:<mb>#<mb>`` verification method."""
    did, sep, fragment = method.partition("#")
    if not did.startswith("did:key:") or not sep or fragment != did[len("did:key:"):]:
        raise ValueError("verificationMethod is not a did:key verification method")
    decoded = _multibase_decode(fragment)
    if len(decoded) != 34 or not decoded.startswith(_ED25519_PUB_MULTICODEC):
        raise ValueError("verificationMethod is not an Ed25519 did:key")
    return decoded[2:]


# --- The credential -------------------------------------------------------------------------


def _jakarta_midnight_utc(day: dt.date) -> str:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=JAKARTA).astimezone(dt.timezone.utc)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


_NARRATIVE = {
    "id": "Menyelesaikan kursus “{title}” versi {version}.",
    "en": "Completed the course “{title}”, version {version}.",
}


def build_credential(data: CertificateData, issuer_id: str) -> dict:
    """The unsigned OpenBadgeCredential stating what the certificate states."""
    identifiers = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": data.holder_name},
    ]
    if data.holder_nip:
        identifiers.append(
            {"type": "IdentityObject", "identityType": "identifier", "hashed": False, "identityHash": data.holder_nip}
        )
    issuer: dict = {"id": issuer_id, "type": ["Profile"], "name": data.issuer_name}
    if data.issuer_city:
        issuer["address"] = {"type": ["Address"], "addressLocality": data.issuer_city}
    narrative = _NARRATIVE.get(data.language, _NARRATIVE["en"])
    return {
        "@context": [VC_CONTEXT, OB3_CONTEXT],
        "id": data.verify_url,
        "type": list(CREDENTIAL_TYPES),
        "issuer": issuer,
        "validFrom": _jakarta_midnight_utc(data.issued_on),
        "name": data.course_title,
        "lms:certificateNumber": data.number,
        "lms:signer": {"name": data.signer_name, "title": data.signer_title},
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "activityEndDate": _jakarta_midnight_utc(data.completed_on),
            "achievement": {
                "id": data.verify_url + "#achievement",
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": data.course_title,
                "description": f"{data.jp} JP · {data.competency_label}",
                "criteria": {"narrative": narrative.format(title=data.course_title, version=data.course_version)},
                "version": str(data.course_version),
                "inLanguage": data.language,
                "lms:jp": data.jp,
                "lms:competency": data.competency,
            },
        },
    }


# --- eddsa-jcs-2022 -------------------------------------------------------------------------


def _hash_data(unsecured: dict, proof_config: dict) -> bytes:
    # eddsa-jcs-2022 "Hashing": SHA-256(JCS(proof config)) || SHA-256(JCS(document)).
    return hashlib.sha256(canonicalize(proof_config)).digest() + hashlib.sha256(canonicalize(unsecured)).digest()


def add_proof(document: dict, private_key: Ed25519PrivateKey, *, method: str, created: str | None) -> dict:
    """A copy of ``document`` with an eddsa-jcs-2022 DataIntegrityProof (any verification method)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof: dict = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE}
    if created is not None:
        proof["created"] = created
    proof["verificationMethod"] = method
    proof["proofPurpose"] = PROOF_PURPOSE
    if "@context" in unsecured:
        proof["@context"] = unsecured["@context"]
    signature = private_key.sign(_hash_data(unsecured, proof))
    return {**unsecured, "proof": {**proof, "proofValue": "z" + b58encode(signature)}}


def sign(credential: dict, private_key: Ed25519PrivateKey) -> dict:
    """A new dict: ``credential`` with a proof by ``private_key``'s did:key, created = validFrom."""
    created = credential.get("validFrom")
    return add_proof(
        credential,
        private_key,
        method=verification_method(private_key.public_key()),
        created=created if isinstance(created, str) else None,
    )


def verify_proof(document: dict, public_key: Ed25519PublicKey) -> tuple[bool, str]:
    """Check the eddsa-jcs-2022 proof of ``document`` against ``public_key``; (ok, reason).

    Follows the cryptosuite's "Verify Proof" algorithm; never raises for dict input. Does not
    look at ``verificationMethod`` beyond hashing it: the caller picks the key.
    """
    try:
        proof = document.get("proof")
        if proof is None:
            return False, "no proof: the credential is not signed"
        if isinstance(proof, list):
            return False, "proof sets are not supported (expected a single proof)"
        if not isinstance(proof, dict):
            return False, "proof is not a JSON object"
        if proof.get("type") != PROOF_TYPE:
            return False, f"unsupported proof type (expected {PROOF_TYPE})"
        if proof.get("cryptosuite") != CRYPTOSUITE:
            return False, f"unsupported cryptosuite (expected {CRYPTOSUITE})"
        if proof.get("proofPurpose") != PROOF_PURPOSE:
            return False, f"wrong proof purpose (expected {PROOF_PURPOSE})"
        created = proof.get("created")
        if created is not None and not (isinstance(created, str) and _DATETIME_STAMP.match(created)):
            return False, "proof 'created' is not a date-time with a time zone"
        proof_value = proof.get("proofValue")
        if not isinstance(proof_value, str):
            return False, "proof has no proofValue"
        try:
            signature = _multibase_decode(proof_value)
        except ValueError as exc:
            return False, f"proofValue is not valid base58-btc multibase ({exc})"
        if len(signature) != 64:
            return False, "proofValue is not a 64-byte Ed25519 signature"
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        proof_config = {k: v for k, v in proof.items() if k != "proofValue"}
        if "@context" in proof_config:
            context = proof_config["@context"]
            doc_context = unsecured.get("@context")
            as_list = lambda c: c if isinstance(c, list) else [c]  # noqa: E731
            if doc_context is None or as_list(doc_context)[: len(as_list(context))] != as_list(context):
                return False, "proof @context does not match the credential's @context"
            unsecured["@context"] = context
        try:
            hash_data = _hash_data(unsecured, proof_config)
        except ValueError as exc:
            return False, f"credential is not canonicalizable JSON ({exc})"
        try:
            public_key.verify(signature, hash_data)
        except InvalidSignature:
            return False, "signature does not match: the credential was altered or signed by another key"
        return True, "signature valid"
    except RecursionError:
        return False, "credential nested too deeply"


@dataclass
class Verification:
    valid: bool
    reason: str
    #: The certificate code from the credential id (its verify URL), when parseable, even when
    #: invalid; only a valid credential's code is vouched for. Check revocation with it.
    code: str | None = None


def _code_from_id(document: dict) -> str | None:
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or len(credential_id) > 2000:
        return None
    try:
        parts = urlsplit(credential_id)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    code = unquote(parts.path.rstrip("/").rpartition("/")[2])
    return code if _CODE.match(code) else None


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _parse(document: dict | str | bytes) -> tuple[dict | None, str]:
    if isinstance(document, (bytes, bytearray, memoryview)):
        if len(document) > MAX_DOCUMENT_BYTES:
            return None, "credential is larger than 1 MB"
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError:
            return None, "credential is not UTF-8 text"
    if isinstance(document, str):
        if len(document) > MAX_DOCUMENT_BYTES or len(document.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
            return None, "credential is larger than 1 MB"
        try:
            document = json.loads(
                document, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
            )
        except (ValueError, RecursionError) as exc:
            return None, f"credential is not valid JSON ({str(exc)[:100]})"
    if not isinstance(document, dict):
        return None, "credential is not a JSON object"
    return document, ""


def verify(document: dict | str | bytes, trusted_keys: list[Ed25519PublicKey]) -> Verification:
    """Check a presented credential: well-formed, signed by one of ``trusted_keys``, unaltered.

    Never raises. Revocation is the caller's business: look up ``result.code``.
    """
    try:
        return _verify(document, trusted_keys)
    except Exception as exc:  # noqa: BLE001 - a verifier facing arbitrary input must answer
        return Verification(False, f"credential could not be checked ({type(exc).__name__})", None)


def _verify(document: dict | str | bytes, trusted_keys: list[Ed25519PublicKey]) -> Verification:
    parsed, reason = _parse(document)
    if parsed is None:
        return Verification(False, reason, None)
    code = _code_from_id(parsed)

    def fail(why: str) -> Verification:
        return Verification(False, why, code)

    proof = parsed.get("proof")
    if proof is None:
        return fail("no proof: the credential is not signed")
    if not isinstance(proof, dict):
        return fail("proof sets are not supported (expected a single proof)" if isinstance(proof, list)
                    else "proof is not a JSON object")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        return fail("proof has no verificationMethod")
    try:
        raw = _did_key_raw(method)
    except ValueError as exc:
        return fail(str(exc))
    key = next((k for k in trusted_keys if _raw_public_bytes(k) == raw), None)
    if key is None:
        return fail("signed by a key this instance does not trust")
    ok, why = verify_proof(parsed, key)
    if not ok:
        return fail(why)

    # Authentic; now check it is one of our credentials and is self-consistent.
    context = parsed.get("@context")
    if not isinstance(context, list) or context[:2] != [VC_CONTEXT, OB3_CONTEXT]:
        return fail("not an Open Badges 3.0 credential (@context)")
    types = parsed.get("type")
    if not isinstance(types, list) or not all(t in types for t in CREDENTIAL_TYPES):
        return fail("not an OpenBadgeCredential (type)")
    issuer = parsed.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str):
        return fail("credential has no issuer id")
    if issuer_id.startswith("did:key:") and issuer_id != method.partition("#")[0]:
        return fail("issuer did:key is not the signing key")
    if code is None:
        return fail("credential id is not a certificate verify URL")
    return Verification(True, "valid credential, signed by this instance", code)


# --- Keys -------------------------------------------------------------------------------------


def key_from_pem(pem: bytes | str) -> Ed25519PrivateKey:
    """An unencrypted PEM (PKCS#8) Ed25519 private key, e.g. from LMS_CREDENTIAL_KEY.

    Literal ``\\n`` sequences are accepted as newlines (single-line environment variables).
    ValueError if it is not an Ed25519 private key.
    """
    text = pem.decode("ascii") if isinstance(pem, (bytes, bytearray)) else pem
    if "\n" not in text.strip() and "\\n" in text:
        text = text.replace("\\n", "\n")
    key = serialization.load_pem_private_key(text.strip().encode("ascii") + b"\n", password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the credential key must be an Ed25519 private key")
    return key


def key_to_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_or_create_key(path: pathlib.Path) -> Ed25519PrivateKey:
    """The key stored at ``path``; a new one is written there (mode 0600) if there is none.

    For development instances; production sets LMS_CREDENTIAL_KEY (see key_from_pem).
    """
    path = pathlib.Path(path)
    try:
        return key_from_pem(path.read_bytes())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    # Write a private temporary file, then link it into place: readers never see a partial
    # file, and if another process got there first its key wins.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # left over by a crashed process with our pid
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key_to_pem(key))
        try:
            os.link(tmp, path)
        except FileExistsError:
            return key_from_pem(path.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return key
