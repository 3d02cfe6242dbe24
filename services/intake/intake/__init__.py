"""Intake service: claims, week-one intake appointments, coach agendas, working-day calendar."""
