import pytest
from pydantic import ValidationError

from lectern.identity.schemas import LoginIn, MeUpdateIn, RegisterIn, UserRoleIn


def _fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_email_is_normalized_to_lower_case():
    body = RegisterIn(email="  Ada.Lovelace@Example.COM ", password="x" * 10, name=" Ada ")
    assert body.email == "ada.lovelace@example.com"
    assert body.name == "Ada"


def test_local_stack_domain_is_accepted():
    assert LoginIn(email="admin@lectern.local", password="p").email == "admin@lectern.local"


@pytest.mark.parametrize("email", ["no-at-sign", "a@", "@example.com", "a b@example.com"])
def test_bad_email_names_the_field(email):
    with pytest.raises(ValidationError) as exc:
        RegisterIn(email=email, password="x" * 10, name="A")
    assert _fields(exc.value) == {"email"}


def test_password_under_ten_characters_is_refused_and_spaces_are_kept():
    with pytest.raises(ValidationError) as exc:
        RegisterIn(email="a@example.com", password="x" * 9, name="A")
    assert _fields(exc.value) == {"password"}
    assert RegisterIn(email="a@example.com", password=" padded pw ", name="A").password == (
        " padded pw "
    )


@pytest.mark.parametrize("field", ["role", "id", "xp", "is_admin"])
def test_fields_a_client_does_not_own_are_refused(field):
    with pytest.raises(ValidationError) as exc:
        RegisterIn.model_validate(
            {"email": "a@example.com", "password": "x" * 10, "name": "A", field: "admin"}
        )
    assert _fields(exc.value) == {field}
    with pytest.raises(ValidationError):
        MeUpdateIn.model_validate({field: "admin"})


def test_role_must_be_a_known_role():
    with pytest.raises(ValidationError):
        UserRoleIn(role="superuser")
    assert UserRoleIn(role="instructor").role.value == "instructor"


def test_blank_name_is_refused():
    with pytest.raises(ValidationError) as exc:
        MeUpdateIn(name="   ")
    assert _fields(exc.value) == {"name"}


def test_preferences_are_bounded_in_size():
    assert MeUpdateIn(preferences={"theme": "dark"}).preferences == {"theme": "dark"}
    with pytest.raises(ValidationError) as exc:
        MeUpdateIn(preferences={"blob": "x" * 20_000})
    assert _fields(exc.value) == {"preferences"}
