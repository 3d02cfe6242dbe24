"""Week-one intake simulation (issue 3, item 12): arrivals against agendas, the service's rules.

An offline tool beside the intake service, not part of it: it imports intake's rules,
intake never imports it.
"""

from intake_simulation.config import SimulationConfig
from intake_simulation.engine import simulate
from intake_simulation.results import SimulationResult

__all__ = ["SimulationConfig", "SimulationResult", "simulate"]
