"""Catalog: courses, modules and lessons."""

from lectern.core.registry import Context, PersonalExport, SearchableType, Visibility

CONTEXT = Context(
    name="catalog",
    models="lectern.catalog.models",
    searchable=(
        # A course is found once published, and by its owner before that; its lessons'
        # entries carry its owner and publication, so they change with it.
        SearchableType(
            "course",
            "courses",
            "lectern.catalog.search:course_entries",
            Visibility(published=True, owner=True),
            dependents={"lesson": "lectern.catalog.search:lessons_of_courses"},
        ),
        # Lessons: the course's owner, and learners enrolled in the published course.
        # Their content is also embedded for semantic search.
        SearchableType(
            "lesson",
            "lessons",
            "lectern.catalog.search:lesson_entries",
            Visibility(owner=True, enrolled=True),
            embedded=True,
        ),
    ),
    # Authored courses stay when their author leaves (learners rely on them): the export
    # lists them, erasure keeps them under the anonymized name.
    personal_exports=(
        PersonalExport("courses_authored", "lectern.catalog.privacy:courses_authored"),
    ),
)
