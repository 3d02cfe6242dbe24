"""workplans."""
