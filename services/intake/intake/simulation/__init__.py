"""Week-one intake simulation (issue 3, item 12): arrivals against agendas, the service's rules."""

from intake.simulation.engine import SimulationConfig, SimulationResult, simulate

__all__ = ["SimulationConfig", "SimulationResult", "simulate"]
