"""Teams: members with roles, assigned courses, seats, and invitations by mail."""
