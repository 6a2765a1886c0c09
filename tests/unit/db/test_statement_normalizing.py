from lectern.db.monitoring import MAX_STATEMENT_CHARS, normalize


def test_literals_become_placeholders_and_whitespace_folds():
    statement = """SELECT * FROM users
        WHERE email = 'ann@example.com' AND id = 42 AND score > -3.5 AND name = 'O''Brien'"""
    assert normalize(statement) == (
        "SELECT * FROM users WHERE email = ? AND id = ? AND score > ? AND name = ?"
    )


def test_names_with_digits_and_bound_placeholders_stay():
    assert normalize('SELECT t1.a2 FROM "events_p202612" WHERE x = %s') == (
        'SELECT t1.a2 FROM "events_p202612" WHERE x = %s'
    )


def test_long_statements_are_cut():
    assert len(normalize("SELECT " + "a, " * 2000 + "b")) == MAX_STATEMENT_CHARS
