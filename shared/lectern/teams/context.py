"""Teams: members with roles, assigned courses, seats from the plan, invitations by mail."""

from lectern.core.registry import (
    Context,
    NotificationType,
    OutboxRelay,
    PersonalData,
    PersonalExport,
    UpkeepTask,
)

CONTEXT = Context(
    name="teams",
    models="lectern.teams.models",
    upkeep=(UpkeepTask("team_invitations", "lectern.teams.upkeep:invitations_task"),),
    relays=(OutboxRelay("team_mail", ("team_invitation",), "lectern.teams.mail:deliver"),),
    personal_data=(PersonalData("team_members"),),
    personal_exports=(
        PersonalExport(
            "team_invitations",
            "lectern.teams.privacy:invitations",
            erase="lectern.teams.privacy:erase",
        ),
    ),
    notification_types=(
        # The invitation mail itself holds the link: no second mail by default.
        NotificationType("team_invitation", "You were invited to join a team.", email="off"),
    ),
)
