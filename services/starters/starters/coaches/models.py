"""The known coaches (id, office, active), kept current from coach.* events."""

from __future__ import annotations

from shared.db.coach_replica import CoachReplicaMixin, replica_directory, replica_handlers
from starters.db import Base


class KnownCoach(CoachReplicaMixin, Base):
    """A coach as starters knows them: enough to refuse unknown and deactivated coaches."""

    __tablename__ = "known_coaches"


HANDLERS = replica_handlers(KnownCoach)
DIRECTORY = replica_directory(KnownCoach)
