"""The instructor's quiz: items with answers for every chapter, never in the student source."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
QUIZ = ROOT / "tools" / "quiz.yml"


def test_every_chapter_has_quiz_items_with_answers():
    quiz = yaml.safe_load(QUIZ.read_text())
    chapters = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    assert set(quiz) == chapters
    for chapter, items in quiz.items():
        assert len(items) >= 2, chapter
        for item in items:
            assert set(item) == {"q", "a"} and item["q"].strip() and item["a"].strip(), item


def test_the_student_source_leaves_out_the_instructors_tools(tmp_path):
    from tools.editions import write_student_source

    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "tools").mkdir()
    for name in ("_config.yml", "_toc.yml"):
        (book / name).write_text((ROOT / name).read_text())
    (book / "tools" / "quiz.yml").write_text(QUIZ.read_text())
    (book / "tools" / "answers.py").write_text("# reference answers\n")
    write_student_source(book, tmp_path / "student")
    assert (tmp_path / "student" / "_config.yml").is_file()
    assert not (tmp_path / "student" / "tools").exists()
