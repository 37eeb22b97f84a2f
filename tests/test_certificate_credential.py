"""Signed certificate credentials: JCS, base58/did:key, eddsa-jcs-2022, tampering, keys."""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import stat
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.certificates import credential as cred
from lms.certificates.credential import (
    Verification,
    b58decode,
    b58encode,
    build_credential,
    canonicalize,
    issuer_did,
    key_from_pem,
    load_or_create_key,
    sign,
    verify,
)
from lms.certificates.data import CertificateData

CODE = "q3Zx9Lr_TkWb2mHcVfA7eQ"
DATA = CertificateData(
    number="SMG-2026-000042",
    code=CODE,
    verify_url=f"https://lms.example.go.id/verify/{CODE}",
    holder_name="Siti Nurhaliza, S.Kom.",
    holder_nip="198703122010012003",
    course_title="Manajemen Risiko — Dasar",
    course_version=3,
    jp=24,
    competency="teknis",
    competency_label="Teknis",
    issued_on=dt.date(2026, 3, 14),
    completed_on=dt.date(2026, 3, 10),
    issuer_name="BPSDM Provinsi Jawa Tengah",
    issuer_city="Semarang",
    signer_name="Dr. Budi Santoso, M.Si.",
    signer_title="Kepala BPSDM",
)

# One fixed key, so failures reproduce (Ed25519 signing is deterministic).
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
PUB = KEY.public_key()
ISSUER = issuer_did(PUB)


def signed(data: CertificateData = DATA, key: Ed25519PrivateKey = KEY, issuer_id: str = ISSUER) -> dict:
    return sign(build_credential(data, issuer_id), key)


SIGNED = signed()


# --- JCS (RFC 8785) ---------------------------------------------------------------------------


def test_jcs_rfc8785_section_3_2_2_example():
    source = r'''{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }'''
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_jcs_sorts_keys_by_utf16_code_units():
    # RFC 8785 section 3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonicalize(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    "ieee, expected",
    [
        # RFC 8785 appendix B.
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_jcs_numbers_rfc8785_appendix_b(ieee, expected):
    (value,) = struct.unpack(">d", bytes.fromhex(ieee))
    assert canonicalize(value) == expected.encode()


def test_jcs_small_numbers_and_strings():
    # Integers are doubles to JCS: beyond 2**53 they become the nearest double.
    assert canonicalize([2**53 - 1, 2**53 + 1, -(2**60)]) == b"[9007199254740991,9007199254740992,-1152921504606847000]"
    assert canonicalize([0, -1, 24, 1.0, 0.5, 1e21, 1e20, 1e-7, 100.0]) == (
        b"[0,-1,24,1,0.5,1e+21,100000000000000000000,1e-7,100]"
    )
    # Only '"', '\\' and C0 controls are escaped; DEL, U+2028 and non-ASCII stay literal.
    assert canonicalize("\b\t\x1f\x7f\u2028é/") == '"\\b\\t\\u001f\x7f\u2028é/"'.encode()


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), -float("inf"), 10**400, "\ud800", {1: "x"}, {"a": object()},
     b"bytes", {"a": {"\udfff": 1}}],
    ids=repr,
)
def test_jcs_refuses_non_i_json(value):
    with pytest.raises(ValueError):
        canonicalize(value)


def test_jcs_refuses_deep_nesting():
    deep: list = []
    for _ in range(cred.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError):
        canonicalize(deep)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_jcs_float_round_trips(x):
    text = canonicalize(x)
    assert float(text) == x
    assert json.loads(text, parse_int=float) == x


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_jcs_output_is_json_of_the_same_value(value):
    text = canonicalize(value)
    assert json.loads(text, parse_int=float) == value
    assert canonicalize(json.loads(text)) == text  # idempotent


# --- base58-btc and did:key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, encoded",
    [
        (b"", ""),
        (b"\0", "1"),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
    ],
)
def test_base58_vectors(raw, encoded):
    assert b58encode(raw) == encoded
    assert b58decode(encoded) == raw


@given(st.binary(max_size=80))
def test_base58_round_trip(raw):
    encoded = b58encode(raw)
    assert set(encoded) <= set(cred._B58_ALPHABET)
    assert b58decode(encoded) == raw


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "é"])
def test_base58_refuses_outside_alphabet(bad):
    with pytest.raises(ValueError):
        b58decode(bad)


# The key pair of the W3C Data Integrity EdDSA Cryptosuites test vectors (TestVectors/keyPair.json).
W3C_PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


def w3c_key() -> Ed25519PrivateKey:
    raw = b58decode(W3C_PRIVATE_MULTIBASE[1:])
    assert raw[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def test_did_key_matches_the_w3c_test_vector():
    public = w3c_key().public_key()
    assert issuer_did(public) == "did:key:" + W3C_PUBLIC_MULTIBASE
    assert cred.verification_method(public) == f"did:key:{W3C_PUBLIC_MULTIBASE}#{W3C_PUBLIC_MULTIBASE}"
    assert issuer_did(PUB).startswith("did:key:z6Mk")


# --- eddsa-jcs-2022 against the W3C test vector -------------------------------------------------

W3C_UNSECURED = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_PROOF_VALUE = "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"


def test_eddsa_jcs_2022_reproduces_the_w3c_test_vector():
    assert canonicalize(W3C_UNSECURED) == (
        b'{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],'
        b'"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},'
        b'"description":"A minimum viable example of an Alumni Credential.",'
        b'"id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678",'
        b'"name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],'
        b'"validFrom":"2023-01-01T00:00:00Z"}'
    )
    secured = cred.add_proof(
        W3C_UNSECURED,
        w3c_key(),
        method=f"https://vc.example/issuers/5678#{W3C_PUBLIC_MULTIBASE}",
        created="2023-02-24T23:36:38Z",
    )
    assert secured["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": f"https://vc.example/issuers/5678#{W3C_PUBLIC_MULTIBASE}",
        "proofPurpose": "assertionMethod",
        "@context": W3C_UNSECURED["@context"],
        "proofValue": W3C_PROOF_VALUE,
    }
    assert cred.verify_proof(secured, w3c_key().public_key()) == (True, "signature valid")
    # verify() itself only accepts did:key methods of trusted keys.
    result = verify(secured, [w3c_key().public_key()])
    assert not result.valid and "did:key" in result.reason


# --- The credential -------------------------------------------------------------------------------


def test_credential_shape():
    vc = build_credential(DATA, ISSUER)
    assert vc["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["id"] == DATA.verify_url
    assert vc["issuer"] == {
        "id": ISSUER,
        "type": ["Profile"],
        "name": "BPSDM Provinsi Jawa Tengah",
        "address": {"type": ["Address"], "addressLocality": "Semarang"},
    }
    assert vc["validFrom"] == "2026-03-13T17:00:00Z"  # 2026-03-14 00:00 WIB
    assert vc["name"] == DATA.course_title
    assert vc["lms:certificateNumber"] == "SMG-2026-000042"
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["activityEndDate"] == "2026-03-09T17:00:00Z"
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": DATA.holder_name},
        {"type": "IdentityObject", "identityType": "identifier", "hashed": False, "identityHash": DATA.holder_nip},
    ]
    achievement = subject["achievement"]
    assert achievement["id"] == DATA.verify_url + "#achievement"
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "Course"
    assert achievement["name"] == DATA.course_title
    assert achievement["description"] == "24 JP · Teknis"
    assert achievement["criteria"] == {"narrative": "Menyelesaikan kursus “Manajemen Risiko — Dasar” versi 3."}
    assert achievement["lms:jp"] == 24 and achievement["lms:competency"] == "teknis"
    canonicalize(vc)  # I-JSON throughout


def test_credential_without_nip_or_city_in_english():
    data = dataclasses.replace(DATA, holder_nip="", issuer_city="", language="en")
    vc = build_credential(data, "https://lms.example.go.id")
    assert [i["identityType"] for i in vc["credentialSubject"]["identifier"]] == ["name"]
    assert "address" not in vc["issuer"]
    assert vc["credentialSubject"]["achievement"]["criteria"]["narrative"].startswith("Completed the course")
    result = verify(sign(vc, KEY), [PUB])
    assert result == Verification(True, result.reason, CODE)


def test_sign_adds_a_data_integrity_proof_and_leaves_the_input_alone():
    unsigned = build_credential(DATA, ISSUER)
    before = copy.deepcopy(unsigned)
    vc = sign(unsigned, KEY)
    assert unsigned == before
    assert {k: v for k, v in vc.items() if k != "proof"} == unsigned
    proof = vc["proof"]
    multibase = ISSUER.removeprefix("did:key:")
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{ISSUER}#{multibase}"
    assert proof["created"] == vc["validFrom"]
    assert proof["@context"] == vc["@context"]
    assert proof["proofValue"].startswith("z") and len(b58decode(proof["proofValue"][1:])) == 64
    assert sign(unsigned, KEY) == vc  # deterministic: same file on every download


@pytest.mark.parametrize("form", ["dict", "str", "bytes", "pretty"])
def test_sign_then_verify(form):
    document = {
        "dict": SIGNED,
        "str": json.dumps(SIGNED),
        "bytes": json.dumps(SIGNED, ensure_ascii=False).encode(),
        "pretty": json.dumps(SIGNED, indent=2, sort_keys=True),
    }[form]
    assert verify(document, [PUB]) == Verification(True, "valid credential, signed by this instance", CODE)


def test_any_trusted_key_is_accepted_after_rotation():
    old = signed(key=OTHER_KEY, issuer_id=issuer_did(OTHER_KEY.public_key()))
    assert verify(old, [PUB, OTHER_KEY.public_key()]).valid
    assert verify(SIGNED, [OTHER_KEY.public_key(), PUB]).valid


def test_credential_signed_by_another_key_is_refused():
    forged = signed(key=OTHER_KEY, issuer_id=issuer_did(OTHER_KEY.public_key()))
    assert verify(forged, [PUB]) == Verification(False, "signed by a key this instance does not trust", CODE)
    assert verify(SIGNED, []).reason == "signed by a key this instance does not trust"


def test_forged_credential_claiming_our_key_is_refused():
    # Signed with another key but naming ours as verificationMethod.
    unsigned = build_credential(dataclasses.replace(DATA, jp=240), ISSUER)
    forged = cred.add_proof(
        unsigned, OTHER_KEY, method=SIGNED["proof"]["verificationMethod"], created=unsigned["validFrom"]
    )
    result = verify(forged, [PUB])
    assert not result.valid and result.reason.startswith("signature does not match")


def test_issuer_did_key_must_be_the_signing_key():
    lying = signed(key=KEY, issuer_id=issuer_did(OTHER_KEY.public_key()))
    assert verify(lying, [PUB]).reason == "issuer did:key is not the signing key"
    assert verify(signed(issuer_id="https://lms.example.go.id"), [PUB]).valid


def test_revoked_credential_is_authentic_but_the_caller_refuses_it():
    revoked_codes = {CODE}  # what the caller's database says
    result = verify(SIGNED, [PUB])
    assert result.valid and result.code == CODE
    assert result.code in revoked_codes  # -> the verify page shows "revoked"
    other = signed(dataclasses.replace(DATA, code="other_Code-1", verify_url="https://lms.example.go.id/verify/other_Code-1"))
    assert verify(other, [PUB]).code not in revoked_codes


def _set(path: str, value):
    def change(doc: dict) -> None:
        *parents, last = path.split("/")
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[int(last) if isinstance(node, list) else last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


_DELETE = object()
SIG_MISMATCH = "signature does not match: the credential was altered or signed by another key"


@pytest.mark.parametrize(
    "change, reason",
    [
        (_set("credentialSubject/identifier/0/identityHash", "Mallory"), SIG_MISMATCH),
        (_set("credentialSubject/identifier/1/identityHash", "198703122010012004"), SIG_MISMATCH),
        (_set("credentialSubject/identifier/1", _DELETE), SIG_MISMATCH),
        (_set("credentialSubject/achievement/lms:jp", 240), SIG_MISMATCH),
        (_set("credentialSubject/achievement/lms:jp", 24.0), None),  # same JSON number: still valid
        (_set("credentialSubject/achievement/description", "240 JP · Teknis"), SIG_MISMATCH),
        (_set("credentialSubject/achievement/name", "Kepemimpinan Nasional"), SIG_MISMATCH),
        (_set("name", "Kepemimpinan Nasional"), SIG_MISMATCH),
        (_set("validFrom", "2025-03-13T17:00:00Z"), SIG_MISMATCH),
        (_set("issuer/name", "Lembaga Palsu"), SIG_MISMATCH),
        (_set("lms:certificateNumber", "SMG-2026-000043"), SIG_MISMATCH),
        (_set("validUntil", "2030-01-01T00:00:00Z"), SIG_MISMATCH),
        (_set("credentialSubject/activityEndDate", _DELETE), SIG_MISMATCH),
        (_set("proof/created", "2026-01-01T00:00:00Z"), SIG_MISMATCH),
        (_set("proof/nonce", "x"), SIG_MISMATCH),
        (_set("proof/created", "yesterday"), "proof 'created' is not a date-time with a time zone"),
        (_set("proof/@context", ["https://www.w3.org/ns/credentials/v2", "https://example.com/other"]),
         "proof @context does not match the credential's @context"),
        (_set("@context", ["https://www.w3.org/ns/credentials/v2"]),
         "proof @context does not match the credential's @context"),
        (_set("proof/cryptosuite", "eddsa-rdfc-2022"), "unsupported cryptosuite (expected eddsa-jcs-2022)"),
        (_set("proof/cryptosuite", _DELETE), "unsupported cryptosuite (expected eddsa-jcs-2022)"),
        (_set("proof/type", "Ed25519Signature2020"), "unsupported proof type (expected DataIntegrityProof)"),
        (_set("proof/proofPurpose", "authentication"), "wrong proof purpose (expected assertionMethod)"),
        (_set("proof/proofValue", _DELETE), "proof has no proofValue"),
        (_set("proof/proofValue", 42), "proof has no proofValue"),
        (_set("proof/proofValue", "z0OIl"), "proofValue is not valid base58-btc multibase (not a base58 character: '0')"),
        (_set("proof/proofValue", "uAAAA"), "proofValue is not valid base58-btc multibase (not multibase base58-btc (no 'z' prefix))"),
        (_set("proof/proofValue", "z" + "2" * 500), "proofValue is not valid base58-btc multibase (multibase value too long)"),
        (_set("proof/proofValue", "z" + b58encode(b"\1" * 63)), "proofValue is not a 64-byte Ed25519 signature"),
        (_set("proof/proofValue", "z" + b58encode(b"\1" * 64)), SIG_MISMATCH),
        (_set("proof/verificationMethod", _DELETE), "proof has no verificationMethod"),
        (_set("proof/verificationMethod", "https://lms.example.go.id/keys/1"),
         "verificationMethod is not a did:key verification method"),
        (_set("proof/verificationMethod", ISSUER), "verificationMethod is not a did:key verification method"),
        (_set("proof/verificationMethod", ISSUER + "#z6MkOther"), "verificationMethod is not a did:key verification method"),
        (_set("proof/verificationMethod", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme#zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"),
         "verificationMethod is not an Ed25519 did:key"),
        (_set("proof", _DELETE), "no proof: the credential is not signed"),
        (_set("proof", "zSignature"), "proof is not a JSON object"),
    ],
)
def test_tampered_credential_fails_with_its_reason(change, reason):
    document = copy.deepcopy(SIGNED)
    change(document)
    result = verify(document, [PUB])
    if reason is None:
        assert result.valid
    else:
        assert result == Verification(False, reason, CODE)
    # The same through JSON text, as the API endpoint receives it.
    assert verify(json.dumps(document), [PUB]) == result


def test_proof_set_is_refused():
    document = dict(SIGNED, proof=[SIGNED["proof"]])
    assert verify(document, [PUB]).reason == "proof sets are not supported (expected a single proof)"


def test_proof_moved_to_another_document_fails():
    other = signed(dataclasses.replace(DATA, holder_name="Mallory", code="x" * 22, verify_url="https://lms.example.go.id/verify/" + "x" * 22))
    moved = dict(other, proof=SIGNED["proof"])
    assert verify(moved, [PUB]) == Verification(False, SIG_MISMATCH, "x" * 22)


def test_changed_id_reports_the_claimed_code_but_is_invalid():
    document = dict(SIGNED, id="https://lms.example.go.id/verify/stolen-code")
    assert verify(document, [PUB]) == Verification(False, SIG_MISMATCH, "stolen-code")


def test_signed_non_openbadge_document_is_refused():
    # Authentic signature, but not one of our credentials (e.g. the key signed something else).
    not_ob = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": DATA.verify_url,
                   "type": ["VerifiableCredential"], "issuer": ISSUER}, KEY)
    assert verify(not_ob, [PUB]).reason == "not an Open Badges 3.0 credential (@context)"
    no_code = sign(dict(build_credential(DATA, ISSUER), id="urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33"), KEY)
    assert verify(no_code, [PUB]) == Verification(False, "credential id is not a certificate verify URL", None)


@pytest.mark.parametrize(
    "document, reason",
    [
        (b"\xff\xfe{}", "credential is not UTF-8 text"),
        ("{", None),
        ("", None),
        ('{"a": NaN}', None),
        ('{"a": 1, "a": 2}', None),
        ("[" * 100_000, None),
        ("[1, 2]", "credential is not a JSON object"),
        ('"a string"', "credential is not a JSON object"),
        (42, "credential is not a JSON object"),
        (None, "credential is not a JSON object"),
        ({}, "no proof: the credential is not signed"),
        (b" " * (cred.MAX_DOCUMENT_BYTES + 1), "credential is larger than 1 MB"),
        (" " * (cred.MAX_DOCUMENT_BYTES + 1), "credential is larger than 1 MB"),
        ("é" * (cred.MAX_DOCUMENT_BYTES // 2 + 1), "credential is larger than 1 MB"),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_malformed_input_is_refused_without_raising(document, reason):
    result = verify(document, [PUB])
    assert not result.valid and result.code is None
    if reason is None:
        assert result.reason.startswith("credential is not valid JSON")
    else:
        assert result.reason == reason


def test_huge_but_otherwise_valid_credential_is_refused():
    padded = json.dumps(SIGNED) + " " * cred.MAX_DOCUMENT_BYTES
    assert verify(padded, [PUB]).reason == "credential is larger than 1 MB"


def test_non_json_values_in_a_dict_do_not_raise():
    for junk in (float("nan"), 2**64, object(), "\ud800", {1: 2}):
        document = copy.deepcopy(SIGNED)
        document["credentialSubject"]["achievement"]["lms:jp"] = junk
        result = verify(document, [PUB])
        assert not result.valid and result.code == CODE


SERIALIZED = json.dumps(SIGNED, indent=2, ensure_ascii=False).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_byte_flips_never_verify_unless_the_json_is_unchanged(data):
    mutated = bytearray(SERIALIZED)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(mutated) - 1))
        mutated[i] = data.draw(st.integers(0, 255).filter(lambda b, old=mutated[i]: b != old))
    result = verify(bytes(mutated), [PUB])
    if result.valid:
        # Only a change JSON does not see (whitespace for whitespace) may keep the signature.
        assert canonicalize(json.loads(bytes(mutated))) == canonicalize(SIGNED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.sampled_from(["bare", "text", "in-proof", "in-subject", "replace-top"]), st.data())
def test_verify_never_raises_on_arbitrary_json(value, where, data):
    if where == "bare":
        document = value
    elif where == "text":
        document = json.dumps(value)
    elif where == "in-proof":
        document = copy.deepcopy(SIGNED)
        document["proof"][data.draw(st.sampled_from(sorted(document["proof"])))] = value
    elif where == "in-subject":
        document = copy.deepcopy(SIGNED)
        document["credentialSubject"][data.draw(st.sampled_from(sorted(document["credentialSubject"])))] = value
    else:
        document = copy.deepcopy(SIGNED)
        document[data.draw(st.sampled_from(sorted(document)))] = value
    result = verify(document, [PUB])
    assert isinstance(result, Verification) and isinstance(result.reason, str)
    if result.valid:
        assert canonicalize(document) == canonicalize(SIGNED)


# --- Keys -------------------------------------------------------------------------------------------


def test_load_or_create_key_creates_a_private_file_once(tmp_path):
    path = tmp_path / "instance" / "credential-key.pem"
    key = load_or_create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_key(path)
    assert issuer_did(again.public_key()) == issuer_did(key.public_key())
    assert sorted(p.name for p in path.parent.iterdir()) == ["credential-key.pem"]
    assert verify(signed(key=again, issuer_id=issuer_did(again.public_key())), [key.public_key()]).valid


def test_key_from_pem_accepts_env_var_forms():
    pem = cred.key_to_pem(KEY)
    for form in (pem, pem.decode(), pem.decode().replace("\n", "\\n"), "\n  " + pem.decode() + "\n\n"):
        assert issuer_did(key_from_pem(form).public_key()) == ISSUER


def test_key_from_pem_refuses_other_keys():
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        key_from_pem(ec_pem)
    with pytest.raises(ValueError):
        key_from_pem("not a key")
