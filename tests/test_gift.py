"""Question bank formats: Moodle GIFT and YAML import/export (docs/questions.md)."""
from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.packages.gift import MAX_CHARS, MAX_QUESTIONS, dump_gift, option_id, parse_gift, slug
from lms.packages.manifest import Problem
from lms.packages.question_yaml import dump_question_yaml, parse_question_yaml


def one(text: str) -> dict:
    """The single question in a GIFT text that must parse without problems."""
    questions, problems = parse_gift(text)
    assert problems == []
    assert len(questions) == 1
    return questions[0]


def problems_of(text: str, file: str = "quiz.gift") -> list[tuple[str, str]]:
    return [(p.where, p.message) for p in parse_gift(text, file)[1]]


def options(*rows) -> list[dict]:
    result = []
    for i, row in enumerate(rows):
        text, fraction, *feedback = row
        result.append({"id": option_id(i), "text": text, "fraction": fraction}
                      | ({"feedback": feedback[0]} if feedback else {}))
    return result


# ------------------------------------------------------------------ Moodle's documented examples


def test_moodle_multiple_choice():
    assert one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}") == {
        "type": "single", "id": "whos-buried-in-grants-tomb", "text": "Who's buried in Grant's tomb?",
        "points": 1, "options": options(("Grant", 0), ("Jefferson", 0), ("no one", 1)),
    }


def test_moodle_missing_word_puts_a_placeholder_where_the_block_was():
    question = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question["type"] == "single"
    assert question["text"] == "Grant is ___ in Grant's tomb."
    assert question["options"] == options(("buried", 0), ("entombed", 1), ("living", 0))


def test_moodle_true_false():
    question = one("Grant was buried in a tomb in New York City.{T}")
    assert question == {"type": "truefalse", "id": "grant-was-buried-in-a-tomb-in-new-york-city",
                        "text": "Grant was buried in a tomb in New York City.", "points": 1, "answer": True}


def test_moodle_numerical_range_becomes_value_and_tolerance():
    question = one("What is the value of pi (to 3 decimal places)? {#3.141..3.142}.")
    assert question["type"] == "numerical"
    # As in Moodle, text after the block makes it "missing word" style.
    assert question["text"] == "What is the value of pi (to 3 decimal places)? ___."
    assert question["answers"] == [{"value": 3.1415, "tolerance": 0.0005, "fraction": 1}]


def test_moodle_matching():
    question = one("Match the following. {=cat -> cat food =dog -> dog food}")
    assert question["type"] == "matching"
    assert question["pairs"] == [{"left": "cat", "right": "cat food"}, {"left": "dog", "right": "dog food"}]


def test_moodle_short_answer():
    question = one("Who's buried in Grant's tomb?{=Grant =Ulysses S. Grant =Ulysses Grant}")
    assert question["type"] == "short"
    assert [a["text"] for a in question["answers"]] == ["Grant", "Ulysses S. Grant", "Ulysses Grant"]
    assert question["case_sensitive"] is False


# ------------------------------------------------------------------ every construct


def test_single_with_title_feedback_and_partial_credit():
    question = one("::Nota dinas::Naskah dinas internal antarpejabat disebut? {\n"
                   "  =Nota dinas#Benar.\n"
                   "  ~%50%Memo#Hampir.\n"
                   "  ~Surat edaran#Bukan, itu untuk pemberitahuan umum.\n"
                   "  ####Lihat Permenpan RB tentang tata naskah dinas.\n"
                   "}")
    assert question == {
        "type": "single", "id": "nota-dinas", "title": "Nota dinas",
        "text": "Naskah dinas internal antarpejabat disebut?", "points": 1,
        "options": options(("Nota dinas", 1, "Benar."), ("Memo", 0.5, "Hampir."),
                           ("Surat edaran", 0, "Bukan, itu untuk pemberitahuan umum.")),
        "feedback": "Lihat Permenpan RB tentang tata naskah dinas.",
    }


def test_multiple_with_weights_and_negative_marks():
    question = one("Fitur SRIKANDI? {~%50%Disposisi elektronik ~%50%Tanda tangan elektronik "
                   "~%-100%Media sosial#Bukan fitur.}")
    assert question["type"] == "multiple"
    assert question["options"] == options(("Disposisi elektronik", 0.5), ("Tanda tangan elektronik", 0.5),
                                          ("Media sosial", -1, "Bukan fitur."))


def test_multiple_with_decimal_weights():
    question = one("Pilih {~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-50%d}")
    assert [o["fraction"] for o in question["options"]] == [0.3333333, 0.3333333, 0.3333334, -0.5]


def test_all_tilde_with_one_full_answer_is_multiple_like_moodle():
    assert one("Pilih {~%100%a ~b}")["type"] == "multiple"


@pytest.mark.parametrize("block, answer", [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False)])
def test_true_false_forms(block, answer):
    question = one(f"Surat keluar wajib diberi nomor agenda. {block}")
    assert question["answer"] is answer
    assert "feedback_true" not in question and "feedback_false" not in question


def test_true_false_feedback_is_wrong_first_then_right():
    true_q = one("E-office mengurangi kertas. {T#Salah: justru mengurangi.#Benar.}")
    assert (true_q["feedback_true"], true_q["feedback_false"]) == ("Benar.", "Salah: justru mengurangi.")
    false_q = one("Nota dinas ditujukan ke pihak luar. {FALSE#Salah.#Benar, itu untuk internal.}")
    assert false_q["answer"] is False
    assert (false_q["feedback_true"], false_q["feedback_false"]) == ("Salah.", "Benar, itu untuk internal.")
    only_wrong = one("Arsip boleh dimusnahkan kapan saja. {F#Tidak, ikuti JRA.}")
    assert only_wrong == only_wrong | {"feedback_true": "Tidak, ikuti JRA."}
    assert "feedback_false" not in only_wrong


def test_short_with_weights_and_feedback():
    question = one("Nama aplikasi umum bidang kearsipan? {=SRIKANDI#Tepat. =%50%e-office#Kurang spesifik.}")
    assert question["answers"] == [{"text": "SRIKANDI", "fraction": 1, "feedback": "Tepat."},
                                   {"text": "e-office", "fraction": 0.5, "feedback": "Kurang spesifik."}]


def test_numerical_forms():
    assert one("Berapa? {#3.14:0.01}")["answers"] == [{"value": 3.14, "tolerance": 0.01, "fraction": 1}]
    assert one("Berapa? {#1..5}")["answers"] == [{"value": 3, "tolerance": 2, "fraction": 1}]
    assert one("Berapa? {#7}")["answers"] == [{"value": 7, "tolerance": 0, "fraction": 1}]
    assert one("Berapa? {#-2.5e1:1#Benar}")["answers"] == [
        {"value": -25, "tolerance": 1, "fraction": 1, "feedback": "Benar"}]
    assert one("Berapa hari kerja? {# =3.14:0.01 =%50%3:0.5#Hampir.}")["answers"] == [
        {"value": 3.14, "tolerance": 0.01, "fraction": 1},
        {"value": 3, "tolerance": 0.5, "fraction": 0.5, "feedback": "Hampir."}]
    assert one("Tahun UU Kearsipan? {#\n=2009:0\n=%50%2009:1\n}")["answers"][1] == {
        "value": 2009, "tolerance": 1, "fraction": 0.5}


def test_essay_and_general_feedback():
    assert one("Jelaskan manfaat e-office. {}") == {
        "type": "essay", "id": "jelaskan-manfaat-e-office", "text": "Jelaskan manfaat e-office.", "points": 1}
    assert one("Jelaskan. {####Sebutkan efisiensi dan jejak audit.}")["feedback"] == \
        "Sebutkan efisiensi dan jejak audit."


def test_categories_apply_to_following_questions():
    questions, problems = parse_gift(
        "Tanpa kategori {}\n\n"
        "$CATEGORY: $course$/top/e-office/naskah-dinas\n\n"
        "Satu {}\n\n"
        "Dua {}\n\n"
        "$CATEGORY: kearsipan\n"
        "Tiga {}\n")
    assert problems == []
    assert [q.get("category") for q in questions] == [None, "e-office/naskah-dinas", "e-office/naskah-dinas",
                                                     "kearsipan"]


def test_comments_are_ignored_and_blank_lines_separate():
    questions, problems = parse_gift(
        "// question: 12  name: Disposisi\n"
        "// catatan penulis\n"
        "::Disposisi::Apa itu disposisi? {=Instruksi atasan ~Arsip}\n"
        "\n   \n"
        "// di antara soal\n"
        "::Agenda::Apa itu agenda? {=Pencatatan surat ~Penyimpanan}\n")
    assert problems == []
    assert [q["id"] for q in questions] == ["disposisi", "agenda"]


def test_escapes():
    question = one(r"::Simbol \:\: di judul::Tulis \~ \= \# \{ \} \: \\ dan\nbaris baru {"
                   r"=a\=b\#c#umpan\~balik ~x\{y\}}")
    assert question["title"] == "Simbol :: di judul"
    assert question["text"] == "Tulis ~ = # { } : \\ dan\nbaris baru"
    assert question["options"] == options(("a=b#c", 1, "umpan~balik"), ("x{y}", 0))


def test_unknown_backslash_sequences_stay_literal():
    assert one(r"Jalur C:\Users\arsip {}")["text"] == r"Jalur C:\Users\arsip"


def test_format_markers_are_dropped():
    question = one("::Format::[markdown]**Naskah** dinas {=[html]<b>Ya</b>#[plain]Benar ~[moodle]Tidak}")
    assert question["text"] == "**Naskah** dinas"
    assert question["options"] == options(("<b>Ya</b>", 1, "Benar"), ("Tidak", 0))


def test_multi_line_question_keeps_its_line_breaks():
    question = one("::Alur::Perhatikan alur berikut:\n"
                   + "1. Surat diterima\n2. Agenda dicatat\nLangkah berikutnya? {\n=Disposisi\n~Arsip\n}")
    assert question["text"] == "Perhatikan alur berikut:\n1. Surat diterima\n2. Agenda dicatat\nLangkah berikutnya?"


def test_windows_line_endings_and_bom():
    questions, problems = parse_gift("\ufeff// komentar\r\nSatu {T}\r\n\r\nDua {F}\r\n")
    assert problems == []
    assert [q["answer"] for q in questions] == [True, False]


def test_ordering_comment():
    question = one('// lms-ordering: ["Surat diterima", "Agenda dicatat", "Disposisi pimpinan"]\n'
                   "::Urutan::Urutkan alur surat masuk. {}")
    assert question == {"type": "ordering", "id": "urutan", "title": "Urutan",
                        "text": "Urutkan alur surat masuk.", "points": 1,
                        "items": ["Surat diterima", "Agenda dicatat", "Disposisi pimpinan"]}


def test_lms_comments_restore_id_points_and_type_fields():
    question = one("// lms-id: soal_01\n// lms-points: 2.5\n// lms-case-sensitive: true\nSingkatan? {=SRIKANDI}")
    assert (question["id"], question["points"], question["case_sensitive"]) == ("soal_01", 2.5, True)
    essay = one('// lms-rubric: "Minimal tiga manfaat"\n// lms-min-words: 50\nJelaskan. {}')
    assert (essay["rubric"], essay["min_words"]) == ("Minimal tiga manfaat", 50)


def test_generated_ids_are_unique_slugs():
    questions, _ = parse_gift("::Naskah Dinas::Satu {}\n\n::Naskah dinas!::Dua {}\n\n"
                              "// lms-id: naskah-dinas-3\n::Lain::Tiga {}\n\n::Naskah  dinas::Empat {}\n\n"
                              "Ketentuan umum pengelolaan arsip dinamis di lingkungan instansi pemerintah {}\n\n"
                              "!!! {}")
    assert [q["id"] for q in questions] == ["naskah-dinas", "naskah-dinas-2", "naskah-dinas-3", "naskah-dinas-4",
                                            "ketentuan-umum-pengelolaan-arsip-dinamis-di-lingkungan", "question"]
    assert slug("Pengisian Surat Élektronik") == "pengisian-surat-elektronik"


# ------------------------------------------------------------------ problems, with line numbers


@pytest.mark.parametrize("source, where, message", [
    ("Satu {T}\n\n::Judul::Teks {=a ~b", "line 3", "unterminated answer block"),
    ("::Judul::Teks\n{=a\n~b", "line 2", "unterminated answer block"),
    ("Teks } lagi {T}", "line 1", "'}' without '{' (write \\} for a brace)"),
    ("Teks {=a {~b}", "line 1", "'{' inside an answer block (write \\{ for a brace)"),
    ("Teks {=a ~b} dan {T}", "line 1", "only one answer block per question is supported"),
    ("\n::Judul tanpa akhir {T}", "line 2", "unterminated title (close it with ::)"),
    ("Teks tanpa blok jawaban", "line 1", "no answer block: add {...} after the text ({} for an essay)"),
    ("::Judul:: {T}", "line 1", "the question has no text"),
    ("Teks {\n=a\n~\n}", "line 3", "empty answer"),
    ("Teks {=a ~#umpan balik}", "line 1", "empty answer"),
    ("Teks {=a\n~%150%b}", "line 2", "answer weight %150% is outside -100..100"),
    ("Teks {=a ~%%b}", "line 1", "answer weight %% is not a number"),
    ("Teks {~%1.2.3%a ~b}", "line 1", "answer weight %1.2.3% is not a number"),
    ("Teks {#tiga}", "line 1", "numerical answer 'tiga' is not a number"),
    ("Teks {#3:x}", "line 1", "numerical answer '3:x' is not a number"),
    ("Teks {#nan}", "line 1", "numerical answer 'nan' is not a number"),
    ("Teks {#1e999}", "line 1", "numerical answer '1e999' is not a number"),
    ("Teks {#5..1}", "line 1", "range '5..1' starts above its end"),
    ("Teks {#3:-1}", "line 1", "tolerance in '3:-1' must not be negative"),
    ("Teks {#}", "line 1", "empty answer"),
    ("Teks {\n~%50%a\n~%30%b ~c}", "line 2", "the weights of the right answers add up to 80%, not 100%"),
    ("Teks {~a ~b}", "line 1", "no right answer: mark it with = or give weights such as ~%50%"),
    ("Teks {=a -> b\n=c}", "line 2", "a matching pair needs 'left -> right'"),
    ("Teks {=a -> b = -> c}", "line 1",
     "a matching pair has an empty left side (extra distractors are not supported)"),
    ("Teks {=a -> }", "line 1", "empty answer"),
    ("Teks {jawaban}", "line 1",
     "unknown answer syntax: answers start with = or ~ (or use {T}, {F}, {#number} or {})"),
    ("Teks {\nx =a ~b}", "line 2", "unexpected text before the first answer (answers start with = or ~)"),
    ("// lms-id: -bukan\nTeks {}", "line 1", "lms-id must use lowercase letters, digits, '-' and '_' (at most 120)"),
    ("// lms-id: Bukan ID\nTeks {}", "line 1", "lms-id must use lowercase letters, digits, '-' and '_' (at most 120)"),
    ("// lms-points: 0\nTeks {}", "line 1", "lms-points must be a positive number"),
    ("// lms-ordering: bukan json\nTeks {}", "line 1", "lms-ordering must be a JSON list of texts"),
    ('// lms-ordering: ["a", "b"]\nTeks {=a}', "line 2", "an lms-ordering question takes an empty answer block {}"),
    ("// lms-case-sensitive: true\nTeks {T}", "line 1", "lms-case-sensitive only applies to short questions"),
    ("// lms-min-words: 2.5\nTeks {}", "line 1", "lms-min-words must be a whole number"),
])
def test_problem(source, where, message):
    questions, problems = parse_gift(source, "quiz.gift")
    assert (where, message) in [(p.where, p.message) for p in problems]
    assert Problem("quiz.gift", where, message) in problems
    assert all(q["text"] != "Teks" for q in questions)


def test_problem_names_file_and_line():
    _, problems = parse_gift("Satu {T}\n\n" * 5 + "\n" + "Rusak {=a", "quiz.gift")
    assert [str(p) for p in problems] == ["quiz.gift: line 12: unterminated answer block"]


def test_duplicate_ids_are_reported_at_the_second():
    assert problems_of("// lms-id: sama\nSatu {}\n\n// lms-id: sama\nDua {}") == [
        ("line 4", "id 'sama' is already used at line 2")]


def test_all_problems_are_collected_and_good_questions_kept():
    questions, problems = parse_gift("Baik satu {T}\n\nRusak {=a\n\nBaik dua {F}\n\nRusak lagi {#x}\n\nBaik tiga {}")
    assert [q["text"] for q in questions] == ["Baik satu", "Baik dua", "Baik tiga"]
    assert [(p.where, p.message) for p in problems] == [
        ("line 3", "unterminated answer block"), ("line 7", "numerical answer 'x' is not a number")]


def test_limits():
    questions, problems = parse_gift("x" * (MAX_CHARS + 1))
    assert (questions, [p.message for p in problems]) == ([], ["longer than 2,000,000 characters"])
    questions, problems = parse_gift("Soal {T}\n\n" * (MAX_QUESTIONS + 1))
    assert len(questions) == MAX_QUESTIONS
    assert [(p.where, p.message) for p in problems] == [(f"line {2 * MAX_QUESTIONS + 1}", "more than 5,000 questions")]


def test_large_valid_file_is_read_whole():
    text = "::Soal::Pilih {=a#ya ~b ~c ~%50%d}\n\n" * 4000
    assert len(text) < MAX_CHARS
    questions, problems = parse_gift(text)
    assert problems == [] and len(questions) == 4000


# ------------------------------------------------------------------ export


def test_dump_format():
    questions = [
        {"type": "single", "id": "nota", "title": "Nota: dinas", "text": "Pilih {satu}", "points": 1,
         "options": options(("a=b", 1, "Ya #1"), ("c~d", 0), ("e", 0.125)), "feedback": "Umum",
         "category": "e-office/naskah-dinas"},
        {"type": "multiple", "id": "multi", "text": "Pilih", "points": 2, "category": "e-office/naskah-dinas",
         "options": options(("a", 1 / 3), ("b", 2 / 3), ("c", -1))},
        {"type": "truefalse", "id": "tf", "text": "//Benar?", "points": 1, "answer": False,
         "feedback_false": "Tepat"},
    ]
    assert dump_gift(questions) == (
        "$CATEGORY: e-office/naskah-dinas\n\n"
        "// lms-id: nota\n"
        "::Nota\\: dinas::Pilih \\{satu\\} {\n"
        "\t=a\\=b#Ya \\#1\n"
        "\t~c\\~d\n"
        "\t~%12.5%e\n"
        "\t####Umum\n"
        "}\n\n"
        "// lms-id: multi\n"
        "// lms-points: 2\n"
        "Pilih {\n"
        "\t~%33.33333%a\n"
        "\t~%66.66667%b\n"
        "\t~%-100%c\n"
        "}\n\n"
        "$CATEGORY:\n\n"
        "// lms-id: tf\n"
        "[markdown]//Benar? {F##Tepat}\n")
    back, problems = parse_gift(dump_gift(questions))
    assert problems == []
    assert [o["fraction"] for o in back[1]["options"]] == [0.3333333, 0.6666667, -1]
    assert back[2] == questions[2]


def test_dump_rejects_types_without_gift_form():
    with pytest.raises(ValueError, match="export as YAML"):
        dump_gift([{"type": "plugin-hotspot", "id": "x", "text": "Klik"}])


# ------------------------------------------------------------------ YAML


def test_yaml_reads_a_list_or_a_questions_mapping_and_generates_ids():
    text = ("questions:\n"
            "  - {type: essay, text: Jelaskan manfaat e-office}\n"
            "  - {type: truefalse, id: tf-1, text: 'Benar?', answer: true}\n"
            "  - {type: essay, title: Jelaskan manfaat e-office, text: Lagi}\n")
    questions, problems = parse_question_yaml(text)
    assert problems == []
    assert [q["id"] for q in questions] == ["jelaskan-manfaat-e-office", "tf-1", "jelaskan-manfaat-e-office-2"]
    assert parse_question_yaml("- {type: essay, id: a, text: x}\n")[0] == [{"type": "essay", "id": "a", "text": "x"}]


@pytest.mark.parametrize("text, where, message", [
    ("- {type: essay, text: [unclosed\n", "line 2", "invalid YAML: "),
    ("- &a {type: essay, text: x}\n- *a\n", "line 1", "YAML anchors and aliases (&name, *name) are not allowed"),
    ("a: &x [1, 2]\nb: *x\n", "line 1", "YAML anchors and aliases (&name, *name) are not allowed"),
    ("- !!python/object:os.system {}\n", "line 1", "invalid YAML: "),
    ("just text\n", "", "expected a list of questions (or a mapping with questions:)"),
    ("- 3\n", "questions[0]", "must be a mapping with type and text"),
    ("- {text: x}\n", "questions[0].type", "required text"),
    ("- {type: essay, text: 5}\n", "questions[0].text", "required text"),
    ("- {type: essay, text: x, id: Bad Id}\n", "questions[0].id",
     "use lowercase letters, digits, '-' and '_' (at most 120)"),
    ("- {type: essay, text: x, id: a}\n- {type: essay, text: y, id: a}\n", "questions[1].id",
     "'a' is already used at questions[0]"),
])
def test_yaml_problems(text, where, message):
    problems = parse_question_yaml(text, "bank.yaml")[1]
    assert any(p.file == "bank.yaml" and p.where == where and p.message.startswith(message) for p in problems), problems


def test_yaml_alias_bomb_is_refused():
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    assert parse_question_yaml(bomb)[1][0].message.startswith("YAML anchors")


def test_yaml_dump_never_writes_aliases():
    shared = ["Surat diterima", "Arsip"]
    questions = [{"type": "ordering", "id": f"o{i}", "text": "Urutkan", "items": shared} for i in range(2)]
    text = dump_question_yaml(questions)
    assert "&" not in text and "*" not in text
    assert parse_question_yaml(text) == (questions, [])


# ------------------------------------------------------------------ round trips and fuzzing

ALPHABET = "abcdeiouéèñAZ 019.,?!'\"()-_>%/[]$*~=#{}:\\\n\t"
FRAGMENTS = ["->", "//", "[html]", "[markdown]", "####", "%50%", "%", "\\n", "::", "$CATEGORY:", "___",
             "T", "{}", "naskah dinas", "e-office", "Surat Keputusan", "-", "#", "=", "~", "\\"]
texts = (st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(ALPHABET, max_size=4)), max_size=6)
         .map("".join).map(str.strip).filter(bool))
fractions = st.integers(-10**7, 10**7).map(lambda n: n / 10**7)
numbers = st.one_of(st.integers(-10**9, 10**9),
                    st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False))
maybe = st.one_of(st.none(), texts)


def _with(mapping: dict, **optional) -> dict:
    return mapping | {key: value for key, value in optional.items() if value is not None}


@st.composite
def definitions(draw, kind: str) -> dict:
    q = {"type": kind, "id": draw(st.from_regex(r"[a-z0-9](?:[a-z0-9_-]{0,18}[a-z0-9])?", fullmatch=True)), "text": draw(texts),
         "points": draw(st.one_of(st.just(1), st.integers(1, 100), st.sampled_from([0.5, 2.5])))}
    q = _with(q, title=draw(maybe), feedback=draw(maybe),
              category=draw(st.one_of(st.none(), st.sampled_from(["e-office", "e-office/naskah-dinas", "arsip"]))))
    if kind in ("single", "multiple"):
        n = draw(st.integers(2, 5))
        if kind == "single":
            fracs = draw(st.lists(fractions, min_size=n, max_size=n))
            fracs[draw(st.integers(0, n - 1))] = 1
        else:
            right = draw(st.integers(1, n))
            parts = draw(st.lists(st.integers(1, 9), min_size=right, max_size=right))
            fracs = [round(p / sum(parts), 7) for p in parts[:-1]]
            fracs.append(round(1 - sum(fracs), 7))
            fracs += draw(st.lists(st.integers(-10**7, 0).map(lambda v: v / 10**7),
                                   min_size=n - right, max_size=n - right))
        q["options"] = [_with({"id": option_id(i), "text": draw(texts), "fraction": f}, feedback=draw(maybe))
                        for i, f in enumerate(fracs)]
    elif kind == "truefalse":
        q |= _with({"answer": draw(st.booleans())}, feedback_true=draw(maybe), feedback_false=draw(maybe))
    elif kind == "short":
        q["answers"] = [_with({"text": draw(texts), "fraction": draw(fractions)}, feedback=draw(maybe))
                        for _ in range(draw(st.integers(1, 4)))]
        q["case_sensitive"] = draw(st.booleans())
    elif kind == "numerical":
        q["answers"] = [_with({"value": draw(numbers), "tolerance": abs(draw(numbers)), "fraction": draw(fractions)},
                              feedback=draw(maybe)) for _ in range(draw(st.integers(1, 3)))]
    elif kind == "matching":
        lefts = draw(st.lists(texts, min_size=2, max_size=4, unique=True))
        q["pairs"] = [{"left": left, "right": draw(texts)} for left in lefts]
    elif kind == "ordering":
        q["items"] = draw(st.lists(st.text(ALPHABET + "\r\u2028", min_size=1), min_size=2, max_size=5, unique=True))
    else:
        q = _with(q, rubric=draw(maybe), min_words=draw(st.one_of(st.none(), st.integers(0, 1000))))
    return q


KINDS = ["single", "multiple", "truefalse", "short", "numerical", "matching", "ordering", "essay"]
banks = st.lists(st.sampled_from(KINDS).flatmap(definitions), max_size=6, unique_by=lambda q: q["id"])
ROUND_TRIP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", KINDS)
@ROUND_TRIP
@given(data=st.data())
def test_gift_round_trip_each_type(kind, data):
    question = data.draw(definitions(kind))
    assert parse_gift(dump_gift([question])) == ([question], [])


@ROUND_TRIP
@given(banks)
def test_gift_round_trip_banks(questions):
    assert parse_gift(dump_gift(questions)) == (questions, [])


@settings(ROUND_TRIP, max_examples=100)
@given(banks)
def test_yaml_round_trip(questions):
    assert parse_question_yaml(dump_question_yaml(questions)) == (questions, [])


GIFT_ALPHABET = "{}~=#:\\%->/.$[]TF \n\t0123456789abc"
gift_like = st.lists(st.one_of(st.text(GIFT_ALPHABET, max_size=20),
                               st.sampled_from(["::", "{#", "..", "->", "####", "// lms-id: a", "// lms-ordering: [",
                                                "// lms-points: 1e999", "$CATEGORY: x", "\n\n", "%-100%", "[html]",
                                                "\\n", "1e999", "\r", "{T#", "%%", "=%50%"]))).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), gift_like))
def test_parse_gift_never_raises(text):
    questions, problems = parse_gift(text)
    assert all(isinstance(p, Problem) and p.where.startswith("line ") for p in problems)
    assert len({q["id"] for q in questions}) == len(questions)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text("-:{}[]&*!? \n'\"abc0123")))
def test_parse_question_yaml_never_raises(text):
    questions, problems = parse_question_yaml(text)
    assert isinstance(questions, list) and all(isinstance(p, Problem) for p in problems)
