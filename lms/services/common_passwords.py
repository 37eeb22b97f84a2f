"""Passwords refused because they top the lists attackers try first (international and Indonesian).

Kept as a module rather than a data file so it always ships with the package. Compared in
lower case; lms.services.accounts.password_problem also strips trailing digits and symbols
("Bismillah123!" is refused as "bismillah").
"""
from __future__ import annotations

WORDS = frozenset("""
123456 1234567 12345678 123456789 1234567890 0123456789 12345678910 87654321 987654321
11111111 00000000 11223344 12341234 12121212 88888888 66666666 99999999 123123123 147258369
password password1 passw0rd p@ssw0rd p@ssword passwort motdepasse contrasena
qwerty qwertyui qwertyuiop qwerty123 asdfghjk asdfghjkl zxcvbnm zxcvbnm1 1qaz2wsx qazwsxedc
abc12345 abcd1234 abcdefgh aaaaaaaa letmein welcome welcome1 iloveyou monkey dragon
football baseball superman batman trustno1 sunshine princess master shadow michael
admin admin123 administrator root toor changeme default secret secret123 login
user1234 guest test1234 testing demo1234
rahasia rahasia123 katasandi kata-sandi sandi123 indonesia indonesia1 merdeka merdeka45
garuda pancasila bismillah alhamdulillah insyaallah sayang sayangku cinta cintaku
jakarta semarang bandung surabaya yogyakarta jogja malang medan
asnlms lmsasn pegawai pegawai123 pns12345 asn12345 bkpsdm bkpsdm123 kepegawaian
selamat selamatpagi terimakasih anakku keluarga rumah123 mamapapa
""".split())
