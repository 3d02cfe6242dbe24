"""Messages to the claimant: invitations, reminders, letters (ADR 0028)."""
